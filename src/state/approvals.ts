import { randomUUID } from 'node:crypto';
import { sha256Canonical } from './canonical.js';
import { committed } from './audit-log.js';
import type { Database, RootDatabase } from 'lmdb';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired'];

/** What the gate knows about a call it holds; the store adds id, status, hash and times. */
export interface NewApproval {
  readonly server: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: string;
  readonly session_id: string;
  readonly rules: readonly string[];
  readonly message: string;
  /** The policy revision that asked; the approval holds under it only. */
  readonly revision: string;
  readonly timeoutMs: number;
}

/** One held tool call and what became of it (docs/approvals.md, "The record"). */
export interface ApprovalRecord extends Omit<NewApproval, 'timeoutMs'> {
  readonly id: string;
  readonly status: ApprovalStatus;
  /** SHA-256 of the RFC 8785 canonical JSON of `{ server, tool, args }`: what exactly was approved. */
  readonly call_hash: string;
  readonly created_at: number;
  readonly expires_at: number;
  readonly decided_at?: number;
  readonly decided_by?: string;
  readonly reason?: string;
}

/** Why a record could not change: expected outcomes, returned as values (STYLE.md). */
export type ApprovalChange =
  | { ok: true; record: ApprovalRecord }
  | { ok: false; code: 'not_found'; message: string }
  | { ok: false; code: 'already_decided' | 'expired'; message: string; record: ApprovalRecord };

export type Decision = 'approved' | 'denied';

/** The identity of a call: RFC 8785 (JCS) makes key order and number spelling irrelevant. */
export function callHash(call: { server: string; tool: string; args: unknown }): string {
  return sha256Canonical({ server: call.server, tool: call.tool, args: call.args });
}

type Listener = (record: ApprovalRecord) => void;

/**
 * Approvals in the `approvals` database of the shared LMDB environment, keyed by id. Every change is
 * a read-check-write inside one LMDB write transaction, and LMDB's write lock is cross-process, so a
 * `serve`, an `mcp` and a CLI sharing the data file can never both decide one record. Each method
 * resolves only after its transaction has committed (synced), so an acknowledged decision survives a
 * crash. Listeners hear about changes made through this instance; other processes' changes are seen
 * by reading again (see `get`).
 */
export class ApprovalStore {
  readonly #root: RootDatabase;
  readonly #db: Database<ApprovalRecord, string>;
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(root: RootDatabase) {
    this.#root = root;
    this.#db = root.openDB<ApprovalRecord, string>({ name: 'approvals' });
  }

  /** Stores a new pending record; resolves once it is durable. */
  async create(input: NewApproval, now: number = Date.now()): Promise<ApprovalRecord> {
    const { timeoutMs, ...call } = input;
    const record: ApprovalRecord = {
      id: randomUUID(),
      status: 'pending',
      call_hash: callHash(call),
      ...call,
      rules: [...call.rules],
      created_at: now,
      expires_at: now + timeoutMs,
    };
    await committed(this.#db.put(record.id, record));
    return record;
  }

  /**
   * The record as last committed by any process: lmdb-js reuses a read snapshot within an event turn,
   * so it is renewed first to see a decision that another process has just made.
   */
  get(id: string): ApprovalRecord | undefined {
    this.#root.resetReadTxn();
    return this.#db.get(id);
  }

  /** Every record (optionally of one status), oldest first. */
  list(filter: { status?: ApprovalStatus } = {}): ApprovalRecord[] {
    this.#root.resetReadTxn();
    const out: ApprovalRecord[] = [];
    for (const { value } of this.#db.getRange({})) {
      if (filter.status === undefined || value.status === filter.status) out.push(value);
    }
    return out.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
  }

  /** Approves or denies a pending, unexpired record; a pending one past its expiry becomes expired. */
  decide(
    id: string,
    decision: Decision,
    by: string,
    reason?: string,
    now: number = Date.now(),
  ): Promise<ApprovalChange> {
    return this.#change(id, now, (record) => ({
      ...record,
      status: decision,
      decided_at: now,
      decided_by: by,
      ...(reason === undefined || reason === '' ? {} : { reason }),
    }));
  }

  /** Marks one pending record expired now: its holder's timeout has passed (or it gave up waiting). */
  expire(id: string, now: number = Date.now()): Promise<ApprovalChange> {
    return this.#change(id, now, undefined);
  }

  /** Marks every pending record whose expiry has passed as expired; resolves to those records. */
  async expireDue(now: number = Date.now()): Promise<ApprovalRecord[]> {
    const isDue = (r: ApprovalRecord) => r.status === 'pending' && r.expires_at <= now;
    // Listing calls this; a write transaction (and its sync) is paid only when something is due.
    if (!this.list({ status: 'pending' }).some(isDue)) return [];
    const expired = await committed(
      this.#db.transaction(() => {
        const due: ApprovalRecord[] = [];
        for (const { value } of this.#db.getRange({})) {
          if (!isDue(value)) continue;
          const record = expiredRecord(value, now);
          void this.#db.put(record.id, record);
          due.push(record);
        }
        return due;
      }),
    );
    expired.forEach((r) => this.#notify(r));
    return expired;
  }

  /** Calls `listener` when this instance changes the record; returns the unsubscribe function. */
  watch(id: string, listener: Listener): () => void {
    const set = this.#listeners.get(id) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(id, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(id);
    };
  }

  /**
   * The one place a single record leaves `pending`. `decided` makes the decided record; without it
   * (or when the record is past its expiry, whatever was asked) the record is written as expired.
   */
  async #change(
    id: string,
    now: number,
    decided: ((r: ApprovalRecord) => ApprovalRecord) | undefined,
  ): Promise<ApprovalChange> {
    let written: ApprovalRecord | undefined;
    const change = await committed(
      this.#db.transaction((): ApprovalChange => {
        const record = this.#db.get(id);
        if (record === undefined) return { ok: false, code: 'not_found', message: `no approval ${id}` };
        if (record.status === 'expired') return refusal('expired', record);
        if (record.status !== 'pending') return refusal('already_decided', record);
        const late = decided !== undefined && record.expires_at <= now;
        written = decided === undefined || late ? expiredRecord(record, now) : decided(record);
        void this.#db.put(id, written);
        return late ? refusal('expired', written) : { ok: true, record: written };
      }),
    );
    if (written !== undefined) this.#notify(written);
    return change;
  }

  #notify(record: ApprovalRecord): void {
    for (const listener of [...(this.#listeners.get(record.id) ?? [])]) listener(record);
  }
}

function expiredRecord(record: ApprovalRecord, now: number): ApprovalRecord {
  return { ...record, status: 'expired', decided_at: now };
}

function refusal(code: 'already_decided' | 'expired', record: ApprovalRecord): ApprovalChange {
  const message =
    code === 'expired'
      ? `approval ${record.id} expired at ${new Date(record.expires_at).toISOString()}`
      : `approval ${record.id} was already ${record.status} by ${record.decided_by ?? 'unknown'}`;
  return { ok: false, code, message, record };
}
