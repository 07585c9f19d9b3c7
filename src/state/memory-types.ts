/**
 * The records of the memory store (docs/memory.md): immutable versions with provenance, the journal of
 * writes made through other MCP servers, and revocations. Every id (versions and external writes alike)
 * comes from one sequence, so the provenance index and the status table need not say which kind an id is.
 */

/** Content that entered the session before a write: one inbound source (src/core/session.ts `TaintSource`). */
export interface ContentSource {
  readonly type: 'content';
  readonly kind: 'tool_result' | 'resource' | 'prompt' | 'sampling';
  readonly server: string;
  /** The tool, resource URI or prompt name. */
  readonly subject: string;
  readonly call_id?: string;
  /** SHA-256 of the content as the server sent it. */
  readonly content_hash: string;
  readonly url?: string;
  /** The session labels this content set (`untrusted_content`, `injection_suspected`, …). */
  readonly labels: readonly string[];
  readonly time: number;
}

/** What a write was derived from: a memory version the session read, or content it received. */
export type DerivedFrom = { readonly type: 'memory'; readonly id: number } | ContentSource;

/** Stored status; revocation is kept apart (the status table), so a version record never changes. */
export type WriteStatus = 'active' | 'quarantined';

/** What `write` takes; the store adds id, seq and (unless given) time. */
export interface NewVersion {
  readonly namespace: string;
  readonly key: string;
  readonly value: unknown;
  /** A `delete`: reads find nothing (history keeps it). */
  readonly tombstone?: boolean;
  readonly principal: string;
  readonly session: string;
  readonly labels?: readonly string[];
  readonly derived_from?: readonly DerivedFrom[];
  /** `quarantined`: kept, shown to admins only (a policy said so). */
  readonly status?: WriteStatus;
  /** The `memory_write` event whose verdict let it through, and the rules that fired. */
  readonly event_id?: string;
  readonly rules?: readonly string[];
  readonly time?: number;
}

/** One immutable version of an item `(namespace, key)`; `seq` counts the item's versions from 1. */
export interface MemoryVersion {
  readonly id: number;
  readonly namespace: string;
  readonly key: string;
  readonly seq: number;
  readonly value: unknown;
  readonly tombstone: boolean;
  readonly principal: string;
  readonly session: string;
  readonly time: number;
  readonly labels: readonly string[];
  readonly derived_from: readonly DerivedFrom[];
  readonly status: WriteStatus;
  readonly event_id?: string;
  readonly rules?: readonly string[];
}

export type VersionStatus = 'active' | 'quarantined' | 'revoked';

/** A version as reads and history show it: its current status, and the revocations that hold it. */
export interface VersionView extends Omit<MemoryVersion, 'status'> {
  readonly status: VersionStatus;
  readonly revoked_by: readonly number[];
}

/** A call to another MCP server that keeps state (configuration `memory.external`), journaled. */
export interface NewExternalWrite {
  readonly server: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: string;
  readonly session: string;
  readonly call_id: string;
  readonly derived_from: readonly DerivedFrom[];
  /** The compensating call configured for this tool, made from the arguments (issued on revocation). */
  readonly compensation?: { readonly tool: string; readonly args: Readonly<Record<string, unknown>> };
  readonly time?: number;
}

export interface ExternalWrite extends Omit<NewExternalWrite, 'time'> {
  readonly id: number;
  readonly time: number;
}

export interface ExternalView extends ExternalWrite {
  readonly status: 'active' | 'revoked';
  readonly revoked_by: readonly number[];
  /** What became of the compensating calls issued for it, newest last. */
  readonly compensations: readonly CompensationOutcome[];
}

export interface CompensationOutcome {
  readonly revocation: number;
  readonly ok: boolean;
  readonly detail: string;
  readonly time: number;
}

/**
 * What to revoke. Every given criterion must hold (they intersect); at least one of them other than
 * `cascade` must be given. `cascade` (on unless false) adds everything transitively derived from what
 * matched, in any namespace.
 */
export interface RevokeCriteria {
  readonly ids?: readonly number[];
  /** Versions written in this session / by this principal. */
  readonly session?: string;
  readonly principal?: string;
  /** Versions derived from content that came from this server; `tool` with it: from that tool. */
  readonly server?: string;
  readonly tool?: string;
  /** A glob over source URLs: `*` matches any run of characters, `?` one. */
  readonly url?: string;
  readonly content_hash?: string;
  readonly label?: string;
  readonly namespace?: string;
  /** Time window, inclusive, in ms since the epoch. */
  readonly since?: number;
  readonly until?: number;
  readonly cascade?: boolean;
}

export interface RevocationRecord {
  readonly id: number;
  readonly action: 'revoke' | 'rollback';
  readonly by: string;
  readonly reason: string;
  readonly criteria: RevokeCriteria;
  /** Every version the revocation covers (matched, and derived when cascading), ascending. */
  readonly versions: readonly number[];
  readonly external: readonly number[];
  readonly time: number;
  readonly restored?: { readonly by: string; readonly reason: string; readonly time: number };
}

/** What a revocation (or its dry run) covers and changes. */
export interface RevocationPlan {
  readonly versions: readonly number[];
  readonly external: readonly number[];
  /** The ids whose status changes: not revoked before, revoked after. */
  readonly changed: readonly number[];
}

export type RevokeOutcome =
  | ({
      readonly ok: true;
      readonly dry_run: boolean;
      readonly revocation?: RevocationRecord;
    } & RevocationPlan)
  | { readonly ok: false; readonly code: 'no_criteria' | 'invalid'; readonly message: string };

export interface RestorePlan {
  /** Everything the revocation holds: what it covered, and versions written later from them. */
  readonly versions: readonly number[];
  readonly external: readonly number[];
  /** The ids that become visible again (no other revocation holds them). */
  readonly changed: readonly number[];
}

export type RestoreOutcome =
  | ({ readonly ok: true; readonly dry_run: boolean; readonly revocation: RevocationRecord } & RestorePlan)
  | { readonly ok: false; readonly code: 'not_found' | 'already_restored'; readonly message: string };

export interface ActorOptions {
  readonly by: string;
  readonly reason?: string;
  readonly dryRun?: boolean;
  readonly now?: number;
}
