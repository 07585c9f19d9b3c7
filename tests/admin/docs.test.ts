// docs/admin-api.md against the code, both ways: every route `serve` mounts is documented (there or in
// docs/memory.md, which it links), and every error code of the console's own routes is in its table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes, type ConsoleParts } from '../../src/admin/console.js';
import { openStore, type Store } from '../../src/state/store.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const doc = read('docs/admin-api.md');
const memoryDoc = read('docs/memory.md');
const SOURCES = [
  'src/admin/router.ts',
  'src/admin/decision-routes.ts',
  'src/admin/replay-routes.ts',
  'src/admin/routing-routes.ts',
];

const METHODS = new Set(['GET', 'POST', 'DELETE']);
let dir: TempDir;
let store: Store;
let parts: ConsoleParts;
beforeAll(async () => {
  dir = await makeTempDir('agentwall-admin-docs-');
  store = openStore(dir.path);
  // Listing the routes opens the audit log's database; the other parts are used only when called.
  parts = new Proxy({} as ConsoleParts, { get: (_t, key) => (key === 'store' ? store : {}) });
});
afterAll(async () => {
  await store.close();
  await dir.remove();
});

describe('docs/admin-api.md', () => {
  it('documents every route serve mounts', () => {
    const undocumented = consoleRoutes(parts)
      .map((r) => `${r.method} ${r.path}`)
      .filter((route) => !doc.includes(route) && !memoryDoc.includes(route));
    expect(undocumented).toEqual([]);
  });

  it('documents every error code of the decision, replay, routing and auth answers, and no other', () => {
    const inCode = new Set(
      SOURCES.flatMap((f) =>
        [...read(f).matchAll(/'([A-Z][A-Z_]{4,})'/g)]
          .map((m) => m[1] as string)
          .filter((c) => !METHODS.has(c)),
      ),
    );
    const table = doc.slice(doc.indexOf('## Errors'));
    const inDoc = new Set(
      [...table.matchAll(/`([A-Z][A-Z_]{4,})`/g)].map((m) => m[1] as string).filter((c) => !c.endsWith('_')),
    );
    expect([...inCode].filter((c) => !inDoc.has(c))).toEqual([]);
    expect([...inDoc].filter((c) => !inCode.has(c))).toEqual([]);
  });
});
