import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { LlmRequestSummary, LlmRoute } from '../core/events.js';
import type { Principal } from '../core/session.js';
import type { ChatRequest } from './chat.js';
import { choose, decisionVariables, type Choice, type CompiledDecision } from './decisions.js';
import { headerOf, sendOpenAiError, sendUpstreamFailure } from './http-io.js';
import {
  applyOutcome,
  llmRoute,
  outcomeOf,
  requestEvent,
  requestSummary,
  type LlmEventDeps,
} from './llm-events.js';
import type { RoutingConfig } from './schema.js';
import type { ComputeOptions, RoutingSignals, SignalComputer } from './signals.js';
import { conversationId } from './tool-guard.js';
import type { UpstreamPool } from './upstream-pool.js';

/** What the routes other than chat (completions, responses) and `explain` need. */
export interface FrontDeps {
  readonly routing: RoutingConfig;
  readonly pool: UpstreamPool;
  readonly signals: SignalComputer;
  readonly decisions: readonly CompiledDecision[];
  readonly log: Logger;
  readonly maxBodyBytes: number;
  /** The `llm_request` / `llm_response` checkpoints; absent: no policy on LLM traffic itself. */
  readonly llm?: LlmEventDeps | undefined;
}

export type Endpoint = 'chat' | 'completions' | 'responses';

/** Signals, then the decision, for a request in chat form (completions' prompt is one user turn). */
export async function decide(
  deps: FrontDeps,
  body: ChatRequest,
  principal: Principal,
  endpoint: Endpoint,
  options: ComputeOptions = {},
): Promise<{ signals: RoutingSignals; choice: Choice }> {
  const signals = await deps.signals.compute(body, options);
  const choice = choose(
    deps.decisions,
    deps.routing,
    decisionVariables(signals, body, principal, endpoint),
    body.model,
    (decision, err) =>
      deps.log.warn({ decision, err: err.message }, 'routing decision could not be evaluated'),
  );
  return { signals, choice };
}

export type Routed =
  | {
      ok: true;
      model: string;
      reasoning: boolean | undefined;
      headers: Record<string, string>;
      /** What the `llm_response` event reports of the route and the request. */
      route: LlmRoute;
      request: LlmRequestSummary;
    }
  | { ok: false };

export function sendModelNotFound(res: ServerResponse, model: string): void {
  sendOpenAiError(
    res,
    404,
    'invalid_request_error',
    `The model \`${model}\` does not exist.`,
    'model_not_found',
  );
}

/**
 * The routing step of a request: an unknown explicit model is a 404, a deny decision a 403, and so is
 * a refusal of the `llm_request` checkpoint (all answered here, `ok: false`); otherwise the model and
 * the `x-agentwall-*` headers to send.
 */
export async function routeRequest(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  deps: FrontDeps,
  body: ChatRequest,
  endpoint: Endpoint,
): Promise<Routed> {
  const requested = body.model;
  if (requested !== undefined && requested !== 'auto' && !Object.hasOwn(deps.routing.models, requested)) {
    sendModelNotFound(res, requested);
    return { ok: false };
  }
  const { signals, choice } = await decide(deps, body, principal, endpoint);
  const headers: Record<string, string> = { 'x-agentwall-decision': choice.decision };
  if (headerOf(req, 'x-agentwall-debug') === '1') headers['x-agentwall-signals'] = JSON.stringify(signals);
  if (choice.action === 'deny') {
    deps.log.info({ decision: choice.decision, principal: principal.id, endpoint }, 'LLM request denied');
    sendOpenAiError(res, 403, 'permission_error', choice.message, 'agentwall_denied', headers);
    return { ok: false };
  }
  headers['x-agentwall-model'] = choice.model;
  const route = llmRoute(endpoint, choice.model, choice.decision, signals);
  const request = requestSummary(body, signals);
  const checkpoint = deps.llm?.request;
  if (checkpoint && deps.llm) {
    const id = conversationId(principal, body, headerOf(req, 'x-agentwall-session'));
    const event = requestEvent(deps.llm.sessions.get(id, principal), route, request);
    if (applyOutcome(res, outcomeOf(await checkpoint.evaluate(event)), headers)) return { ok: false };
  }
  return { ok: true, model: choice.model, reasoning: choice.reasoning, headers, route, request };
}

/** An AbortController aborted when the client goes away before the answer is complete. */
export function abortOnClose(res: ServerResponse): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller;
}

/**
 * POSTs to the model's upstreams and pipes the answer to the client as it comes (JSON or SSE, any
 * status below 500 — vLLM's 4xx are already in OpenAI's format), chunk by chunk without buffering.
 */
export async function pipeUpstream(
  res: ServerResponse,
  deps: FrontDeps,
  model: string,
  path: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  let r;
  try {
    r = await deps.pool.post(model, path, body, signal);
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
  if (!r.ok) return sendUpstreamFailure(res, r.failure, headers);
  const { status, body: upstream } = r.response;
  const type = String(r.response.headers['content-type'] ?? 'application/json');
  const isStream = type.startsWith('text/event-stream');
  res.writeHead(status, {
    ...headers,
    'content-type': type,
    ...(isStream ? { 'cache-control': 'no-cache' } : {}),
  });
  if (isStream) res.flushHeaders();
  try {
    for await (const chunk of upstream) res.write(chunk as Buffer);
    res.end();
  } catch (err) {
    if (!signal.aborted) deps.log.warn({ err, path }, 'upstream answer failed midway');
    res.destroy();
  }
}
