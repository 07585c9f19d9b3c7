import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../core/session.js';
import type { ResponseStore } from '../state/response-store.js';
import type { ChatMessage, ChatRequest } from './chat.js';
import { applyReasoning } from './decisions.js';
import { headerOf, readJson, sendJsonText, sendOpenAiError, sendUpstreamFailure } from './http-io.js';
import { conversationId, guardToolCalls, type LlmSessions, type ToolGuardDeps } from './tool-guard.js';
import {
  assistantMessage,
  assistantTurn,
  completeResponse,
  inputToMessages,
  newId,
  outputItems,
  parseResponsesRequest,
  responseSkeleton,
  toChatRequest,
  type AssistantTurn,
} from './response-items.js';
import { streamResponse } from './response-stream.js';
import { abortOnClose, routeRequest, type FrontDeps } from './route-request.js';

export interface ResponsesDeps extends FrontDeps {
  readonly store: ResponseStore;
  /** The outbound gate for the model's tool calls, as for chat (absent: they pass unchecked). */
  readonly guard?: { readonly deps: ToolGuardDeps; readonly sessions: LlmSessions } | undefined;
}

/**
 * The tool-call guard on a turn (as for chat, tool-guard.ts): refused calls are removed and explained
 * in the text. The session is the conversation's, as chat computes it.
 */
async function guardTurn(
  turn: AssistantTurn,
  principal: Principal,
  chat: ChatRequest,
  session: string | undefined,
  deps: ResponsesDeps,
): Promise<{ turn: AssistantTurn; denied: string[] }> {
  if (!deps.guard || turn.toolCalls.length === 0) return { turn, denied: [] };
  const completion = {
    choices: [{ index: 0, message: assistantMessage(turn), finish_reason: turn.finishReason }],
    usage: turn.usage,
  };
  const id = conversationId(principal, chat, session);
  const outcome = await guardToolCalls(completion, deps.guard.sessions.get(id, principal), deps.guard.deps);
  const guarded = assistantTurn(completion);
  return { turn: { ...guarded, reasoning: turn.reasoning }, denied: outcome.denied.map((d) => d.tool) };
}

const RESPONSE_PATH = /^\/v1\/responses\/([A-Za-z0-9_-]{1,128})$/;

/**
 * `/v1/responses` (OpenAI's Responses API): `POST` routes the request like a chat completion (the
 * signals read the new input; `previous_response_id` prepends the stored conversation), sends it
 * upstream as one chat completion and answers a Responses object or its SSE events; `GET` and
 * `DELETE /v1/responses/{id}` read and remove a stored one. Returns false for other paths.
 */
export async function handleResponses(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  path: string,
  deps: ResponsesDeps,
): Promise<boolean> {
  if (path === '/v1/responses' && req.method === 'POST') {
    await create(req, res, principal, deps);
    return true;
  }
  const id = RESPONSE_PATH.exec(path)?.[1];
  if (id === undefined || (req.method !== 'GET' && req.method !== 'DELETE')) return false;
  const stored = deps.store.get(id);
  // Another principal's response is as absent as a missing one: ids are not secrets to enumerate.
  if (!stored || stored.principal !== principal.id) {
    sendOpenAiError(res, 404, 'invalid_request_error', `Response with id '${id}' not found.`, 'not_found');
    return true;
  }
  if (req.method === 'GET') sendJsonText(res, 200, JSON.stringify(stored.response));
  else {
    await deps.store.remove(id);
    sendJsonText(res, 200, JSON.stringify({ id, object: 'response', deleted: true }));
  }
  return true;
}

async function create(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  deps: ResponsesDeps,
): Promise<void> {
  const read = await readJson(req, deps.maxBodyBytes);
  if (!read.ok) return sendOpenAiError(res, read.status, 'invalid_request_error', read.message);
  const parsed = parseResponsesRequest(read.value);
  if (!parsed.ok) return sendOpenAiError(res, 400, 'invalid_request_error', parsed.message);
  const request = parsed.value;
  const input = inputToMessages(request.input);
  if (!input.ok) return sendOpenAiError(res, 400, 'invalid_request_error', input.message);
  let history: readonly ChatMessage[] = [];
  const previous = request.previous_response_id;
  if (typeof previous === 'string') {
    const stored = deps.store.get(previous);
    if (!stored || stored.principal !== principal.id)
      return sendOpenAiError(
        res,
        404,
        'invalid_request_error',
        `Previous response with id '${previous}' not found.`,
        'previous_response_not_found',
      );
    history = stored.messages as readonly ChatMessage[];
  }
  const chat = toChatRequest(request, history, input.value);
  if (!chat.ok) return sendOpenAiError(res, 400, 'invalid_request_error', chat.message);
  const routed = await routeRequest(req, res, principal, deps, chat.value, 'responses');
  if (!routed.ok) return;
  const upstream: ChatRequest = { ...chat.value, model: routed.model };
  applyReasoning(upstream, deps.routing.models[routed.model]?.reasoning_family, routed.reasoning);
  const isStream = request.stream === true;
  if (isStream) upstream.stream_options = { include_usage: true };
  upstream.stream = isStream;

  const controller = abortOnClose(res);
  let r;
  try {
    r = await deps.pool.post(routed.model, '/chat/completions', JSON.stringify(upstream), controller.signal);
  } catch (err) {
    if (controller.signal.aborted) return;
    throw err;
  }
  if (!r.ok) return sendUpstreamFailure(res, r.failure, routed.headers);
  if (r.response.status !== 200) {
    // vLLM's own errors (400 context length, 404 model) are in OpenAI's format: passed on.
    res.writeHead(r.response.status, { ...routed.headers, 'content-type': 'application/json' });
    return void res.end(await r.response.body.text());
  }
  const skeleton = responseSkeleton(newId('resp'), request, routed.model, Math.floor(Date.now() / 1000));
  const remember = async (response: Record<string, unknown>, turn: AssistantTurn) => {
    if (request.store === false) return;
    const messages = [...history, ...input.value, assistantMessage(turn)];
    await deps.store.put(skeleton.id, { principal: principal.id, response, messages, storedAt: Date.now() });
  };
  const session = headerOf(req, 'x-agentwall-session');
  if (!isStream) {
    const answer = assistantTurn(JSON.parse(await r.response.body.text()) as Record<string, unknown>);
    const { turn, denied } = await guardTurn(answer, principal, chat.value, session, deps);
    if (denied.length > 0) routed.headers['x-agentwall-tool-calls-denied'] = denied.join(',');
    const response = completeResponse(skeleton, turn, outputItems(turn, newId('msg')));
    await remember(response, turn);
    return sendJsonText(res, 200, JSON.stringify(response), routed.headers);
  }
  res.writeHead(200, {
    ...routed.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  res.flushHeaders();
  try {
    const guard = async (turn: AssistantTurn) =>
      (await guardTurn(turn, principal, chat.value, session, deps)).turn;
    await streamResponse(res, r.response.body, skeleton, { guard, beforeCompleted: remember });
    res.end();
  } catch (err) {
    if (!controller.signal.aborted) deps.log.warn({ err }, 'upstream stream failed midway (responses)');
    res.destroy();
  }
}
