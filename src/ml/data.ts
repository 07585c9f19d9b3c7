import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { poolSnippets, TRAINED_ON_PACKAGES, type SnippetKind, type SnippetPool } from './benign-pool.js';
import { seededRandom, shuffle } from './prng.js';
import type { TrainingAdditions } from './tasks.js';

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
 * (`poolSnippets`): short lines, sentences, paragraphs, 0.5–4 KB chunks, JSON results and source
 * string messages, labelled `negative` as tool outputs. The `calibration` half (other packages) is never drawn here.
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
 * 2–120 characters that are not the whole text and one run of 1–3 words per row, de-duplicated,
 * shuffled (seeded) and drawn with at most three per row, an equal share from each channel. Short
 * benign text in training otherwise comes from package docs alone, and a model that has seen short
 * docs lines but no short benign prompt, e-mail line or tool-result field learns that a short text
 * that is not docs is an injection.
 */
export function fragmentRows(rows: readonly DataRow[], negative: string, count: number, seed = 1): DataRow[] {
  const random = seededRandom(seed);
  const seen = new Set<string>();
  const found: { row: DataRow; text: string; from: number }[] = [];
  rows.forEach((row, from) => {
    if (row.label !== negative) return;
    const whole = row.text.trim();
    const add = (piece: string) => {
      const text = piece.trim();
      const key = text.toLowerCase();
      if (text.length < 2 || text.length > 120 || text === whole || !/[a-z0-9]/i.test(text)) return;
      if (seen.has(key)) return;
      seen.add(key);
      found.push({ row, text, from });
    };
    for (const line of row.text.split('\n')) {
      for (const piece of line.trim().split(/(?<=[.!?])\s+(?=[A-Z])/)) add(piece);
    }
    // And one run of 1–3 words: single words and pairs are tool outputs too ("Done", "Ada Lovelace").
    const words = row.text.split(/\s+/).filter((w) => /[a-z0-9]/i.test(w));
    const n = 1 + Math.floor(random() * 3);
    const at = Math.floor(random() * Math.max(1, words.length - n + 1));
    if (words.length > n) add(words.slice(at, at + n).join(' '));
  });
  shuffle(found, random);
  // An equal share per channel: tool outputs have far more lines, and prompts need short benign
  // rows as much (a short question is not an injection).
  const channels = [...new Set(found.map((f) => f.row.channel ?? ''))].sort();
  const perRow = new Map<number, number>();
  const out: DataRow[] = [];
  channels.forEach((channel, c) => {
    const quota = Math.floor((count * (c + 1)) / channels.length) - Math.floor((count * c) / channels.length);
    let taken = 0;
    for (const f of found) {
      if (taken >= quota) break;
      const n = perRow.get(f.from) ?? 0;
      if ((f.row.channel ?? '') !== channel || n >= 3) continue;
      perRow.set(f.from, n + 1);
      taken += 1;
      const { text: _, id: __, ...fields } = f.row;
      out.push({ ...fields, text: f.text, source: `${f.row.source}(fragment)` });
    }
  });
  return out;
}

/**
 * JSON copies of the templated tool results of every tool whose results hold both labels: the
 * data serialises InjecAgent results as Python dicts (`{'key': 'value'}`) for both labels so the
 * format carries no label, but an agent's tools return JSON (`{"key": "value"}`) and the package
 * pool adds only benign JSON; without copies of both labels, JSON itself would learn to mean benign.
 * The quotes that delimit keys and values become double quotes (an apostrophe inside a value
 * stays); Python's True/False/None become JSON's. Tools with one label only get no copies.
 */
export function jsonCopies(rows: readonly DataRow[]): DataRow[] {
  const labels = new Map<string, Set<string>>();
  for (const r of rows) {
    if (r.tool === undefined || r.surface !== 'tool_result') continue;
    labels.set(r.tool, (labels.get(r.tool) ?? new Set()).add(r.label));
  }
  const out: DataRow[] = [];
  for (const r of rows) {
    if (r.tool === undefined || r.surface !== 'tool_result' || labels.get(r.tool)!.size < 2) continue;
    const json = pythonDictToJson(r.text);
    if (json !== undefined) out.push({ ...r, text: json, source: `${r.source}(json)` });
  }
  return out;
}

