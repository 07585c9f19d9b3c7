import type { RootDatabase } from 'lmdb';
import type { AuditLog } from './audit-log.js';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import { checkAddress, openMemoryDbs, type MemoryDbs } from './memory-keys.js';
import { countNamespaces, indexAndInherit, putVersion, takeIds, verifyMemory } from './memory-write.js';
import {
  applyRestore,
  applyRevocation,
  hasCriteria,
  planRestore,
  planRevocation,
  refreshPlan,
} from './memory-revoke.js';
import { provenanceOf, type ProvenanceGraph } from './memory-provenance.js';
import type {
  ActorOptions,
  ExternalView,
  ExternalWrite,
  MemoryVersion,
  NewExternalWrite,
  NewVersion,
  RestoreOutcome,
  RevocationRecord,
  RevokeCriteria,
  RevokeOutcome,
  VersionView,
} from './memory-types.js';
import type { NamespaceInfo } from './memory-keys.js';

export interface ListOptions {
  /** Keys starting with this. */
  readonly prefix?: string;
  readonly limit?: number;
}

/**
 * Versioned agent memory in the shared LMDB environment (docs/memory.md). Every write is a new
 * immutable version with provenance; reads see the newest version that is neither revoked nor
 * quarantined (a tombstone reads as absent); revocations are records of their own, reversible, and
 * nothing is ever deleted from the file.
 *
 * Writes run inside one LMDB write transaction each (concurrent calls are batched by lmdb-js into one
 * commit), and resolve once the commit is flushed to disk: an acknowledged write survives a crash.
 * LMDB's write lock is cross-process, so several agentwall processes can share the store.
 */
/** How many version ids an audit record of a revocation lists (all of them are in the revocation). */
const AUDITED_IDS = 100;

export class MemoryStore {
  readonly #dbs: MemoryDbs;
  /** Writes made this tick, committed together (see `write`). */
  #queued: { input: NewVersion; resolve: (v: MemoryVersion) => void; reject: (e: unknown) => void }[] = [];

  /** Where revocations, rollbacks and restores are recorded as they are applied (absent: not audited). */
  readonly #audit: AuditLog | undefined;

  constructor(root: RootDatabase, audit?: AuditLog) {
    this.#dbs = openMemoryDbs(root);
    this.#audit = audit;
  }

  /**
   * Writes one version; resolves once it is durable. Invalid addresses throw INVALID_PARAMS. Writes
   * made in the same tick are grouped into one transaction (group commit): a burst of writes pays for
   * one commit and one flush, and each still resolves only once it is on disk.
   */
  write(input: NewVersion): Promise<MemoryVersion> {
    const problem = checkAddress(input.namespace, input.key);
    if (problem !== undefined) return Promise.reject(new AgentwallError(ErrorCode.INVALID_PARAMS, problem));
    return new Promise((resolve, reject) => {
      this.#queued.push({ input, resolve, reject });
      if (this.#queued.length === 1) queueMicrotask(() => this.#commitQueued());
    });
  }

  #commitQueued(): void {
    const batch = this.#queued;
    this.#queued = [];
    this.writeMany(batch.map((q) => q.input)).then(
      (written) => batch.forEach((q, i) => q.resolve(written[i] as MemoryVersion)),
      (err: unknown) => batch.forEach((q) => q.reject(err)),
    );
  }

  /** Writes many versions in one transaction (all or none); resolves once they are durable. */
  async writeMany(inputs: readonly NewVersion[], now: number = Date.now()): Promise<MemoryVersion[]> {
    for (const i of inputs) {
      const problem = checkAddress(i.namespace, i.key);
      if (problem !== undefined) throw new AgentwallError(ErrorCode.INVALID_PARAMS, problem);
    }
    if (inputs.length === 0) return [];
    const d = this.#dbs;
    const written = await d.root.transaction(() => {
      const first = takeIds(d, 'next_id', inputs.length);
      const out = inputs.map((input, i) => putVersion(d, input, first + i, now));
      countNamespaces(d, out);
      return out;
    });
    await d.root.flushed;
    return written;
  }

  /** The newest visible version of an item, or undefined (none, or a tombstone). */
  get(namespace: string, key: string): VersionView | undefined {
    // The common case, the newest version visible, is three point reads; otherwise walk back.
    const head = this.#dbs.heads.get([namespace, key]);
    if (head === undefined) return undefined;
    const newest = this.#view(head[1]);
    if (newest?.status === 'active') return newest.tombstone ? undefined : newest;
    for (const id of this.#idsNewestFirst(namespace, key)) {
      const v = this.#view(id);
      if (v === undefined || v.status !== 'active') continue;
      return v.tombstone ? undefined : v;
    }
    return undefined;
  }

