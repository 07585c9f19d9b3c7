import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { poolSnippets, type SnippetKind, type SnippetPool } from './benign-pool.js';
import { seededRandom, shuffle } from './prng.js';

/** One row of the training data (../shared/data/MANIFEST.md): at least text, label and source. */
export interface DataRow {
  readonly text: string;
  readonly label: string;
  readonly source: string;
  readonly channel?: string;
  readonly surface?: string;
  /** Template-like fields that tie rows together: rows sharing them must land on one side of a split. */
  readonly tool?: string;
  readonly template_id?: string | number;
  readonly wrapper?: string;
  readonly id?: string;
}

/** Reads JSONL rows; a row without a string text/label/source is an error naming its line. */
export async function readRows(file: string): Promise<DataRow[]> {
  const rows: DataRow[] = [];
  let line = 0;
  const input = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const text of input) {
    line += 1;
    if (text.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (err) {
      throw new AgentwallError(
        ErrorCode.DATA_INVALID,
        `${file}:${line}: not JSON: ${(err as Error).message}`,
      );
    }
    const r = row as Record<string, unknown>;
    for (const field of ['text', 'label', 'source'] as const) {
      if (typeof r[field] !== 'string') {
        throw new AgentwallError(ErrorCode.DATA_INVALID, `${file}:${line}: "${field}" must be a string`);
      }
    }
    rows.push(row as DataRow);
  }
  return rows;
}

/**
 * The group a row belongs to for splitting: its source family (the source without `+injected`
 * variants or `(train)`-style qualifiers) and its template — the template field it has, or else the
 * first words of its text, which templated rows share (a wrapper, a document and its injected copy).
 * A row-level split would leave ~20% of dev rows with a near-duplicate in training (MANIFEST.md) and
 * flatter every metric.
 */
export function groupOf(row: DataRow): string {
  const family = row.source
    .replace(/\+.*$/, '')
    .replace(/\([^)]*\)/g, '')
    .trim();
  const template = row.tool ?? row.template_id ?? row.wrapper ?? openingOf(row.text);
  return `${family}\u0000${String(template)}`;
}

/** The first six words, normalised: what rows made from one template or one document begin with. */
function openingOf(text: string): string {
  return text.normalize('NFKC').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 6).join(' ');
}

