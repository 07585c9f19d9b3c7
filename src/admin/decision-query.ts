import type { Database, RootDatabase } from 'lmdb';
import type { AuditRecord } from '../state/audit-log.js';

/** Which audit records a decisions query or stream selects; every given field must hold. */
export interface DecisionFilter {
  readonly since?: number;
  readonly until?: number;
  readonly session?: string;
  readonly principal?: string;
  readonly server?: string;
  /** The tool, resource URI or prompt (the record's `subject`). */
  readonly tool?: string;
  readonly action?: string;
  /** A rule that fired (enforce or shadow). */
  readonly rule?: string;
  readonly kind?: string;
}

export interface DecisionQuery extends DecisionFilter {
  readonly limit: number;
  /** Only records with a smaller sequence number: the next page, newest first. */
  readonly before?: number;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

const STRING_FILTERS = ['session', 'principal', 'server', 'tool', 'action', 'rule', 'kind'] as const;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function timeOf(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : Date.parse(text);
}

/** The filter of a query string: times as ISO 8601 or milliseconds since the epoch. */
export function parseFilter(query: URLSearchParams): Parsed<DecisionFilter> {
  const out: Record<string, string | number> = {};
  for (const k of STRING_FILTERS) {
    const v = query.get(k);
    if (v !== null && v !== '') out[k] = v;
  }
  for (const k of ['since', 'until'] as const) {
    const v = query.get(k);
    if (v === null || v === '') continue;
    const ms = timeOf(v);
    if (!Number.isFinite(ms)) return { ok: false, message: `${k} must be an ISO 8601 time or milliseconds` };
    out[k] = ms;
  }
  const value: DecisionFilter = out;
  return { ok: true, value };
}

/** The filter plus `limit` (1–1000, default 100) and `before` (a sequence number). */
export function parseQuery(query: URLSearchParams): Parsed<DecisionQuery> {
  const filter = parseFilter(query);
  if (!filter.ok) return filter;
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return { ok: false, message: `limit must be an integer from 1 to ${MAX_LIMIT}` };
  }
  const beforeText = query.get('before');
  const before = beforeText === null ? undefined : Number(beforeText);
  if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) {
    return { ok: false, message: 'before must be a sequence number' };
  }
  return { ok: true, value: { ...filter.value, limit, ...(before === undefined ? {} : { before }) } };
}

export function matches(r: AuditRecord, f: DecisionFilter): boolean {
  return (
    (f.since === undefined || r.time >= f.since) &&
    (f.until === undefined || r.time <= f.until) &&
    (f.session === undefined || r.session === f.session) &&
    (f.principal === undefined || r.principal === f.principal) &&
    (f.server === undefined || r.server === f.server) &&
    (f.tool === undefined || r.subject === f.tool) &&
    (f.action === undefined || r.action === f.action) &&
    (f.kind === undefined || r.kind === f.kind) &&
    (f.rule === undefined || r.rules.some((x) => x.id === f.rule))
  );
}

/**
 * Reads the audit log for the console: newest first (the `AuditLog` class reads oldest first only)
 * and from a sequence number on. It opens the log's own database (`audit`, src/state/store.ts) and
 * never writes to it; each read renews the snapshot, so records other processes appended are seen.
 */
export class AuditReader {
  readonly #root: RootDatabase;
  readonly #db: Database<AuditRecord, number>;

  constructor(root: RootDatabase) {
    this.#root = root;
    this.#db = root.openDB<AuditRecord, number>({ name: 'audit' });
  }

  /** Matching records, newest first; `next_before` is set when there may be more. */
  query(q: DecisionQuery): { decisions: AuditRecord[]; next_before?: number } {
    this.#root.resetReadTxn();
    const out: AuditRecord[] = [];
    const range = this.#db.getRange({
      reverse: true,
      ...(q.before === undefined ? {} : { start: q.before - 1 }),
    });
    for (const { value } of range) {
      // Records are appended in about time order (a batch may interleave events by a few ms): a
      // minute before `since`, nothing older can match.
      if (q.since !== undefined && value.time < q.since - 60_000) break;
      if (!matches(value, q)) continue;
      out.push(value);
      if (out.length === q.limit) return { decisions: out, next_before: value.seq };
    }
    return { decisions: out };
  }

  /** Up to `limit` records after `seq`, oldest first. */
  after(seq: number, limit = 500): AuditRecord[] {
    this.#root.resetReadTxn();
    return [...this.#db.getRange({ start: seq + 1, limit })].map((e) => e.value);
  }

  /** The sequence number of the newest record (0 when the log is empty). */
  head(): number {
    this.#root.resetReadTxn();
    for (const { key } of this.#db.getRange({ reverse: true, limit: 1 })) return key;
    return 0;
  }

  get(eventId: string, scanLimit = 100_000): AuditRecord | undefined {
    this.#root.resetReadTxn();
    let n = 0;
    for (const { value } of this.#db.getRange({ reverse: true })) {
      if (value.event_id === eventId) return value;
      if (++n >= scanLimit) return undefined;
    }
    return undefined;
  }
}
