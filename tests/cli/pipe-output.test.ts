// The launcher exits only once a piped stdout has taken everything: `agentwall audit export | …` and
// `memory list --json` of a large store used to stop at 64 KiB (process.exit with output still queued).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/state/memory.js';
import { openStore } from '../../src/state/store.js';
import { runAgentwall } from '../helpers/agentwall.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const ITEMS = 2000;
let dir: TempDir;

beforeAll(async () => {
  dir = await makeTempDir('agentwall-pipe-');
  const store = openStore(dir.path);
  const memory = new MemoryStore(store.root);
  await Promise.all(
    Array.from({ length: ITEMS }, (_, i) =>
      memory.write({
        namespace: 'team',
        key: `k-${i}`,
        value: `value ${i} `.repeat(8),
        principal: 'p',
        session: 's',
      }),
    ),
  );
  await store.close();
});

afterAll(async () => {
  await dir?.remove();
});

describe('output through a pipe', () => {
  it('prints all of a JSON listing far larger than a pipe buffer', async () => {
    const r = await runAgentwall(['memory', 'list', '--namespace', 'team', '--json', '--data-dir', dir.path]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(4 * 65536);
    const items = JSON.parse(r.stdout) as { key: string }[];
    expect(items).toHaveLength(ITEMS);
  });
});
