import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupOf, readRows, splitByGroup, type DataRow } from '../../src/ml/data.js';

const dir = mkdtempSync(join(tmpdir(), 'agentwall-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (source: string, extra: Partial<DataRow> = {}): DataRow => ({
  text: 't',
  label: 'benign',
  source,
  ...extra,
});

describe('training data', () => {
  it('reads JSONL and names the line of a bad row', async () => {
    const ok = join(dir, 'ok.jsonl');
    writeFileSync(ok, `${JSON.stringify(row('a'))}\n\n${JSON.stringify(row('b'))}\n`);
    expect((await readRows(ok)).map((r) => r.source)).toEqual(['a', 'b']);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(row('a'))}\n{"text": 1, "label": "x", "source": "y"}\n`);
    await expect(readRows(bad)).rejects.toThrow(/bad\.jsonl:2: "text" must be a string/);
  });

  it('keeps a document and its injected copy in one group', () => {
    expect(groupOf(row('fastify/fastify:docs'))).toBe(groupOf(row('fastify/fastify:docs+injected')));
    expect(groupOf(row('BIPIA/table(train)'))).toBe(groupOf(row('BIPIA/table(train)+text_attack')));
    expect(groupOf(row('InjecAgent/x', { tool: 'A' }))).not.toBe(groupOf(row('InjecAgent/x', { tool: 'B' })));
  });

  it('splits by group, deterministically, never putting one group on both sides', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => row(`src${i % 50}`, { tool: `t${i % 7}` }));
    const a = splitByGroup(rows, 0.2, 7);
    const b = splitByGroup(rows, 0.2, 7);
    expect(a.dev.length).toBe(b.dev.length);
    const devGroups = new Set(a.dev.map(groupOf));
    expect(a.train.some((r) => devGroups.has(groupOf(r)))).toBe(false);
    expect(a.dev.length / rows.length).toBeGreaterThan(0.1);
    expect(a.dev.length / rows.length).toBeLessThan(0.3);
  });
});