/** Splits rows by group: about `devShare` of the groups (hashed with `seed`) go to dev. Deterministic. */
export function splitByGroup(
  rows: readonly DataRow[],
  devShare: number,
  seed = 1,
): { train: DataRow[]; dev: DataRow[] } {
  const train: DataRow[] = [];
  const dev: DataRow[] = [];
  for (const row of rows) {
    const h = fnv1a(`${seed}\u0000${groupOf(row)}`);
    (h / 0x1_0000_0000 < devShare ? dev : train).push(row);
  }
  return { train, dev };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Benign training rows cut from the `train` half of a pool of installed npm packages
 * (`poolSnippets`): short lines, sentences, paragraphs, 0.5–4 KB chunks and JSON results, labelled
 * `negative` as tool outputs. The `calibration` half (other packages) is never drawn here.
 */
export function poolTrainingRows(
  root: string,
  counts: Partial<Record<SnippetKind, number>>,
  negative: string,
  seed = 1,
): { rows: DataRow[]; pool: SnippetPool } {
  const pool = poolSnippets(root, { half: 'train', counts, seed });
  const rows = pool.snippets.map((s) => ({
    text: s.text,
    label: negative,
    source: `npm-pool(train):${s.pkg}`,
    channel: 'tool_output',
    surface: 'tool_result',
    wrapper: s.kind,
  }));
  return { rows, pool };
}

/**
 * Copies that even out benign and `positive` rows per tool template: for every `tool` whose tool
 * results hold both labels but fewer benign rows, benign rows of that tool are repeated (in order,
 * cycling) until the counts match. InjecAgent fills each tool's response template with an attacker
 * instruction about twice as often as with benign text, so without this the template's own words
 * (its field names, the names in it: "Ada Lovelace", "octocat") learn to mean injection and a
 * benign result of the same tool is flagged. Training side only: duplicates in dev would skew it.
 */
export function balanceTemplates(rows: readonly DataRow[], positive: string): DataRow[] {
  const byTool = new Map<string, { benign: DataRow[]; positive: number }>();
  for (const r of rows) {
    if (r.tool === undefined || r.surface !== 'tool_result') continue;
    const t = byTool.get(r.tool) ?? { benign: [], positive: 0 };
    if (r.label === positive) t.positive += 1;
    else t.benign.push(r);
    byTool.set(r.tool, t);
  }
  const extra: DataRow[] = [];
  for (const tool of [...byTool.keys()].sort()) {
    const t = byTool.get(tool)!;
    if (t.benign.length === 0) continue;
    for (let i = 0; t.benign.length + i < t.positive; i++) extra.push(t.benign[i % t.benign.length]!);
  }
  return extra;
}

/**
 * Short benign rows cut from the training split's own benign rows: their lines and sentences of
 * 2–120 characters that are not the whole text, de-duplicated, shuffled (seeded) and drawn with at
 * most three per row. Short benign text in training otherwise comes from package docs alone, and a
 * model that has seen short docs lines but no short benign prompt, email line or tool-result field
 * learns that a short text that is not docs is an injection.
 */
export function fragmentRows(rows: readonly DataRow[], negative: string, count: number, seed = 1): DataRow[] {
  const seen = new Set<string>();
  const found: { row: DataRow; text: string; from: number }[] = [];
  rows.forEach((row, from) => {
    if (row.label !== negative) return;
    const whole = row.text.trim();
    for (const line of row.text.split('\n')) {
      for (const piece of line.trim().split(/(?<=[.!?])\s+(?=[A-Z])/)) {
        const text = piece.trim();
        const key = text.toLowerCase();
        if (text.length < 2 || text.length > 120 || text === whole || !/[a-z0-9]/i.test(text)) continue;
        if (seen.has(key)) continue;
        seen.add(key);
        found.push({ row, text, from });
      }
    }
  });
  shuffle(found, seededRandom(seed));
  const perRow = new Map<number, number>();
  const out: DataRow[] = [];
  for (const f of found) {
    if (out.length >= count) break;
    const n = perRow.get(f.from) ?? 0;
    if (n >= 3) continue;
    perRow.set(f.from, n + 1);
    const { text: _, id: __, ...fields } = f.row;
    out.push({ ...fields, text: f.text, source: `${f.row.source}(fragment)` });
  }
  return out;
}

/** A short quoted value of an InjecAgent-style tool result (`'key': 'value'`). */
const QUOTED_VALUE = /:\s*'([^'\n]{2,40})'(?=\s*[,}\]])/g;

/**
 * The recurring values of templated tool results, as benign rows: every quoted value of 2–40
 * characters and at most five words that appears in at least `minRows` of the tool results with a
 * `tool` (names, e-mail addresses, ids, statuses, dates). A value that recurs across a template's
 * rows is the template's own text, not the instruction filled into it; where a template's benign
 * fills all fell on the dev side of the split, its attacks alone taught such values (`Ada Lovelace`,
 * `octocat`) to mean injection. Attacker instructions are sentences, longer than this.
 */
export function templateValueRows(rows: readonly DataRow[], negative: string, minRows = 3): DataRow[] {
  const seen = new Map<string, { n: number; source: string }>();
  for (const r of rows) {
    if (r.surface !== 'tool_result' || r.tool === undefined) continue;
    for (const v of new Set([...r.text.matchAll(QUOTED_VALUE)].map((m) => m[1]!.trim()))) {
      if (v.length < 2 || v.split(/\s+/).length > 5) continue;
      const s = seen.get(v);
      if (s) s.n += 1;
      else seen.set(v, { n: 1, source: r.source });
    }
  }
  return [...seen]
    .filter(([, s]) => s.n >= minRows)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([text, s]) => ({
      text,
      label: negative,
      source: `${s.source}(value)`,
      channel: 'tool_output',
      surface: 'tool_result',
    }));
}