  /** Every version of an item, newest first, with its status (admins: revoked and quarantined included). */
  history(namespace: string, key: string): VersionView[] {
    this.#dbs.root.resetReadTxn();
    return [...this.#idsNewestFirst(namespace, key)].flatMap((id) => this.#view(id) ?? []);
  }

  /** One version by id, whatever its status. */
  version(id: number): VersionView | undefined {
    return this.#view(id);
  }

  /** The newest visible version of each live key of a namespace (key order). */
  list(namespace: string, options: ListOptions = {}): VersionView[] {
    const prefix = options.prefix ?? '';
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const out: VersionView[] = [];
    let current: string | undefined;
    let best: VersionView | undefined;
    const flush = () => {
      if (best !== undefined && !best.tombstone) out.push(best);
      best = undefined;
    };
    for (const { key, value } of this.#dbs.items.getRange({
      start: [namespace, prefix] as never,
      end: [namespace, `${prefix}\uffff`] as never,
    })) {
      const itemKey = key[1];
      if (itemKey !== current) {
        flush();
        if (out.length >= limit) break;
        current = itemKey;
      }
      const v = this.#view(value);
      if (v !== undefined && v.status === 'active') best = v; // ascending seq: the last visible wins
    }
    if (out.length < limit) flush();
    return out;
  }

  namespaces(): (NamespaceInfo & { namespace: string })[] {
    this.#dbs.root.resetReadTxn();
    return [...this.#dbs.namespaces.getRange({})].map(({ key, value }) => ({ namespace: key, ...value }));
  }

  /**
   * Revokes what `criteria` select (cascading unless `cascade: false`). The plan is computed inside the
   * write transaction that applies it; `dryRun` computes the same plan and writes nothing.
   */
  async revoke(criteria: RevokeCriteria, actor: ActorOptions): Promise<RevokeOutcome> {
    return this.#revoke('revoke', criteria, actor);
  }

  /** Revokes every version of `namespace` written after `to` (not cascading unless asked). */
  async rollback(
    target: { namespace: string; to: number; cascade?: boolean },
    actor: ActorOptions,
  ): Promise<RevokeOutcome> {
    const criteria = { namespace: target.namespace, since: target.to + 1, cascade: target.cascade ?? false };
    return this.#revoke('rollback', criteria, actor);
  }

  async #revoke(
    action: 'revoke' | 'rollback',
    criteria: RevokeCriteria,
    actor: ActorOptions,
  ): Promise<RevokeOutcome> {
    if (!hasCriteria(criteria)) {
      return { ok: false, code: 'no_criteria', message: 'give at least one criterion of what to revoke' };
    }
    const d = this.#dbs;
    if (actor.dryRun === true) {
      d.root.resetReadTxn();
      return { ok: true, dry_run: true, ...planRevocation(d, criteria) };
    }
    // Planned on a fresh snapshot (fast index walks), then refreshed inside the write transaction
    // with whatever was written since, so what is applied is exactly what the criteria select then.
    d.root.resetReadTxn();
    const snapshot = planRevocation(d, criteria);
    const snapshotNextId = d.meta.get('next_id') ?? 0;
    const outcome = await d.root.transaction((): RevokeOutcome => {
      const plan = refreshPlan(d, snapshot, criteria, snapshotNextId);
      if (plan.versions.length + plan.external.length === 0) return { ok: true, dry_run: false, ...plan };
      const record: RevocationRecord = {
        id: takeIds(d, 'next_revocation'),
        action,
        by: actor.by,
        reason: actor.reason ?? '',
        criteria,
        versions: plan.versions,
        external: plan.external,
        time: actor.now ?? Date.now(),
      };
      void d.revocations.put(record.id, record);
      applyRevocation(d, plan, record.id);
      return { ok: true, dry_run: false, revocation: record, ...plan };
    });
    await d.root.flushed;
    if (outcome.ok && outcome.revocation) await this.#audited(action, outcome.revocation);
    return outcome;
  }

  /**
   * Appends a change of what reads see to the audit chain (once it is durable in the store), so the
   * hash-chained log answers "who revoked what, and who undid it" beside every verdict.
   */
  async #audited(action: 'revoke' | 'rollback' | 'restore', r: RevocationRecord): Promise<void> {
    if (!this.#audit) return;
    const restore = action === 'restore' && r.restored !== undefined ? r.restored : undefined;
    await this.#audit.append({
      time: restore?.time ?? r.time,
      event_id: `revocation-${r.id}-${action}`,
      kind: `memory_${action}`,
      session: '',
      principal: restore?.by ?? r.by,
      server: 'agentwall',
      subject: `revocation ${r.id}`,
      action,
      rules: [],
      latency_ms: 0,
      detail: {
        revocation: r.id,
        reason: restore?.reason ?? r.reason,
        criteria: r.criteria,
        versions: r.versions.length,
        version_ids: r.versions.slice(0, AUDITED_IDS),
        external: r.external.length,
      },
    });
  }

  /** Undoes exactly one revocation's effect: what no other revocation holds becomes visible again. */
  async restore(revocation: number, actor: ActorOptions): Promise<RestoreOutcome> {
    const d = this.#dbs;
    const run = (): RestoreOutcome => {
      const record = d.revocations.get(revocation);
      if (record === undefined) {
        return { ok: false, code: 'not_found', message: `no revocation ${revocation}` };
      }
      if (record.restored !== undefined) {
        const by = `${record.restored.by} at ${new Date(record.restored.time).toISOString()}`;
        return {
          ok: false,
          code: 'already_restored',
          message: `revocation ${revocation} was restored by ${by}`,
        };
      }
      const plan = planRestore(d, record);
      if (actor.dryRun === true) return { ok: true, dry_run: true, revocation: record, ...plan };
      const restored = { by: actor.by, reason: actor.reason ?? '', time: actor.now ?? Date.now() };
      const next: RevocationRecord = { ...record, restored };
      void d.revocations.put(record.id, next);
      applyRestore(d, plan, record.id);
      return { ok: true, dry_run: false, revocation: next, ...plan };
    };
    if (actor.dryRun === true) {
      d.root.resetReadTxn();
      return run();
    }
    const outcome = await d.root.transaction(run);
    await d.root.flushed;
    if (outcome.ok) await this.#audited('restore', outcome.revocation);
    return outcome;
  }

  revocations(): RevocationRecord[] {
    this.#dbs.root.resetReadTxn();
    return [...this.#dbs.revocations.getRange({})].map((e) => e.value);
  }

  revocation(id: number): RevocationRecord | undefined {
    return this.#dbs.revocations.get(id);
  }

  /** The version's ancestors (what it was derived from) and descendants (what was derived from it). */
  provenance(id: number, maxNodes = 10_000): ProvenanceGraph | undefined {
    this.#dbs.root.resetReadTxn();
    return provenanceOf(this.#dbs, id, (i) => this.#view(i) ?? this.external(i), maxNodes);
  }

  /** Journals a call to another server that keeps state; resolves once durable. */
  async journalExternal(input: NewExternalWrite, now: number = Date.now()): Promise<ExternalWrite> {
    const d = this.#dbs;
    const record = await d.root.transaction(() => {
      const { time, ...rest } = input;
      const written: ExternalWrite = { ...rest, id: takeIds(d, 'next_id'), time: time ?? now };
      void d.external.put(written.id, written);
      indexAndInherit(d, written.id, written);
      return written;
    });
    await d.root.flushed;
    return record;
  }

  external(id: number): ExternalView | undefined {
    const record = this.#dbs.external.get(id);
    if (record === undefined) return undefined;
    const held = this.#dbs.status.get(id) ?? [];
    return {
      ...record,
      status: held.length > 0 ? 'revoked' : 'active',
      revoked_by: held,
      compensations: this.#dbs.compensations.get(id) ?? [],
    };
  }

  /** Journaled external writes, oldest first. */
  externalWrites(filter: { status?: 'active' | 'revoked' } = {}): ExternalView[] {
    this.#dbs.root.resetReadTxn();
    const out: ExternalView[] = [];
    for (const { key } of this.#dbs.external.getRange({})) {
      const v = this.external(key);
      if (v !== undefined && (filter.status === undefined || v.status === filter.status)) out.push(v);
    }
    return out;
  }

  /** Records what a compensating call issued for an external write did. */
  async recordCompensation(
    id: number,
    outcome: { revocation: number; ok: boolean; detail: string },
  ): Promise<void> {
    const d = this.#dbs;
    await d.root.transaction(() => {
      const list = d.compensations.get(id) ?? [];
      void d.compensations.put(id, [...list, { ...outcome, time: Date.now() }]);
    });
    await d.root.flushed;
  }

  /**
   * Checks the store's invariants (after a crash, or on demand): see `verifyMemory`. Reads everything:
   * for verification, not the request path.
   */
  verify(): { ok: boolean; versions: number; problems: string[] } {
    this.#dbs.root.resetReadTxn();
    return verifyMemory(this.#dbs);
  }

  *#idsNewestFirst(namespace: string, key: string): Generator<number> {
    for (const { value } of this.#dbs.items.getRange({
      start: [namespace, key, Number.MAX_SAFE_INTEGER],
      end: [namespace, key] as never,
      reverse: true,
    })) {
      yield value;
    }
  }

  #view(id: number): VersionView | undefined {
    const v = this.#dbs.versions.get(id);
    if (v === undefined) return undefined;
    const held = this.#dbs.status.get(id);
    if (held === undefined || held.length === 0) return { ...v, revoked_by: [] };
    return { ...v, status: 'revoked', revoked_by: held };
  }
}
