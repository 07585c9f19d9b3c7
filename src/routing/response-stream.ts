import type { ServerResponse } from 'node:http';
import {
  completeResponse,
  functionCallItem,
  messageItem,
  newId,
  type AssistantTurn,
  type responseSkeleton,
} from './response-items.js';
import { createSseDecoder } from './sse.js';

/** The `data:` payloads of an SSE body, one per event (sse.ts parses across chunk boundaries). */
async function* sseData(body: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = createSseDecoder();
  for await (const chunk of body) yield* decoder.push(chunk);
  decoder.end();
}

type Skeleton = ReturnType<typeof responseSkeleton>;

/**
 * Turns a chat-completions SSE stream into Responses events (`event: <type>` + `data:`, no `[DONE]`,
 * vLLM reference §1): `response.created`, `response.in_progress`, the message item and its text part
 * added, `response.output_text.delta` per content delta, the done events, function calls assembled
 * from their deltas, and `response.completed` with the whole response — or `response.failed` when the
 * upstream reports an error inside the stream. Function calls are held to the end and go through
 * `hooks.guard` first; `hooks.beforeCompleted` (the store) runs before the last event. False when the stream did not complete.
 */
export async function streamResponse(
  res: ServerResponse,
  upstream: AsyncIterable<Buffer | string>,
  skeleton: Skeleton,
  hooks: {
    /** The tool-call guard: the turn with refused calls removed and explained in its text. */
    readonly guard: (turn: AssistantTurn) => Promise<AssistantTurn>;
    /** The store: runs before `response.completed`. */
    readonly beforeCompleted: (response: Record<string, unknown>, turn: AssistantTurn) => Promise<void>;
  },
): Promise<boolean> {
  let seq = 0;
  const send = (type: string, fields: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`);
  send('response.created', { response: skeleton });
  send('response.in_progress', { response: skeleton });
  const messageId = newId('msg');
  let text = '';
  let isMessageOpen = false;
  let finishReason: string | undefined;
  let usage: AssistantTurn['usage'];
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  const openMessage = () => {
    if (isMessageOpen) return;
    isMessageOpen = true;
    send('response.output_item.added', { output_index: 0, item: messageItem(messageId, '', 'in_progress') });
    const part = { type: 'output_text', text: '', annotations: [] };
    send('response.content_part.added', { item_id: messageId, output_index: 0, content_index: 0, part });
  };
  for await (const data of sseData(upstream)) {
    if (data === '[DONE]') break;
    const chunk = JSON.parse(data) as Record<string, unknown>;
    if (chunk.error !== undefined) {
      const error = chunk.error as { message?: string; code?: unknown };
      const failed = {
        ...skeleton,
        status: 'failed',
        error: { code: 'server_error', message: error.message ?? '' },
      };
      send('response.failed', { response: failed });
      return false;
    }
    if (chunk.usage) usage = chunk.usage;
    const choice = (chunk.choices as Record<string, unknown>[] | undefined)?.[0];
    if (!choice) continue;
    if (typeof choice.finish_reason === 'string') finishReason = choice.finish_reason;
    const delta = (choice.delta ?? {}) as Record<string, unknown>;
    if (typeof delta.content === 'string' && delta.content !== '') {
      openMessage();
      text += delta.content;
      send('response.output_text.delta', {
        item_id: messageId,
        output_index: 0,
        content_index: 0,
        delta: delta.content,
        logprobs: [],
      });
    }
    for (const tc of (delta.tool_calls as Record<string, unknown>[] | undefined) ?? []) {
      const index = typeof tc.index === 'number' ? tc.index : 0;
      const f = (tc.function ?? {}) as Record<string, unknown>;
      const call = calls.get(index) ?? { id: '', name: '', arguments: '' };
      if (typeof tc.id === 'string') call.id = tc.id;
      if (typeof f.name === 'string') call.name += f.name;
      if (typeof f.arguments === 'string') call.arguments += f.arguments;
      calls.set(index, call);
    }
  }
  if (finishReason === undefined) return false; // cut off: no `response.completed`
  const turn = await hooks.guard({
    content: text,
    reasoning: undefined,
    toolCalls: [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c),
    finishReason,
    usage,
  });
  // Function calls are sent only now, after the guard; its explanation of refused ones follows the text.
  if (turn.content !== text && turn.content.startsWith(text)) {
    openMessage();
    const delta = turn.content.slice(text.length);
    send('response.output_text.delta', {
      item_id: messageId,
      output_index: 0,
      content_index: 0,
      delta,
      logprobs: [],
    });
    text = turn.content;
  }
  const output: Record<string, unknown>[] = [];
  if (text !== '' || turn.toolCalls.length === 0) {
    openMessage();
    const part = { type: 'output_text', text, annotations: [], logprobs: [] };
    send('response.output_text.done', {
      item_id: messageId,
      output_index: 0,
      content_index: 0,
      text,
      logprobs: [],
    });
    send('response.content_part.done', { item_id: messageId, output_index: 0, content_index: 0, part });
    const item = messageItem(messageId, text, 'completed');
    send('response.output_item.done', { output_index: 0, item });
    output.push(item);
  }
  for (const c of turn.toolCalls) {
    const item = functionCallItem(c);
    const output_index = output.length;
    send('response.output_item.added', {
      output_index,
      item: { ...item, arguments: '', status: 'in_progress' },
    });
    send('response.function_call_arguments.done', { item_id: item.id, output_index, arguments: c.arguments });
    send('response.output_item.done', { output_index, item });
    output.push(item);
  }
  const response = completeResponse(skeleton, turn, output);
  // Stored before the client hears of it, so a client that chains at once finds it.
  await hooks.beforeCompleted(response, turn);
  send('response.completed', { response });
  return true;
}
