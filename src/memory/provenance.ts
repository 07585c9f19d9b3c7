import type { Session, TaintSource } from '../core/session.js';
import type { ContentSource, DerivedFrom } from '../state/memory-types.js';

/**
 * What a write is derived from (docs/memory.md, "Provenance"): every memory version the session read,
 * and every content source the inbound checkpoint recorded for the session (`session.sources`), one
 * entry per piece of content with the labels it set.
 */
export function derivedFromOf(reads: Iterable<number>, sources: readonly TaintSource[]): DerivedFrom[] {
  const out: DerivedFrom[] = [...new Set(reads)].sort((a, b) => a - b).map((id) => ({ type: 'memory', id }));
  const byContent = new Map<string, ContentSource>();
  for (const s of sources) {
    const key = [s.server, s.subject, s.callId ?? '', s.contentHash].join('\u0000');
    const seen = byContent.get(key);
    if (seen !== undefined) {
      if (!seen.labels.includes(s.label)) byContent.set(key, { ...seen, labels: [...seen.labels, s.label] });
      continue;
    }
    byContent.set(key, {
      type: 'content',
      kind: s.kind,
      server: s.server,
      subject: s.subject,
      ...(s.callId === undefined ? {} : { call_id: s.callId }),
      content_hash: s.contentHash,
      ...(s.url === undefined ? {} : { url: s.url }),
      labels: [s.label],
      time: s.time,
    });
  }
  return [...out, ...byContent.values()];
}

/**
 * The memory versions each session has read, for the provenance of what it writes next. Kept per
 * `Session` object (weakly: a closed session's set goes with it); one registry per running agentwall,
 * shared by the memory server and the journal of external writes.
 */
export class SessionReads {
  readonly #reads = new WeakMap<Session, Set<number>>();

  /** Bounded like the session's sources: the newest reads count. */
  static readonly MAX = 1000;

  add(session: Session, ids: Iterable<number>): void {
    let set = this.#reads.get(session);
    if (!set) this.#reads.set(session, (set = new Set()));
    for (const id of ids) {
      set.delete(id);
      set.add(id);
    }
    while (set.size > SessionReads.MAX) set.delete(set.values().next().value as number);
  }

  of(session: Session): number[] {
    return [...(this.#reads.get(session) ?? [])];
  }
}
