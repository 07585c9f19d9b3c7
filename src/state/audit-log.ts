import type { Database } from 'lmdb';
import { sha256Canonical } from './canonical.js';

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

export const GENESIS = '0'.repeat(64);

/** How long appends gather before one transaction writes them (see AuditLog). */
export const AUDIT_BATCH_WINDOW_MS = 10;

/**
 * Append-only, hash-chained audit log. Appends gather for up to `batchWindowMs` and are then written
 * together by one LMDB write transaction that reads the current head and chains the new records onto
 * it, so the chain stays linear even when several agentwall processes share the data file (LMDB's
 * write lock is cross-process). A transaction costs the main thread tens of microseconds and a sync
 * of the file; paying that once per window rather than once per record is what keeps auditing off
 * the proxy's latency (measured in bench/mcp.ts).
 */
export class AuditLog {
  readonly #db: Database<AuditRecord, number>;
  /** The last batch's transaction: true once committed, false if it failed. */
  #pending: Promise<boolean> = Promise.resolve(true);
  #isFailing = false;
  #failures = 0;
  #batch: { entry: AuditEntry; resolve: (r: AuditRecord) => void; reject: (e: unknown) => void }[] = [];

  readonly #windowMs: number;

  constructor(db: Database, batchWindowMs = AUDIT_BATCH_WINDOW_MS) {
    this.#db = db as unknown as Database<AuditRecord, number>;
    this.#windowMs = batchWindowMs;
  }

  /** Queues the record; resolves once it is durably committed. */
  append(entry: AuditEntry): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      if (this.#batch.length === 0) setTimeout(() => this.#writeBatch(), this.#windowMs);
      this.#batch.push({ entry, resolve, reject });
    });
  }

  #writeBatch(): void {
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    const done = this.#db.transaction(() => {
      const head = this.#head();
      let seq = head?.seq ?? 0;
      let prev = head?.hash ?? GENESIS;
      return batch.map(({ entry }) => {
        seq += 1;
        const record = this.#put(entry, seq, prev);
        prev = record.hash;
        return record;
      });
    });
    this.#pending = done.then(
      (records) => {
        batch.forEach((b, i) => b.resolve(records[i] as AuditRecord));
        this.#isFailing = false;
        return true;
      },
      (err: unknown) => {
        observeCommitFailure(err);
        this.#isFailing = true;
        this.#failures += batch.length;
        batch.forEach((b) => b.reject(err));
        return false;
      },
    );
  }

  /**
   * Resolves once every record appended so far — including those of verdicts whose sinks were deferred
   * to the next turn (`deferSinks` runs them on `setImmediate`, which runs in order) — is committed, so
   * that a reply sent afterwards never acknowledges a call the log could lose to a crash. It starts the
   * pending batch at once rather than after the batch window: one waiting caller pays one commit.
   * Resolves to false when that commit failed (disk full, I/O error): the caller must fail closed.
   */
  async durable(): Promise<boolean> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.#batch.length > 0) this.#writeBatch();
    if (!(await this.#pending)) return false;
    // lmdb-js resolves a write when it is committed and visible; with overlappingSync (its default on
    // Linux) the flush comes after, and a process killed in between loses the commit (found by
    // tests/hardening/durability.test.ts). Acknowledging waits for the flush.
    await (this.#db as unknown as { flushed: PromiseLike<unknown> }).flushed;
    return true;
  }

  /** Resolves when every append made so far has committed (or failed). */
  async flushed(): Promise<void> {
    if (this.#batch.length > 0) this.#writeBatch();
    await this.#pending;
  }

  /** Whether the last batch failed to commit (and none has committed since). */
  get isFailing(): boolean {
    return this.#isFailing;
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

  /**
   * Writes one record inside the batch's transaction. An entry whose detail cannot be hashed or encoded
   * (nested too deep for the recursive canonicaliser or msgpack) is recorded without it, saying why:
   * throwing here would abort the transaction and lose every record of the batch, other callers' too.
   */
  #put(entry: AuditEntry, seq: number, prev: string): AuditRecord {
    try {
      const body = { ...entry, seq, prev };
      const record: AuditRecord = { ...body, hash: hashRecord(body) };
      void this.#db.put(seq, record);
      return record;
    } catch (err) {
      const detail = { unrecordable: `detail not recorded: ${(err as Error).message}` };
      const body = { ...entry, detail, seq, prev };
      const record: AuditRecord = { ...body, hash: hashRecord(body) };
      void this.#db.put(seq, record);
      return record;
    }
  }

  #head(): AuditRecord | undefined {
    for (const { value } of this.#db.getRange({ reverse: true, limit: 1 })) return value;
    return undefined;
  }
}

/**
 * lmdb-js rejects every write of a failed commit (disk full, I/O error) with an error whose
 * `commitError` is one more promise, rejected with the cause and shared by the whole commit; unobserved,
 * that rejection ends the process (found by tests/hardening/disk-full.test.ts). Writers observe it here.
 */
export function observeCommitFailure(err: unknown): void {
  const commitError = (err as { commitError?: unknown } | null)?.commitError;
  if (commitError instanceof Promise) commitError.catch(() => undefined);
}

/**
 * Whether an unhandled rejection is lmdb-js's own echo of a failed commit: it also rejects internal
 * promises no caller can reach (lmdb 3.5). The commit's writers have seen the failure already.
 */
export function isCommitFailure(reason: unknown): boolean {
  if (!(reason instanceof Error) || !('commitError' in reason)) return false;
  observeCommitFailure(reason);
  return true;
}

/** `write`, with a failed commit's extra rejection observed (see observeCommitFailure). */
export function committed<T>(write: Promise<T>): Promise<T> {
  return write.catch((err: unknown) => {
    observeCommitFailure(err);
    throw err;
  });
}

export function hashRecord(body: object): string {
  return sha256Canonical(body);
}
