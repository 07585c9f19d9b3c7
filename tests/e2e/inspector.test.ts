// An outside client: the MCP Inspector CLI (its own SDK client, its own argument handling) against
// `agentwall mcp -- <everything>` over stdio and against `agentwall serve` over Streamable HTTP.
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type AgentwallServe } from '../helpers/agentwall.js';
import { runToEnd, type RunResult } from '../helpers/child.js';
import { AGENTWALL_BIN, EVERYTHING_ENTRY, INSPECTOR_CLI_ENTRY, assertBuilt } from '../helpers/paths.js';
import { everythingServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { covers } from './requirements.js';

/**
 * The inspector looks for its package.json at `../package.json` relative to the working directory (and
 * imports it relative to itself), so it runs from its own `build/` directory.
 */
function inspect(args: readonly string[]): Promise<RunResult> {
  return runToEnd(process.execPath, [INSPECTOR_CLI_ENTRY, '--cli', ...args], {
    cwd: dirname(INSPECTOR_CLI_ENTRY),
    timeoutMs: 60_000,
  });
}

function jsonOf(r: RunResult): unknown {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
}

describe('MCP Inspector CLI as an outside client', () => {
  let tmp: TempDir;
  let serve: AgentwallServe;

  beforeAll(async () => {
    assertBuilt();
    tmp = await makeTempDir();
    serve = await startServe({ dir: tmp.path, config: { servers: { everything: everythingServer() } } });
  });

  afterAll(async () => {
    await serve?.stop();
    await tmp?.remove();
  });

  it('lists tools through `agentwall mcp -- <server>` over stdio', async () => {
    covers('client.inspector', 'front.stdio-wrap', 'naming.single');
    const agentwall = [AGENTWALL_BIN, 'mcp', '--data-dir', join(tmp.path, 'stdio-data')];
    const r = await inspect([
      process.execPath,
      ...agentwall,
      '--',
      process.execPath,
      EVERYTHING_ENTRY,
      'stdio',
      '--method',
      'tools/list',
    ]);
    const listed = jsonOf(r) as { tools: { name: string }[] };
    // One wrapped server: names pass through unprefixed.
    expect(listed.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
  });

  it('calls a tool through `agentwall serve` over Streamable HTTP', async () => {
    covers('client.inspector', 'front.http');
    const r = await inspect([
      serve.mcpUrl.href,
      '--transport',
      'http',
      '--method',
      'tools/call',
      '--tool-name',
      'echo',
      '--tool-arg',
      'message=from the inspector',
    ]);
    expect(jsonOf(r)).toEqual({ content: [{ type: 'text', text: 'Echo: from the inspector' }] });
  });
});
