import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AgentwallError, ErrorCode } from '../core/errors.js';

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
