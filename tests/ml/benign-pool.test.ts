import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  benignPool,
  halfOf,
  packageOf,
  poolFiles,
  poolSnippets,
  SNIPPET_KINDS,
} from '../../src/ml/benign-pool.js';
import { balanceTemplates, poolTrainingRows, type DataRow } from '../../src/ml/data.js';
import { normaliseText } from '../../src/ml/features.js';

const root = mkdtempSync(join(tmpdir(), 'agentwall-pool-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const PACKAGES = [
  ...Array.from({ length: 24 }, (_, i) => `pkg-${i}`),
  '@scope/tool',
  'pino',
  '@pinojs/redact',
];
for (const name of PACKAGES) {
  const prose = Array.from(
    { length: 12 },
    (_, i) =>
      `The ${name} option number ${i} sets how long a request may wait. It defaults to ${i * 100} ms.`,
  );
  put(
    `${name}/README.md`,
    `# ${name}\n\n## Usage ${name}\n\n${prose.join('\n\n')}\n\n- returns a promise (${name})\n`,
  );
  put(
    `${name}/package.json`,
    JSON.stringify({ name, version: '1.2.3', description: `The ${name} helper`, license: 'MIT' }),
  );
  put(
    `${name}/index.js`,
    `export function run() {\n  if (!ok) throw new Error('Request to ${name} timed out');\n  return '${name}';\n}\n`.repeat(
      30,
    ),
  );
}
put('pkg-1/node_modules/nested-dep/README.md', '# nested dep\n\nA dependency of pkg-1 with its own text.\n');

describe('the benign pool of installed packages', () => {
  it('names the package a file belongs to, scoped and nested ones included', () => {
    expect(packageOf(root, join(root, 'pkg-3/README.md'))).toBe('pkg-3');
    expect(packageOf(root, join(root, '@scope/tool/lib/a.js'))).toBe('@scope/tool');
    expect(packageOf(root, join(root, 'pkg-1/node_modules/nested-dep/README.md'))).toBe('nested-dep');
  });

  it('splits packages into two halves by a hash of the name, the same every time', () => {
    const names = Array.from({ length: 400 }, (_, i) => `package-${i}`);
    const train = names.filter((n) => halfOf(n) === 'train').length;
    expect(train).toBeGreaterThan(160);
    expect(train).toBeLessThan(240);
    expect(names.map((n) => halfOf(n))).toEqual(names.map((n) => halfOf(n, 1)));
    expect(names.some((n) => halfOf(n, 1) !== halfOf(n, 2))).toBe(true);
  });

  it('leaves the trained-on packages out and keeps each half to its own packages', () => {
    const all = poolFiles(root);
    expect(all.some((f) => f.pkg === 'pino' || f.pkg.startsWith('@pinojs'))).toBe(false);
    const train = poolFiles(root, { half: 'train' });
    const calibration = poolFiles(root, { half: 'calibration' });
    expect(train.length + calibration.length).toBe(all.length);
    expect(train.every((f) => halfOf(f.pkg) === 'train')).toBe(true);
    expect(calibration.every((f) => halfOf(f.pkg) === 'calibration')).toBe(true);
    const long = benignPool(root, { half: 'calibration' });
    expect(long.packages).toBe(new Set(calibration.map((f) => f.pkg)).size);
    expect(long.texts.every((t) => t.length <= 4096 && t.trim().length >= 200)).toBe(true);
  });

  it('draws every kind of snippet, of the right shape, from one half only, reproducibly', () => {
    const counts = { line: 30, sentence: 20, paragraph: 10, chunk: 5, json: 10, message: 5 };
    const pool = poolSnippets(root, { half: 'train', counts, seed: 3 });
    for (const kind of SNIPPET_KINDS) expect(pool.snippets.some((s) => s.kind === kind)).toBe(true);
    for (const s of pool.snippets) {
      if (s.pkg !== '(several)') expect(halfOf(s.pkg, 3)).toBe('train');
      if (s.kind === 'line') expect(s.text.length).toBeGreaterThanOrEqual(2);
      if (s.kind === 'line') expect(s.text.length).toBeLessThanOrEqual(80);
      if (s.kind === 'chunk') expect(s.text.length).toBeGreaterThanOrEqual(512);
      if (s.kind === 'json') expect(() => JSON.parse(s.text) as unknown).not.toThrow();
      if (s.kind === 'message') expect(s.text).toMatch(/^Request to \S+ timed out$/);
    }
    const keys = pool.snippets.map((s) => normaliseText(s.text));
    expect(new Set(keys).size).toBe(keys.length);
    expect(poolSnippets(root, { half: 'train', counts, seed: 3 }).snippets).toEqual(pool.snippets);
  });

  it('never returns an excluded text', () => {
    const first = poolSnippets(root, { half: 'calibration', counts: { line: 50 } });
    const exclude = new Set(first.snippets.slice(0, 10).map((s) => normaliseText(s.text)));
    const again = poolSnippets(root, { half: 'calibration', counts: { line: 50 }, exclude });
    expect(again.snippets.some((s) => exclude.has(normaliseText(s.text)))).toBe(false);
  });

  it('turns the train half into benign tool-output rows', () => {
    const { rows, pool } = poolTrainingRows(root, { line: 10, json: 5 }, 'benign');
    expect(rows.length).toBe(pool.snippets.length);
    expect(rows[0]).toMatchObject({ label: 'benign', channel: 'tool_output', surface: 'tool_result' });
    expect(rows.every((r) => r.source.startsWith('npm-pool(train):'))).toBe(true);
  });
});

describe('balanceTemplates', () => {
  const row = (tool: string, label: string, text: string): DataRow => ({
    text,
    label,
    source: 's',
    surface: 'tool_result',
    tool,
  });

  it('repeats benign results of a template until they match its injections', () => {
    const rows = [
      row('A', 'injection', 'a1'),
      row('A', 'injection', 'a2'),
      row('A', 'injection', 'a3'),
      row('A', 'benign', 'b1'),
      row('A', 'benign', 'b2'),
      row('B', 'benign', 'only benign'),
      row('C', 'injection', 'only attacks'),
    ];
    expect(balanceTemplates(rows, 'injection').map((r) => r.text)).toEqual(['b1']);
  });
});
