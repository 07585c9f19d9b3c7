import type { Action } from './verdict.js';

export interface Principal {
  readonly id: string;
  readonly roles: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface CallRecord {
  readonly server: string;
  readonly tool: string;
  readonly action: Action;
  readonly time: number;
}

/**
 * Where a session label came from: the content that entered the session (DESIGN.md, "Sessions and
 * taint"). The memory checkpoint records these as the provenance of what the session writes.
 */
export interface TaintSource {
  readonly label: string;
  readonly server: string;
  /** The tool, resource URI or prompt name. */
  readonly subject: string;
  readonly kind: 'tool_result' | 'resource' | 'prompt' | 'sampling';
  /** The tool call id, for tool results. */
  readonly callId?: string;
  /** SHA-256 of the content as it came from the server. */
  readonly contentHash: string;
  readonly url?: string;
  readonly time: number;
}

/**
 * What a session accumulates for policies to read (DESIGN.md, "Sessions and taint"). One MCP client
 * session, or one conversation on the LLM side.
 */
export interface Session {
  readonly id: string;
  readonly principal: Principal;
  readonly labels: Set<string>;
  readonly calls: CallRecord[];
  readonly counters: Map<string, number>;
  /** Why each label was set, newest last (bounded like `calls`). */
  readonly sources: TaintSource[];
  /**
   * Untrusted content the session received, newest last, as lower-cased clean text (at most
   * `MAX_RECEIVED_CHARS` in all): what the gate checks tool-call arguments against (argument provenance).
   */
  readonly received: ReceivedContent[];
  readonly startedAt: number;
}

/** One piece of untrusted content that entered the session. */
export interface ReceivedContent {
  readonly text: string;
  /** The injection model's score of the content (0 when it was not scored). */
  readonly injection: number;
  readonly server: string;
  readonly subject: string;
  readonly time: number;
}

/** Received content kept per session for argument provenance; the oldest goes first. */
export const MAX_RECEIVED_CHARS = 512 * 1024;

/** Only the newest calls are kept; policies look at recent history, and memory must stay bounded. */
export const MAX_CALL_HISTORY = 1000;

export function createSession(id: string, principal: Principal, now: number = Date.now()): Session {
  return {
    id,
    principal,
    labels: new Set(),
    calls: [],
    counters: new Map(),
    sources: [],
    received: [],
    startedAt: now,
  };
}

export function recordCall(session: Session, call: CallRecord): void {
  session.calls.push(call);
  if (session.calls.length > MAX_CALL_HISTORY)
    session.calls.splice(0, session.calls.length - MAX_CALL_HISTORY);
  const key = `calls.${call.server}.${call.tool}`;
  session.counters.set(key, (session.counters.get(key) ?? 0) + 1);
  session.counters.set('calls', (session.counters.get('calls') ?? 0) + 1);
}

/** Adds a label with its source; the source list keeps the newest `MAX_CALL_HISTORY` entries. */
export function taintSession(session: Session, source: TaintSource): void {
  session.labels.add(source.label);
  session.sources.push(source);
  if (session.sources.length > MAX_CALL_HISTORY)
    session.sources.splice(0, session.sources.length - MAX_CALL_HISTORY);
}

/** Keeps a piece of received content for argument provenance, dropping the oldest beyond the budget. */
export function rememberReceived(session: Session, content: ReceivedContent): void {
  const text =
    content.text.length > MAX_RECEIVED_CHARS ? content.text.slice(0, MAX_RECEIVED_CHARS) : content.text;
  session.received.push({ ...content, text });
  let total = 0;
  for (const r of session.received) total += r.text.length;
  while (total > MAX_RECEIVED_CHARS && session.received.length > 1) {
    total -= (session.received.shift() as ReceivedContent).text.length;
  }
}