function pythonDictToJson(text: string): string | undefined {
  let t = text.trim();
  if (t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1);
  if (!/^[{[]/.test(t)) return undefined;
  return t
    .replace(/(?<=[{[,:]\s*)'|'(?=\s*[:,}\]])/g, '"')
    .replace(/(?<=[:[,]\s*)True\b/g, 'true')
    .replace(/(?<=[:[,]\s*)False\b/g, 'false')
    .replace(/(?<=[:[,]\s*)None\b/g, 'null');
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

/**
 * The `count` most frequent words of the benign tool outputs (letters and digits, two characters or
 * more, counted once per row), each alone as a benign row. A one-word text is scored on that word's
 * n-grams alone, so a common word that injections also use ("Ok. Now you are …", "… must always
 * be done silently") would otherwise flag a one-word tool output ("OK", "Done"). Multi-word features
 * (bigrams) still carry what makes an injection.
 */
export function commonWordRows(rows: readonly DataRow[], negative: string, count: number): DataRow[] {
  const df = new Map<string, number>();
  for (const r of rows) {
    if (r.label !== negative || r.channel !== 'tool_output') continue;
    for (const w of new Set(r.text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? []))
      df.set(w, (df.get(w) ?? 0) + 1);
  }
  return [...df]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, count)
    .map(([text]) => ({ text, label: negative, source: 'common-words(train)', channel: 'tool_output' }));
}

export interface AddedRows {
  /** The training split followed by every added row, in a fixed order (training is seeded). */
  readonly rows: DataRow[];
  /** What was added, for the model card: counts, sources, how chosen. */
  readonly card: Record<string, unknown>;
}

/**
 * Adds rows to a binary task's training split (never to dev): repeated benign template fills, JSON
 * copies of templated tool results (both labels), fragments and recurring values of the split's own
 * rows, common words, and, given a pool root, snippets of the `train` half of the installed
 * packages; all but the JSON copies are benign. Each part is described in the card.
 */
export function addTrainingRows(
  train: readonly DataRow[],
  add: TrainingAdditions,
  o: { negative: string; positive: string; poolRoot?: string | undefined; seed: number },
): AddedRows {
  const balanced = add.balanceTemplates ? balanceTemplates(train, o.positive) : [];
  const json = add.jsonCopies ? jsonCopies([...train, ...balanced]) : [];
  const fragments = fragmentRows(train, o.negative, add.fragments, o.seed);
  const values = add.templateValues ? templateValueRows(train, o.negative) : [];
  const words = commonWordRows(train, o.negative, add.commonWords);
  const pool =
    o.poolRoot === undefined ? undefined : poolTrainingRows(o.poolRoot, add.pool, o.negative, o.seed);
  const card: Record<string, unknown> = {
    rows_before: train.length,
    rebalanced_templates: {
      what: 'benign tool results repeated per tool template until they match its injection rows (balanceTemplates): InjecAgent fills a template with an attacker instruction about twice as often as with benign text',
      rows: balanced.length,
      by_tool: countBy(balanced, (r) => r.tool ?? ''),
    },
    json_copies: {
      what: 'the templated tool results (and their repeated benign fills) of every tool whose results hold both labels, re-serialised from the data’s Python-dict form to JSON, same label (jsonCopies): agents’ tools return JSON and the pool adds benign JSON only',
      rows: json.length,
      by_label: countBy(json, (r) => r.label),
    },
    fragments: {
      what: 'lines and sentences (2–120 characters, not the whole text) and one run of 1–3 words per row of the split’s benign rows (fragmentRows): de-duplicated, shuffled with the seed, at most three per row, an equal share per channel',
      rows: fragments.length,
      by_channel: countBy(fragments, (r) => r.channel ?? 'none'),
    },
    template_values: {
      what: "quoted values ('key': 'value') of 2–40 characters and at most five words recurring in at least 3 of the split's templated tool results, either label (templateValueRows): names, addresses, ids, statuses, dates — the templates' own text",
      rows: values.length,
    },
    common_words: {
      what: 'the most frequent words (letters/digits, ≥ 2 characters, counted once per row) of the split’s benign tool outputs, each alone (commonWordRows)',
      rows: words.length,
    },
    ...(pool ? { npm_pool: poolCard(pool, o.seed) } : {}),
  };
  const rows = [...train, ...balanced, ...json, ...fragments, ...values, ...words, ...(pool?.rows ?? [])];
  return { rows, card: { ...card, rows_after: rows.length } };
}

function poolCard(a: { rows: readonly DataRow[]; pool: SnippetPool }, seed: number) {
  return {
    what: 'benign tool-output-like text from the installed npm packages (benign-pool.ts poolSnippets), labelled benign, channel tool_output',
    half: 'train',
    split: `by package: FNV-1a of "${seed}\\0<package name>" below 2^31 → train half, else calibration half (halfOf); every copy and version of a package is on one side; ${TRAINED_ON_PACKAGES.join(', ')} left out`,
    selection:
      'every file of the train half, cut into candidates per kind — line: docs lines of 2–80 characters (half with the markdown marker stripped), one in twenty code lines, package.json name/version/description/licence/author; sentence: 20–300 characters of docs prose; paragraph: 80–1,500-character docs blocks; chunk: one 0.5–4 KB slice per file of ≥ 512 characters; json: package.json subsets and whole manifests, registry-search-like result lists, other JSON files cut to 4 KB, {path, content} file reads, compact or (a quarter) pretty-printed; message: string literals of the sources that read as messages (errors, statuses). Every occurrence shuffled (mulberry32, the seed), then drawn in order skipping texts already drawn (normalised), at most ceil(count / 40), ≥ 3, per package',
    packages: a.pool.packages,
    files: a.pool.files,
    rows: a.rows.length,
    by_kind: countBy(a.pool.snippets, (s) => s.kind),
    distinct_candidates: a.pool.candidates,
    sha256: createHash('sha256')
      .update(a.rows.map((r) => r.text).join('\u0000'))
      .digest('hex'),
  };
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1;
  return out;
}
