/**
 * Throughput of the inbound normalisers and detectors, and precision/recall of the PII detector.
 *
 *   node --import tsx bench/inbound-detectors.ts                 # MB/s per function on node_modules texts
 *   node --import tsx bench/inbound-detectors.ts pii-eval [file]  # per-type P/R on shared/data/pii/train.jsonl
 *
 * Not registered in bench/index.ts: it measures pure functions on one core, with no baseline to compare.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectPii, PII_TYPES } from '../src/inbound/detect/pii.js';
import { detectSecrets } from '../src/inbound/detect/secrets.js';
import { redactSpans } from '../src/inbound/detect/redact.js';
import {
  analyseHtml,
  decodeBlobs,
  findExfilLinks,
  normalise,
  scanConfusables,
  stripInvisible,
} from '../src/inbound/normalize/index.js';
import type { Finding } from '../src/inbound/types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function collect(dir: string, out: string[], pattern: RegExp, limit: number): void {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const entry of entries) {
    if (out.length >= limit) return;
    const path = join(dir, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isDirectory()) collect(path, out, pattern, limit);
    else if (pattern.test(entry) && stat.size >= 1024 && stat.size <= 64 * 1024) out.push(path);
  }
}

/** Realistic 1–64 KB texts: READMEs, JavaScript, type declarations and JSON from node_modules. */
function corpus(): string[] {
  const files: string[] = [];
  const modules = join(ROOT, 'node_modules');
  for (const [pattern, limit] of [
    [/^README\.md$/i, 150],
    [/\.js$/, 150],
    [/\.d\.ts$/, 100],
    [/^package\.json$/, 100],
  ] as const) {
    const some: string[] = [];
    collect(modules, some, pattern, limit);
    files.push(...some);
  }
  return files.map((f) => readFileSync(f, 'utf8'));
}

/** What src/inbound/inspect.ts does per text: normalise, then detect on the clean text and the scan texts. */
function pipeline(text: string): number {
  const n = normalise(text);
  let count = n.findings.length + findExfilLinks(n.text).length;
  count += detectPii(n.text).length + detectSecrets(n.text).length;
  for (const t of n.scanTexts) count += detectSecrets(t).length;
  return count;
}

const FUNCTIONS: readonly (readonly [string, (text: string) => unknown])[] = [
  ['pipeline (as inspect.ts: normalise, exfil, pii, secrets)', pipeline],
  ['normalise', (t) => normalise(t)],
  ['  stripInvisible', (t) => stripInvisible(t)],
  ['  analyseHtml (all texts, even non-HTML)', (t) => analyseHtml(t)],
  ['  findExfilLinks', (t) => findExfilLinks(t)],
  ['  decodeBlobs', (t) => decodeBlobs(t)],
  ['  scanConfusables', (t) => scanConfusables(t)],
  ['detectPii', (t) => detectPii(t)],
  ['  detectPii phone only', (t) => detectPii(t, { types: ['phone'] })],
  ['  detectPii without phone', (t) => detectPii(t, { types: PII_TYPES.filter((x) => x !== 'phone') })],
  ['detectSecrets', (t) => detectSecrets(t)],
  ['redactSpans (10 findings)', (t) => redactSpans(t, tenFindings(t))],
];

function tenFindings(text: string): Finding[] {
  const step = Math.max(1, Math.floor(text.length / 10));
  return Array.from({ length: 10 }, (_, i) => ({
    kind: 'pii' as const,
    type: 'email',
    span: { start: i * step, end: i * step + 5 },
  }));
}

function throughput(): void {
  const texts = corpus();
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  console.log(
    `corpus: ${texts.length} texts, ${(bytes / 1e6).toFixed(2)} MB (1–64 KB each), node ${process.version}`,
  );
  console.log('MB per CPU-second of this thread (CPU time, not wall time: the machine may be shared)');
  for (const [name, fn] of FUNCTIONS) {
    for (const t of texts.slice(0, 50)) fn(t); // warm-up
    let best = 0;
    for (let trial = 0; trial < 5; trial++) {
      const before = process.cpuUsage();
      for (const t of texts) fn(t);
      const used = process.cpuUsage(before);
      best = Math.max(best, bytes / 1e6 / ((used.user + used.system) / 1e6));
    }
    console.log(`${name.padEnd(56)} ${best.toFixed(1).padStart(7)} MB/s`);
  }
}

const LABELS: Readonly<Record<string, readonly string[]>> = {
  EMAIL_ADDRESS: ['email'],
  PHONE_NUMBER: ['phone'],
  CREDIT_CARD: ['card'],
  IBAN_CODE: ['iban'],
  US_SSN: ['us_ssn'],
  IP_ADDRESS: ['ipv4', 'ipv6'],
  DATE_OF_BIRTH: ['date_of_birth'],
  US_PASSPORT: ['us_passport'],
  API_KEY: ['secret'],
  PASSWORD: ['secret'],
};

interface Row {
  readonly text: string;
  readonly spans: readonly { start: number; end: number; type: string }[];
}

/** Overlap with a labelled span of a matching type counts; each prediction and each label once. */
function piiEval(path: string): void {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
  const stats = new Map<string, { tp: number; fp: number; fn: number }>();
  const stat = (t: string): { tp: number; fp: number; fn: number } => {
    let s = stats.get(t);
    if (s === undefined) stats.set(t, (s = { tp: 0, fp: 0, fn: 0 }));
    return s;
  };
  for (const row of rows) {
    const found = [...detectPii(row.text), ...detectSecrets(row.text).map((f) => ({ ...f, type: 'secret' }))];
    const gold = row.spans.filter((s) => LABELS[s.type] !== undefined);
    const matches = (f: Finding, g: Row['spans'][number]): boolean =>
      (LABELS[g.type] ?? []).includes(f.type) && g.start < f.span.end && f.span.start < g.end;
    for (const f of found) stat(f.type)[gold.some((g) => matches(f, g)) ? 'tp' : 'fp']++;
    for (const g of gold) if (!found.some((f) => matches(f, g))) stat(LABELS[g.type]?.[0] ?? g.type).fn++;
  }
  console.log(`${rows.length} rows from ${path}\n`);
  console.log('type            precision  recall   tp    fp    fn');
  for (const [type, s] of [...stats].sort()) {
    const p = s.tp + s.fp === 0 ? NaN : s.tp / (s.tp + s.fp);
    const r = s.tp + s.fn === 0 ? NaN : s.tp / (s.tp + s.fn);
    console.log(
      `${type.padEnd(15)} ${fmt(p)}     ${fmt(r)}  ${String(s.tp).padStart(5)} ${String(s.fp).padStart(5)} ${String(s.fn).padStart(5)}`,
    );
  }
}

function fmt(x: number): string {
  return Number.isNaN(x) ? '   - ' : x.toFixed(3);
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'pii-eval') piiEval(arg ?? join(ROOT, '..', 'shared', 'data', 'pii', 'train.jsonl'));
else throughput();
