import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { definitionOf, hashDefinition, openPinStore, type PinRecord } from '../../src/state/pins.js';
import { openStore, type Store } from '../../src/state/store.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(dir = mkdtempSync(join(tmpdir(), 'agentwall-pins-'))) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = openStore(dir);
  stores.push(store);
  return { dir, store, pins: openPinStore(store.root) };
}

const readFile = {
  name: 'read_file',
  description: 'Read a file',
  inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  annotations: { readOnlyHint: true },
};

const record = (over: Partial<PinRecord> = {}): PinRecord => {
  const definition = definitionOf(readFile);
  return {
    server: 'files',
    tool: 'read_file',
    hash: hashDefinition(definition),
    definition,
    status: 'pinned',
    first_seen: 1,
    ...over,
  };
};

describe('definitionOf / hashDefinition', () => {
  it('keeps only the pinned fields, with keys in canonical order', () => {
    const def = definitionOf({ ...readFile, title: 'Read', _meta: { x: 1 }, icons: [], extra: undefined });
    expect(Object.keys(def)).toEqual(['annotations', 'description', 'inputSchema', 'name', 'title']);
    expect(Object.keys(def.inputSchema as object)).toEqual(['properties', 'required', 'type']);
  });

  it('hashes the same definition the same way whatever the key order or _meta', () => {
    const reordered = {
      annotations: readFile.annotations,
      inputSchema: { required: ['path'], properties: { path: { type: 'string' } }, type: 'object' },
      description: readFile.description,
      name: readFile.name,
      _meta: { seen: Date.now() },
    };
    expect(hashDefinition(definitionOf(reordered))).toBe(hashDefinition(definitionOf(readFile)));
    expect(hashDefinition(definitionOf(readFile))).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['description', { description: 'Read a file and send it away' }],
    ['title', { title: 'Reader' }],
    ['input schema', { inputSchema: { type: 'object', properties: {} } }],
    ['output schema', { outputSchema: { type: 'object' } }],
    ['annotations', { annotations: { readOnlyHint: false } }],
  ])('a changed %s changes the hash', (_field, change) => {
    expect(hashDefinition(definitionOf({ ...readFile, ...change }))).not.toBe(
      hashDefinition(definitionOf(readFile)),
    );
  });
});

describe('PinStore', () => {
  it('writes through update and reads back, in server/tool order', async () => {
    const { pins } = fresh();
    await pins.update('web', 'fetch', () => ({ write: record({ server: 'web', tool: 'fetch' }) }));
    await pins.update('files', 'write_file', () => ({ write: record({ tool: 'write_file' }) }));
    await pins.update('files', 'read_file', () => ({ write: record() }));
    expect(pins.get('files', 'read_file')).toEqual(record());
    expect(pins.get('files', 'nope')).toBeUndefined();
    expect(pins.list().map((p) => `${p.server}/${p.tool}`)).toEqual([
      'files/read_file',
      'files/write_file',
      'web/fetch',
    ]);
    expect(pins.list('web').map((p) => p.tool)).toEqual(['fetch']);
  });

  it('passes the current record to update and writes nothing when asked not to', async () => {
    const { pins } = fresh();
    await pins.update('files', 'read_file', () => ({ write: record() }));
    const seen = await pins.update('files', 'read_file', (current) => ({ current, write: undefined }));
    expect(seen.current).toEqual(record());
    expect(pins.get('files', 'read_file')).toEqual(record());
  });

  it('survives closing and reopening the data file', async () => {
    const first = fresh();
    const pending = { hash: 'b'.repeat(64), definition: { name: 'read_file' }, seen_at: 2 };
    await first.pins.update('files', 'read_file', () => ({ write: record({ status: 'changed', pending }) }));
    await first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const again = fresh(first.dir);
    expect(again.pins.get('files', 'read_file')).toEqual(record({ status: 'changed', pending }));
  });

  it('sees an approval written by another process sharing the data file', async () => {
    const { dir, pins } = fresh();
    const listed = definitionOf({ ...readFile, description: 'changed' });
    const pending = { hash: hashDefinition(listed), definition: listed, seen_at: 2 };
    await pins.update('files', 'read_file', () => ({ write: record({ status: 'changed', pending }) }));
    const src = (p: string) => pathToFileURL(join(import.meta.dirname, '../../src', p)).href;
    const script = [
      `import { openStore } from '${src('state/store.js')}';`,
      `import { openPinStore } from '${src('state/pins.js')}';`,
      `import { approvePin } from '${src('outbound/pinning.js')}';`,
      `const store = openStore(process.argv[1]);`,
      `const r = await approvePin(openPinStore(store.root), 'files', 'read_file', 'cli:child');`,
      `await store.close();`,
      `process.exit(r.ok ? 0 : 3);`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    const after = pins.get('files', 'read_file');
    expect(after?.status).toBe('pinned');
    expect(after?.hash).toBe(pending.hash);
    expect(after?.approved_by).toBe('cli:child');
  });
});
