import { randomUUID } from 'node:crypto';
import type { Database, RootDatabase } from 'lmdb';

export type QuarantineStatus = 'held' | 'released';

/** What the inbound checkpoint withheld from the model, kept for review (docs/inbound.md). */
export interface NewQuarantine {
  readonly kind: 'tool_result' | 'resource' | 'prompt';
  readonly server: string;
  /** The tool, resource URI or prompt name. */
  readonly subject: string;
  readonly session_id: string;
  readonly principal: string;
  readonly event_id: string;
  readonly rules: readonly string[];
  readonly signals: Readonly<Record<string, unknown>>;
  readonly content_hash: string;
  /** The result exactly as the server sent it. */
  readonly original: unknown;
}

export interface QuarantineRecord extends NewQuarantine {
  readonly id: string;
  readonly status: QuarantineStatus;
  readonly created_at: number;
  readonly released_at?: number;
  readonly released_by?: string;
}

export type QuarantineChange =
  | { ok: true; record: QuarantineRecord }
  | { ok: false; code: 'not_found' | 'already_released'; message: string };

/**
 * Quarantined content in the `quarantine` database of the shared LMDB environment, keyed by id.
 * `put` resolves after the commit is synced, so the notice the model gets always names a stored record.
 * Nothing is deleted: release marks the record (the content stays for the audit trail).
 */
export class QuarantineStore {
  readonly #root: RootDatabase;
  readonly #db: Database<QuarantineRecord, string>;

  constructor(root: RootDatabase) {
    this.#root = root;
    this.#db = root.openDB<QuarantineRecord, string>({ name: 'quarantine' });
  }

  async put(entry: NewQuarantine, now = Date.now()): Promise<QuarantineRecord> {
    const record: QuarantineRecord = { ...entry, id: `q-${randomUUID()}`, status: 'held', created_at: now };
    await this.#db.put(record.id, record);
    return record;
  }

  /** As last committed by any process (the read snapshot is renewed first). */
  get(id: string): QuarantineRecord | undefined {
    this.#root.resetReadTxn();
    return this.#db.get(id);
  }

  /** Newest first; `status` filters. */
  list(filter: { status?: QuarantineStatus; limit?: number } = {}): QuarantineRecord[] {
    this.#root.resetReadTxn();
    const out: QuarantineRecord[] = [];
    for (const { value } of this.#db.getRange()) {
      if (filter.status === undefined || value.status === filter.status) out.push(value);
    }
    out.sort((a, b) => b.created_at - a.created_at);
    return out.slice(0, filter.limit ?? 100);
  }

  /** Marks a record released by `by`; the content is then shown to whoever asks the admin API for it. */
  async release(id: string, by: string, now = Date.now()): Promise<QuarantineChange> {
    return this.#db.transaction(() => {
      const record = this.#db.get(id);
      if (!record) return { ok: false, code: 'not_found', message: `no quarantined content ${id}` };
      if (record.status === 'released') {
        return { ok: false, code: 'already_released', message: `${id} was released already` };
      }
      const next: QuarantineRecord = { ...record, status: 'released', released_at: now, released_by: by };
      void this.#db.put(id, next);
      return { ok: true, record: next };
    });
  }
}
