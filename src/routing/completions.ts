import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../core/session.js';
import type { ChatRequest } from './chat.js';
import { readJson, sendOpenAiError } from './http-io.js';
import { abortOnClose, pipeUpstream, routeRequest, type FrontDeps } from './route-request.js';

/**
 * The text the signals read from a legacy completions `prompt`: a string, or a list of strings
 * (joined by newlines); token-id prompts (numbers) have no text and leave the text signals neutral.
 */
export function promptText(prompt: unknown): string | undefined {
  if (typeof prompt === 'string') return prompt;
  if (!Array.isArray(prompt) || prompt.length === 0) return undefined;
  if (prompt.every((p) => typeof p === 'string')) return prompt.join('\n');
  const isTokens = (p: unknown) => Array.isArray(p) && p.every((t) => typeof t === 'number');
  if (prompt.every((p) => typeof p === 'number') || prompt.every(isTokens)) return '';
  return undefined;
}

/**
 * `POST /v1/completions` (legacy): routed by the same signals and decisions as chat, with the prompt
 * read as one user turn (`request.endpoint == "completions"`); JSON or SSE piped through as it comes.
 * No reasoning switch (there is no chat template to pass it to) and no cache.
 */
export async function handleCompletions(
  req: IncomingMessage,
  res: ServerResponse,
  principal: Principal,
  deps: FrontDeps,
): Promise<void> {
  const read = await readJson(req, deps.maxBodyBytes);
  if (!read.ok) return sendOpenAiError(res, read.status, 'invalid_request_error', read.message);
  const body = read.value;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return sendOpenAiError(res, 400, 'invalid_request_error', 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const text = promptText(b.prompt);
  if (text === undefined)
    return sendOpenAiError(
      res,
      400,
      'invalid_request_error',
      'prompt: a string, a list of strings, or token ids is required',
    );
  if (b.model !== undefined && typeof b.model !== 'string')
    return sendOpenAiError(res, 400, 'invalid_request_error', 'model: must be a string');
  const asChat: ChatRequest = { ...b, messages: [{ role: 'user', content: text }] };
  delete asChat.prompt;
  const routed = await routeRequest(req, res, principal, deps, asChat, 'completions');
  if (!routed.ok) return;
  const controller = abortOnClose(res);
  const upstream = JSON.stringify({ ...b, model: routed.model });
  await pipeUpstream(res, deps, routed.model, '/completions', upstream, routed.headers, controller.signal);
}
