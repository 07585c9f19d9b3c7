import { createHash, randomUUID } from 'node:crypto';
import type { ToolCallEvent } from '../core/events.js';
import type { Pipeline } from '../core/pipeline.js';
import { createSession, recordCall, type Principal, type Session } from '../core/session.js';
import { enforceCall } from '../outbound/gate.js';
import type { ChatMessage, ChatRequest } from './chat.js';
import { textOfContent } from './chat.js';

/** The `server` of LLM-proposed tool calls in events, audit records and policies (`tool.server`). */
export const LLM_SERVER = 'llm';

export interface GuardOutcome {
  /** Calls the gate refused, by name, with why. */
  readonly denied: readonly {
    readonly tool: string;
    readonly reason: string;
    readonly rules: readonly string[];
  }[];
}

/**
 * One session per conversation: the `x-agentwall-session` header when the agent sends one, else a
 * hash of the principal and the conversation's first system and user messages — which stay the same
 * as a conversation grows, so its turns share one session (labels, call history, rate limits).
 */
export function conversationId(principal: Principal, req: ChatRequest, header: string | undefined): string {
  if (header !== undefined && header !== '') return `llm:${principal.id}:${header.slice(0, 200)}`;
  const first = (role: string) => req.messages.find((m: ChatMessage) => m.role === role);
  const h = createHash('sha256')
    .update(principal.id)
    .update('\0')
    .update(textOfContent(first('system')?.content))
    .update('\0')
    .update(textOfContent(first('user')?.content));
  return `llm:${h.digest('base64url').slice(0, 22)}`;
}

/** Conversations' sessions, bounded (the least recently used goes first). */
export class LlmSessions {
  private readonly map = new Map<string, Session>();
  constructor(private readonly max = 10_000) {}
  get(id: string, principal: Principal): Session {
    let s = this.map.get(id);
    if (s) this.map.delete(id);
    else s = createSession(id, principal);
    this.map.set(id, s);
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
    return s;
  }
}

export interface ToolGuardDeps {
  readonly pipeline: Pipeline<ToolCallEvent>;
  readonly revision: () => string;
  /** `{tool}` and `{reason}` are replaced. */
  readonly message: string;
  /** The description of a tool the request offered (for the capability classifier), by name. */
  readonly describe?: ((name: string) => string | undefined) | undefined;
}

/** One entry of an assistant message's `tool_calls`. */
export interface ToolCall {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/** What the gate made of one proposed call: kept (arguments possibly redacted) or refused, with the note. */
export type CallCheck =
  | { readonly ok: true; readonly call: ToolCall }
  | {
      readonly ok: false;
      readonly tool: string;
      readonly reason: string;
      readonly rules: string[];
      readonly note: string;
    };

/**
 * Runs one proposed call through the outbound pipeline as a `tool_call` event (server `llm`), records
 * it in the session, and says whether it may reach the agent. Shared by the JSON and the SSE paths.
 */
export async function checkToolCall(
  call: ToolCall,
  session: Session,
  deps: ToolGuardDeps,
): Promise<CallCheck> {
  const name = call.function?.name ?? '';
  const args = parseArgs(call.function?.arguments);
  const description = deps.describe?.(name);
  const event: ToolCallEvent = {
    id: randomUUID(),
    kind: 'tool_call',
    time: Date.now(),
    session,
    principal: session.principal,
    server: LLM_SERVER,
    tool: description === undefined ? { name } : { name, description },
    args,
  };
  const verdict = await deps.pipeline.evaluate(event);
  const outcome = await enforceCall(event, verdict, { revision: deps.revision });
  recordCall(session, { server: LLM_SERVER, tool: name, action: verdict.action, time: event.time });
  if (outcome.forward)
    return {
      ok: true,
      call:
        outcome.args === args
          ? call
          : { ...call, function: { name, arguments: JSON.stringify(outcome.args) } },
    };
  return {
    ok: false,
    tool: name,
    reason: outcome.reason,
    rules: [...outcome.rules],
    note: deps.message.replaceAll('{tool}', name).replaceAll('{reason}', outcome.reason),
  };
}

/**
 * Runs each `tool_calls` entry of a non-streamed completion through `checkToolCall`: allowed calls
 * stay (redacted arguments replaced), refused ones are removed and their explanation appended to the
 * message content so the agent can read it. A message left with no calls gets `finish_reason: "stop"`.
 * Mutates `completion` in place.
 */
export async function guardToolCalls(
  completion: Record<string, unknown>,
  session: Session,
  deps: ToolGuardDeps,
): Promise<GuardOutcome> {
  const denied: { tool: string; reason: string; rules: string[] }[] = [];
  const choices = Array.isArray(completion.choices) ? (completion.choices as Record<string, unknown>[]) : [];
  for (const choice of choices) {
    const message = choice.message as Record<string, unknown> | undefined;
    if (!message || !Array.isArray(message.tool_calls) || message.tool_calls.length === 0) continue;
    const kept: ToolCall[] = [];
    const notes: string[] = [];
    for (const call of message.tool_calls as ToolCall[]) {
      const checked = await checkToolCall(call, session, deps);
      if (checked.ok) kept.push(checked.call);
      else {
        denied.push({ tool: checked.tool, reason: checked.reason, rules: checked.rules });
        notes.push(checked.note);
      }
    }
    if (notes.length === 0) continue;
    const before =
      typeof message.content === 'string' && message.content !== '' ? `${message.content}\n\n` : '';
    message.content = before + notes.join('\n');
    if (kept.length > 0) message.tool_calls = kept;
    else {
      delete message.tool_calls;
      if (choice.finish_reason === 'tool_calls') choice.finish_reason = 'stop';
    }
  }
  return { denied };
}

function parseArgs(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : { value: v };
  } catch {
    // Arguments that are not JSON are still checked, as text.
    return { _raw: text };
  }
}
