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
 * What a session accumulates for policies to read (DESIGN.md, "Sessions and taint"). One MCP client
 * session, or one conversation on the LLM side.
 */
export interface Session {
  readonly id: string;
  readonly principal: Principal;
  readonly labels: Set<string>;
  readonly calls: CallRecord[];
  readonly counters: Map<string, number>;
  readonly startedAt: number;
}

/** Only the newest calls are kept; policies look at recent history, and memory must stay bounded. */
export const MAX_CALL_HISTORY = 1000;

export function createSession(id: string, principal: Principal, now: number = Date.now()): Session {
  return { id, principal, labels: new Set(), calls: [], counters: new Map(), startedAt: now };
}

export function recordCall(session: Session, call: CallRecord): void {
  session.calls.push(call);
  if (session.calls.length > MAX_CALL_HISTORY)
    session.calls.splice(0, session.calls.length - MAX_CALL_HISTORY);
  const key = `calls.${call.server}.${call.tool}`;
  session.counters.set(key, (session.counters.get(key) ?? 0) + 1);
  session.counters.set('calls', (session.counters.get('calls') ?? 0) + 1);
}
