import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import type { Database } from 'lmdb';

/** What a checkpoint reports for one verdict; the log adds sequence number and chain hashes. */
export interface AuditEntry {
  readonly time: number;
  readonly event_id: string;
  readonly kind: string;
  readonly session: string;
  readonly principal: string;
  readonly server: string;
  readonly subject: string;
  readonly action: string;
  readonly rules: readonly { id: string; action: string; mode: string }[];
  readonly latency_ms: number;
  /** Event details needed to replay the decision (e.g. tool arguments); never raw tool output. */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  /** Hash of the previous record (`GENESIS` for the first). */
  readonly prev: string;
  /** SHA-256 over the RFC 8785 canonical JSON of this record without `hash`. */
  readonly hash: string;
}

export type AuditVerification =
  { ok: true; count: number; head: string } | { ok: false; count: number; seq: number; reason: string };

// canonicalize is CommonJS (`module.exports = serialize`) but its typings declare an ES default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined;

export const GENESIS = '0'.repeat(64);

/**
 * Append-only, hash-chained audit log. Each append runs in an LMDB write transaction that reads the
 * current head and writes the next record, so the chain stays linear even when several agentwall
 * processes share the data file (LMDB's write lock is cross-process).
 */
export class AuditLog {
  readonly #db: Database<AuditRecord, number>;
  #pending: Promise<unknown> = Promise.resolve();
  #failures = 0;

  constructor(db: Database) {
    this.#db = db as unknown as Database<AuditRecord, number>;
  }

  /** Queues the record; resolves once it is durably committed. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    const done = this.#db.transaction(() => {
      const head = this.#head();
      const seq = (head?.seq ?? 0) + 1;
      const body = { ...stripUndefined(entry), seq, prev: head?.hash ?? GENESIS };
      const record: AuditRecord = { ...body, hash: hashRecord(body) };
      void this.#db.put(seq, record);
      return record;
    });
    this.#pending = done.catch(() => {
      this.#failures += 1;
    });
    return done;
  }

  /** Resolves when every append made so far has committed (or failed). */
  async flushed(): Promise<void> {
    await this.#pending;
  }

  get failures(): number {
    return this.#failures;
  }

  /** Records in sequence order, optionally from `fromSeq` on. */
  *records(fromSeq = 1): Generator<AuditRecord> {
    for (const { value } of this.#db.getRange({ start: fromSeq })) yield value;
  }

  /** Recomputes the chain from the first record and reports the first record that does not match. */
  verify(): AuditVerification {
    let prev = GENESIS;
    let expectedSeq = 1;
    let count = 0;
    for (const { key, value } of this.#db.getRange({ start: 0 })) {
      const { hash, ...body } = value;
      if (key !== expectedSeq || value.seq !== expectedSeq) {
        return {
          ok: false,
          count,
          seq: expectedSeq,
          reason: `record ${expectedSeq} is missing (found ${key})`,
        };
      }
      if (value.prev !== prev) {
        return {
          ok: false,
          count,
          seq: key,
          reason: `record ${key} does not point to the hash of record ${key - 1}`,
        };
      }
      if (hashRecord(body) !== hash) {
        return {
          ok: false,
          count,
          seq: key,
          reason: `record ${key} was modified: its hash does not match its content`,
        };
      }
      prev = hash;
      expectedSeq += 1;
      count += 1;
    }
    return { ok: true, count, head: prev };
  }

  #head(): AuditRecord | undefined {
    for (const { value } of this.#db.getRange({ reverse: true, limit: 1 })) return value;
    return undefined;
  }
}

export function hashRecord(body: object): string {
  return createHash('sha256')
    .update(canonicalize(body) ?? '')
    .digest('hex');
}

function stripUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
