import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: benchmarks run from any directory. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where the benchmarks write their JSON (git-ignored). */
export const resultsDir = path.join(repoRoot, 'bench', 'results');

/**
 * The absolute path of an installed package's executable, read from its package.json `bin`, so the
 * benchmark runs the script with `node` rather than through npx or a shell wrapper.
 */
export function packageBin(pkg: string, bin?: string): string {
  const dir = path.join(repoRoot, 'node_modules', pkg);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const entry =
    typeof manifest.bin === 'string'
      ? manifest.bin
      : manifest.bin?.[bin ?? Object.keys(manifest.bin)[0] ?? ''];
  if (entry === undefined) throw new Error(`${pkg} has no executable${bin ? ` named ${bin}` : ''}`);
  return path.join(dir, entry);
}
