import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Principal, Session } from '../core/session.js';
import { cacheDirectives, cacheQuery, cacheScope } from './cache.js';
import { parseChatRequest, textOfContent, type ChatRequest } from './chat.js';
import { streamChat, type CacheState } from './chat-stream.js';
import { applyReasoning, type CompiledDecision } from './decisions.js';
import { groundingScore } from './grounding.js';
import { headerOf, readJson, sendJsonText, sendOpenAiError, sendUpstreamFailure } from './http-io.js';
import { summariseCompletion, type LlmEventDeps } from './llm-events.js';
import { checkAnswer, streamAnswerAudit } from './llm-response.js';
import type { MessageGuard } from './message-guard.js';
import { routeRequest } from './route-request.js';
import type { RoutingConfig } from './schema.js';
import type { AnswerCache } from './semantic-cache.js';
import type { SignalComputer } from './signals.js';
import { applySystemPrompt } from './system-prompt.js';
import type { ToolFilter } from './tool-filter.js';
import { conversationId, guardToolCalls, type LlmSessions, type ToolGuardDeps } from './tool-guard.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface ChatDeps {
  readonly routing: RoutingConfig;
  readonly pool: UpstreamPool;
  readonly signals: SignalComputer;
  readonly decisions: readonly CompiledDecision[];
  readonly cache: AnswerCache | undefined;
  readonly guard: ToolGuardDeps | undefined;
  /** The inbound checkpoint on `role: tool` messages (message-guard.ts). */
  readonly messages?: MessageGuard | undefined;
  /** Tool selection (`routing.tools.mode: filtered`). */
  readonly tools?: ToolFilter | undefined;
  readonly sessions: LlmSessions;
  readonly log: Logger;
  readonly maxBodyBytes: number;
  /** The `llm_request` / `llm_response` checkpoints (llm-events.ts). */
  readonly llm?: LlmEventDeps | undefined;
}

/**
 * `POST /v1/chat/completions`: signals → decision (model, reasoning, system prompt, or deny) → inbound
 * checkpoint on tool messages → tool selection → cache → upstream with failover → tool-call guard →
 * client. Streams go on event by event; a client that goes away aborts the upstream request (vLLM then
 * aborts the generation).
 */
export async function handleChat(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  deps: ChatDeps,
) {
  const read = await readJson(req, deps.maxBodyBytes);
  if (!read.ok) return sendOpenAiError(res, read.status, 'invalid_request_error', read.message);
  const parsed = parseChatRequest(read.value);
  if (!parsed.ok) return sendOpenAiError(res, 400, 'invalid_request_error', parsed.message);
  const body = parsed.value;
  const routed = await routeRequest(req, res, principal, deps, body, 'chat');
  if (!routed.ok) return;
  const { headers, model } = routed;
  const upstream: ChatRequest = { ...body, model, messages: [...body.messages] };
  applyReasoning(upstream, deps.routing.models[model]?.reasoning_family, routed.reasoning);
  const decision = deps.decisions.find((d) => d.name === headers['x-agentwall-decision']);
  applySystemPrompt(upstream, decision?.system_prompt);
  const sessionId = conversationId(principal, body, headerOf(req, 'x-agentwall-session'));
  const session = () => deps.sessions.get(sessionId, principal);
  await prepare(upstream, session, headers, deps);
  const guard = deps.guard ? { ...deps.guard, describe: describer(upstream.tools) } : undefined;

  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const cache = await lookup(req, upstream, principal, headers, deps);
  if (body.stream === true) {
    const checkpoint = deps.llm?.response;
    const audit = checkpoint ? streamAnswerAudit() : undefined;
    const ctx = { session, guard, cache, observe: audit?.observe };
    const denied = await streamChat(res, upstream, headers, controller.signal, ctx, deps);
    if (!checkpoint || !audit) return;
    const facts = { cached: cache?.hit !== undefined, toolTexts: toolTextsOf(body), denied: denied.length };
    return audit.check(checkpoint, session(), routed, facts);
  }

  let text = cache?.hit?.body;
  if (text === undefined) {
    const r = await deps.pool.post(model, '/chat/completions', JSON.stringify(upstream), controller.signal);
    if (!r.ok) return sendUpstreamFailure(res, r.failure, headers);
    text = await r.response.body.text();
    if (r.response.status !== 200) {
      // vLLM's own errors are already in OpenAI's format: passed on as they are.
      res.writeHead(r.response.status, { ...headers, 'content-type': 'application/json' });
      return void res.end(text);
    }
    if (cache?.write && isComplete(text)) await deps.cache?.store(cache.query, text);
  }
  const toolTexts = toolTextsOf(body);
  const checkpoint = deps.llm?.response;
  if (!guard && toolTexts.length === 0 && !checkpoint) return sendJsonText(res, 200, text, headers);
  const completion = JSON.parse(text) as Record<string, unknown>;
  // What the model answered, before the guard removes refused calls or appends its notes.
  const answer = summariseCompletion(completion);
  const grounded = toolTexts.length > 0 ? groundingScore(answer.text, toolTexts) : undefined;
  if (grounded) headers['x-agentwall-grounding'] = grounded.score.toFixed(2);
  let denied = 0;
  if (guard && text.includes('"tool_calls"')) {
    const outcome = await guardToolCalls(completion, session(), guard);
    denied = outcome.denied.length;
    if (denied > 0) headers['x-agentwall-tool-calls-denied'] = outcome.denied.map((d) => d.tool).join(',');
    text = JSON.stringify(completion);
  }
  if (checkpoint) {
    const facts = {
      stream: false,
      cached: cache?.hit !== undefined,
      toolCallsDenied: denied,
      grounding: grounded,
    };
    if (await checkAnswer(res, checkpoint, session(), routed, answer, facts, headers)) return;
  }
  sendJsonText(res, 200, text, headers);
}

