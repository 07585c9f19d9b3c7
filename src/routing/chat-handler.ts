import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Principal } from '../core/session.js';
import { cacheDirectives, fingerprint, type AnswerCache } from './cache.js';
import { parseChatRequest, type ChatRequest } from './chat.js';
import { applyReasoning, choose, decisionVariables, type CompiledDecision } from './decisions.js';
import { headerOf, readJson, sendJsonText, sendOpenAiError, sendUpstreamFailure } from './http-io.js';
import type { RoutingConfig } from './schema.js';
import type { SignalComputer } from './signals.js';
import { conversationId, guardToolCalls, type LlmSessions, type ToolGuardDeps } from './tool-guard.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface ChatDeps {
  readonly routing: RoutingConfig;
  readonly pool: UpstreamPool;
  readonly signals: SignalComputer;
  readonly decisions: readonly CompiledDecision[];
  readonly cache: AnswerCache | undefined;
  readonly guard: ToolGuardDeps | undefined;
  readonly sessions: LlmSessions;
  readonly log: Logger;
  readonly maxBodyBytes: number;
}

/**
 * `POST /v1/chat/completions`: signals → decision (model, reasoning, or deny) → cache → upstream with
 * failover → tool-call guard → client. Streams are piped chunk by chunk; a client that goes away
 * aborts the upstream request (vLLM then aborts the generation).
 */
export async function handleChat(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  deps: ChatDeps,
) {
  const { routing, log } = deps;
  const read = await readJson(req, deps.maxBodyBytes);
  if (!read.ok) return sendOpenAiError(res, read.status, 'invalid_request_error', read.message);
  const parsed = parseChatRequest(read.value);
  if (!parsed.ok) return sendOpenAiError(res, 400, 'invalid_request_error', parsed.message);
  const body = parsed.value;
  const requested = body.model;
  if (requested !== undefined && requested !== 'auto' && !Object.hasOwn(routing.models, requested))
    return sendOpenAiError(
      res,
      404,
      'invalid_request_error',
      `The model \`${requested}\` does not exist.`,
      'model_not_found',
    );

  const signals = await deps.signals.compute(body);
  const choice = choose(
    deps.decisions,
    routing,
    decisionVariables(signals, body, principal),
    requested,
    (decision, err) => log.warn({ decision, err: err.message }, 'routing decision could not be evaluated'),
  );
  const headers: Record<string, string> = { 'x-agentwall-decision': choice.decision };
  if (headerOf(req, 'x-agentwall-debug') === '1') headers['x-agentwall-signals'] = JSON.stringify(signals);
  if (choice.action === 'deny') {
    log.info({ decision: choice.decision, principal: principal.id }, 'LLM request denied');
    return sendOpenAiError(res, 403, 'permission_error', choice.message, 'agentwall_denied', headers);
  }
  headers['x-agentwall-model'] = choice.model;
  const upstream: ChatRequest = { ...body, model: choice.model };
  applyReasoning(upstream, routing.models[choice.model]?.reasoning_family, choice.reasoning);
  const sessionId = conversationId(principal, body, headerOf(req, 'x-agentwall-session'));

  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  if (body.stream === true) return stream(res, upstream, headers, controller.signal, deps);

  const directives = cacheDirectives(req.headers['cache-control']);
  const cache = deps.cache;
  const key = cache
    ? fingerprint(choice.model, routing.cache.scope === 'user' ? principal.id : '', upstream)
    : '';
  const cached = cache && directives.read ? cache.get(key) : undefined;
  if (cache)
    headers['x-agentwall-cache'] = cached !== undefined ? 'hit' : directives.write ? 'miss' : 'bypass';
  let text = cached;
  if (text === undefined) {
    const r = await deps.pool.post(
      choice.model,
      '/chat/completions',
      JSON.stringify(upstream),
      controller.signal,
    );
    if (!r.ok) return sendUpstreamFailure(res, r.failure, headers);
    text = await r.response.body.text();
    if (r.response.status !== 200) {
      // vLLM's own errors are already in OpenAI's format: passed on as they are.
      res.writeHead(r.response.status, { ...headers, 'content-type': 'application/json' });
      return void res.end(text);
    }
    if (cache && directives.write && isComplete(text)) cache.set(key, text);
  }
  if (!deps.guard || !text.includes('"tool_calls"')) return sendJsonText(res, 200, text, headers);
  const completion = JSON.parse(text) as Record<string, unknown>;
  const outcome = await guardToolCalls(completion, deps.sessions.get(sessionId, principal), deps.guard);
  if (outcome.denied.length > 0)
    headers['x-agentwall-tool-calls-denied'] = outcome.denied.map((d) => d.tool).join(',');
  sendJsonText(res, 200, JSON.stringify(completion), headers);
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

async function stream(
  res: ServerResponse,
  upstream: ChatRequest,
  headers: Record<string, string>,
  signal: AbortSignal,
  deps: ChatDeps,
): Promise<void> {
  let r;
  try {
    r = await deps.pool.post(upstream.model as string, '/chat/completions', JSON.stringify(upstream), signal);
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
  if (!r.ok) return sendUpstreamFailure(res, r.failure, headers);
  const { status, body } = r.response;
  const type = String(r.response.headers['content-type'] ?? 'application/json');
  res.writeHead(status, { ...headers, 'content-type': type, 'cache-control': 'no-cache' });
  res.flushHeaders();
  try {
    // No buffering: each chunk as it comes (SSE is flushed per event upstream, vLLM reference §6).
    for await (const chunk of body) res.write(chunk as Buffer);
    res.end();
  } catch (err) {
    if (!signal.aborted) deps.log.warn({ err }, 'upstream stream failed midway');
    res.destroy();
  }
}
