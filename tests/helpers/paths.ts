// Where things are: the agentwall launcher and the installed entries of the reference MCP servers,
// read from each package's `bin` so a renamed entry fails loudly here rather than mid-test.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const AGENTWALL_BIN = join(REPO_ROOT, 'bin/agentwall.js');
const AGENTWALL_BUILD = join(REPO_ROOT, 'dist/cli/main.js');

/** The crashable stdio fixture of these tests, run with `node --import tsx`. */
export const CRASHY_SERVER = join(REPO_ROOT, 'tests/helpers/crashy-server.ts');
export const MUTABLE_SERVER = join(REPO_ROOT, 'tests/fixtures/mutable-server.ts');

function binOf(pkg: string): string {
  const dir = join(REPO_ROOT, 'node_modules', pkg);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin ?? {})[0];
  if (bin === undefined) throw new Error(`${pkg} declares no bin`);
  return join(dir, bin);
}

export const EVERYTHING_ENTRY = binOf('@modelcontextprotocol/server-everything');
export const FILESYSTEM_ENTRY = binOf('@modelcontextprotocol/server-filesystem');
export const MEMORY_ENTRY = binOf('@modelcontextprotocol/server-memory');
export const INSPECTOR_CLI_ENTRY = binOf('@modelcontextprotocol/inspector-cli');

/** The e2e tests run the compiled CLI, as users do; `npm run build` first. */
export function assertBuilt(): void {
  if (!existsSync(AGENTWALL_BUILD)) {
    throw new Error(`agentwall is not built (${AGENTWALL_BUILD} is missing): run npm run build`);
  }
}