function toolTextsOf(body: ChatRequest): string[] {
  return body.messages.filter((m) => m.role === 'tool').map((m) => textOfContent(m.content));
}

/** The inbound checkpoint on tool messages, then tool selection; each says what it did in a header. */
async function prepare(
  upstream: ChatRequest,
  session: () => Session,
  headers: Record<string, string>,
  deps: ChatDeps,
): Promise<void> {
  if (deps.messages && upstream.messages.some((m) => m.role === 'tool')) {
    const actions = await deps.messages.guard(upstream, session());
    if (actions.length > 0) headers['x-agentwall-tool-messages'] = actions.join(',');
  }
  const filtered = await deps.tools?.filter(upstream);
  if (filtered) headers['x-agentwall-tools'] = `${filtered.kept}/${filtered.offered}`;
}

/** Looks the request up (unless `Cache-Control` says not to) and sets `x-agentwall-cache`. */
async function lookup(
  req: IncomingMessage,
  upstream: ChatRequest,
  principal: Principal,
  headers: Record<string, string>,
  deps: ChatDeps,
): Promise<CacheState | undefined> {
  if (!deps.cache) return undefined;
  const directives = cacheDirectives(req.headers['cache-control']);
  const query = cacheQuery(
    upstream.model as string,
    cacheScope(deps.routing.cache.scope, principal),
    upstream,
  );
  const hit = directives.read ? await deps.cache.lookup(query) : undefined;
  headers['x-agentwall-cache'] = hit
    ? hit.exact
      ? 'hit'
      : `hit; similarity=${hit.similarity.toFixed(2)}`
    : directives.write
      ? 'miss'
      : 'bypass';
  return { cache: deps.cache, query, hit, write: directives.write };
}

/** The description of each offered tool, for the outbound gate's capability stage. */
function describer(tools: unknown[] | undefined): ((name: string) => string | undefined) | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  const byName = new Map<string, string>();
  for (const t of tools) {
    const fn = (t as { function?: { name?: unknown; description?: unknown } } | null)?.function;
    if (typeof fn?.name === 'string' && typeof fn.description === 'string')
      byName.set(fn.name, fn.description);
  }
  return (name) => byName.get(name);
}

/** A complete answer: JSON whose every choice has a finish reason (so no error or cut-off is cached). */
function isComplete(text: string): boolean {
  try {
    const v = JSON.parse(text) as { choices?: { finish_reason?: unknown }[] };
    return (
      Array.isArray(v.choices) &&
      v.choices.length > 0 &&
      v.choices.every((c) => typeof c.finish_reason === 'string')
    );
  } catch {
    return false;
  }
}
