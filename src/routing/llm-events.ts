import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type {
  LlmGrounding,
  LlmRequestEvent,
  LlmRequestSummary,
  LlmResponseEvent,
  LlmRoute,
} from '../core/events.js';
import type { Pipeline } from '../core/pipeline.js';
import type { Session } from '../core/session.js';
import type { Verdict } from '../core/verdict.js';
import { lastUserText, textOfContent, type ChatRequest } from './chat.js';
import { sendOpenAiError } from './http-io.js';
import type { RoutingSignals } from './signals.js';
import { LLM_SERVER, type LlmSessions } from './tool-guard.js';

/** The policy checkpoints on LLM traffic (docs/routing.md, "Policy on LLM traffic"). */
export interface LlmEventDeps {
  readonly request?: Pipeline<LlmRequestEvent> | undefined;
  readonly response?: Pipeline<LlmResponseEvent> | undefined;
  /** The conversations' sessions, shared with the tool-call guard. */
  readonly sessions: LlmSessions;
}

export function llmRoute(
  endpoint: LlmRoute['endpoint'],
  model: string,
  decision: string,
  signals: RoutingSignals,
): LlmRoute {
  return { endpoint, model, decision, signals: signals as unknown as Record<string, unknown> };
}

export function requestSummary(body: ChatRequest, signals: RoutingSignals): LlmRequestSummary {
  return {
    messages: body.messages.length,
    tools: Array.isArray(body.tools) ? body.tools.length : 0,
    tokens: signals.tokens,
    stream: body.stream === true,
    text: lastUserText(body),
  };
}

export function requestEvent(session: Session, route: LlmRoute, request: LlmRequestSummary): LlmRequestEvent {
  const base = eventBase(session);
  return { ...base, kind: 'llm_request', route, request };
}

/** What an answer amounts to, read from a `chat.completion` before the tool-call guard changes it. */
export interface AnswerSummary {
  readonly finishReasons: readonly string[];
  readonly usage: LlmResponseEvent['usage'];
  readonly toolCalls: number;
  /** The first choice's content. */
  readonly text: string;
}

export function summariseCompletion(completion: Record<string, unknown>): AnswerSummary {
  const choices = (Array.isArray(completion.choices) ? completion.choices : []) as {
    finish_reason?: unknown;
    message?: { content?: unknown; tool_calls?: unknown };
  }[];
  const u = (completion.usage ?? {}) as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    finishReasons: choices.map((c) => (typeof c.finish_reason === 'string' ? c.finish_reason : '')),
    usage: {
      prompt_tokens: n(u.prompt_tokens),
      completion_tokens: n(u.completion_tokens),
      total_tokens: n(u.total_tokens),
    },
    toolCalls: choices.reduce(
      (sum, c) => sum + (Array.isArray(c.message?.tool_calls) ? c.message.tool_calls.length : 0),
      0,
    ),
    text: textOfContent(choices[0]?.message?.content),
  };
}

/** An answer of a stream that broke off (nothing assembled). */
export const NO_ANSWER: AnswerSummary = {
  finishReasons: [],
  usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  toolCalls: 0,
  text: '',
};

export function responseEvent(
  session: Session,
  route: LlmRoute,
  request: LlmRequestSummary,
  answer: AnswerSummary,
  extra: {
    readonly stream: boolean;
    readonly cached: boolean;
    readonly toolCallsDenied: number;
    readonly grounding: LlmGrounding | undefined;
  },
): LlmResponseEvent {
  return {
    ...eventBase(session),
    kind: 'llm_response',
    route,
    request,
    ...answer,
    ...extra,
  };
}

function eventBase(session: Session) {
  return {
    id: randomUUID(),
    time: Date.now(),
    session,
    principal: session.principal,
    server: LLM_SERVER,
  };
}

/**
 * What a verdict on an LLM event means for the client: refused when the action is stricter than
 * `annotate` (`require_approval` cannot be held on an HTTP request, and `redact` or `quarantine` have
 * nothing to mask here: both fail closed), else flagged with the enforcing `annotate` rules.
 */
export type LlmOutcome =
  | { readonly refused: false; readonly flags: readonly string[] }
  | { readonly refused: true; readonly rule: string; readonly message: string };

export function outcomeOf(verdict: Verdict): LlmOutcome {
  const enforced = verdict.rules.filter((r) => r.mode === 'enforce');
  if (verdict.action === 'allow' || verdict.action === 'route' || verdict.action === 'annotate')
    return { refused: false, flags: enforced.filter((r) => r.action === 'annotate').map((r) => r.id) };
  const rule = enforced.find((r) => r.action === verdict.action)?.id ?? 'default_action';
  return { refused: true, rule, message: verdict.message ?? `action ${verdict.action}` };
}

/**
 * Applies an outcome: a refusal is answered with a 403 in OpenAI's error format naming the rule (true:
 * the request is answered), flags are added to `x-agentwall-flags` (false: go on).
 */
export function applyOutcome(
  res: ServerResponse,
  outcome: LlmOutcome,
  headers: Record<string, string>,
): boolean {
  if (outcome.refused) {
    const text = `refused by agentwall policy rule ${outcome.rule}: ${outcome.message}`;
    sendOpenAiError(res, 403, 'permission_error', text, 'agentwall_denied', headers);
    return true;
  }
  if (outcome.flags.length > 0) {
    const before = headers['x-agentwall-flags']?.split(',') ?? [];
    headers['x-agentwall-flags'] = [...new Set([...before, ...outcome.flags])].join(',');
  }
  return false;
}
