import { randomBytes } from 'node:crypto';
import type { ChatMessage, ChatRequest } from './chat.js';

/**
 * Translation between OpenAI's Responses API and chat completions: a Responses request becomes one
 * chat completion upstream (vLLM serves both; going through chat keeps one routed, guarded path), and
 * the completion becomes a Responses object with output items.
 */
export interface ResponsesRequest extends Record<string, unknown> {
  model?: string;
  input: unknown;
  instructions?: string;
  previous_response_id?: string;
  stream?: boolean;
  store?: boolean;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; param?: string };

export const newId = (prefix: string): string => `${prefix}_${randomBytes(16).toString('hex')}`;

export function parseResponsesRequest(body: unknown): Parsed<ResponsesRequest> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, message: 'the body must be a JSON object' };
  const b = body as Record<string, unknown>;
  for (const key of ['model', 'instructions', 'previous_response_id'] as const)
    if (b[key] !== undefined && b[key] !== null && typeof b[key] !== 'string')
      return { ok: false, message: `${key}: must be a string`, param: key };
  if (typeof b.input !== 'string' && !Array.isArray(b.input))
    return { ok: false, message: 'input: a string or a list of items is required', param: 'input' };
  if (b.background === true)
    return { ok: false, message: 'background: not supported by agentwall', param: 'background' };
  return { ok: true, value: b as ResponsesRequest };
}

function partText(p: unknown): string | undefined {
  if (typeof p !== 'object' || p === null) return undefined;
  const part = p as { type?: unknown; text?: unknown };
  return typeof part.text === 'string' ? part.text : undefined;
}

/** The request's `input` as chat messages: messages, function calls and their outputs. */
export function inputToMessages(input: unknown): Parsed<ChatMessage[]> {
  if (typeof input === 'string') return { ok: true, value: [{ role: 'user', content: input }] };
  const out: ChatMessage[] = [];
  for (const [i, raw] of (input as unknown[]).entries()) {
    const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const type = item.type ?? 'message';
    if (type === 'message' && typeof item.role === 'string') {
      const role = item.role === 'developer' ? 'system' : item.role;
      const content =
        typeof item.content === 'string'
          ? item.content
          : Array.isArray(item.content)
            ? item.content
                .map(partText)
                .filter((t) => t !== undefined)
                .join('\n')
            : undefined;
      if (content === undefined) return bad(i, 'content: a string or a list of text parts');
      out.push({ role, content });
    } else if (type === 'function_call' && typeof item.name === 'string') {
      const call = {
        id: typeof item.call_id === 'string' ? item.call_id : newId('call'),
        type: 'function',
        function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '{}' },
      };
      const last = out.at(-1);
      if (last?.role === 'assistant' && Array.isArray(last.tool_calls) && last.content === null)
        (last.tool_calls as unknown[]).push(call);
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output' && typeof item.call_id === 'string') {
      const output = typeof item.output === 'string' ? item.output : JSON.stringify(item.output ?? '');
      out.push({ role: 'tool', tool_call_id: item.call_id, content: output });
    } else return bad(i, `item type ${JSON.stringify(type)} is not supported`);
  }
  if (out.length === 0) return { ok: false, message: 'input: at least one item is required', param: 'input' };
  return { ok: true, value: out };
}

const bad = (i: number, message: string): Parsed<never> => ({
  ok: false,
  message: `input[${i}]: ${message}`,
  param: `input[${i}]`,
});

/** Function tools in chat form; other tool types (web search, file search…) are refused. */
function chatTools(tools: unknown): Parsed<unknown[] | undefined> {
  if (tools === undefined || tools === null) return { ok: true, value: undefined };
  if (!Array.isArray(tools)) return { ok: false, message: 'tools: must be a list', param: 'tools' };
  const out: unknown[] = [];
  for (const [i, t] of tools.entries()) {
    const tool = (t ?? {}) as Record<string, unknown>;
    if (tool.type !== 'function' || typeof tool.name !== 'string')
      return { ok: false, message: `tools[${i}]: only function tools are supported`, param: `tools[${i}]` };
    const { type, name, description, parameters, strict } = tool;
    out.push({ type, function: { name, description, parameters, strict } });
  }
  return { ok: true, value: out.length > 0 ? out : undefined };
}

/** The chat body for a Responses request: instructions, the earlier conversation, the new input. */
export function toChatRequest(
  req: ResponsesRequest,
  history: readonly ChatMessage[],
  input: readonly ChatMessage[],
): Parsed<ChatRequest> {
  const tools = chatTools(req.tools);
  if (!tools.ok) return tools;
  const system: ChatMessage[] =
    typeof req.instructions === 'string' ? [{ role: 'system', content: req.instructions }] : [];
  const body: ChatRequest = { messages: [...system, ...history, ...input] };
  if (typeof req.model === 'string') body.model = req.model;
  if (tools.value) body.tools = tools.value;
  const choice = req.tool_choice as { type?: string; name?: string } | string | undefined;
  if (typeof choice === 'string') body.tool_choice = choice;
  else if (choice?.type === 'function')
    body.tool_choice = { type: 'function', function: { name: choice.name } };
  if (typeof req.max_output_tokens === 'number') body.max_tokens = req.max_output_tokens;
  for (const key of ['temperature', 'top_p', 'parallel_tool_calls', 'user'] as const)
    if (req[key] !== undefined && req[key] !== null) body[key] = req[key];
  return { ok: true, value: body };
}

/** The assistant turn of an answer in chat form: what the next chained request starts from. */
export interface AssistantTurn {
  readonly content: string;
  readonly reasoning: string | undefined;
  readonly toolCalls: readonly { id: string; name: string; arguments: string }[];
  readonly finishReason: string | undefined;
  readonly usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
}

/** Reads the first choice of a chat completion (`reasoning ?? reasoning_content`, vLLM reference §2). */
export function assistantTurn(completion: Record<string, unknown>): AssistantTurn {
  const choice = (completion.choices as Record<string, unknown>[] | undefined)?.[0] ?? {};
  const m = (choice.message ?? {}) as Record<string, unknown>;
  const reasoning = m.reasoning ?? m.reasoning_content;
  const calls = Array.isArray(m.tool_calls) ? (m.tool_calls as Record<string, unknown>[]) : [];
  return {
    content: typeof m.content === 'string' ? m.content : '',
    reasoning: typeof reasoning === 'string' ? reasoning : undefined,
    toolCalls: calls.map((c) => {
      const f = (c.function ?? {}) as Record<string, unknown>;
      return {
        id: typeof c.id === 'string' ? c.id : newId('call'),
        name: typeof f.name === 'string' ? f.name : '',
        arguments: typeof f.arguments === 'string' ? f.arguments : '',
      };
    }),
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : undefined,
    usage: completion.usage as AssistantTurn['usage'],
  };
}

/** The chat message that stands for the turn in a stored conversation. */
export function assistantMessage(turn: AssistantTurn): ChatMessage {
  const tool_calls = turn.toolCalls.map((c) => ({
    id: c.id,
    type: 'function',
    function: { name: c.name, arguments: c.arguments },
  }));
  return { role: 'assistant', content: turn.content, ...(tool_calls.length > 0 ? { tool_calls } : {}) };
}

export function messageItem(id: string, text: string, status: string): Record<string, unknown> {
  return {
    type: 'message',
    id,
    status,
    role: 'assistant',
    content: status === 'in_progress' ? [] : [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

export function functionCallItem(c: AssistantTurn['toolCalls'][number]): Record<string, unknown> {
  return {
    type: 'function_call',
    id: newId('fc'),
    call_id: c.id,
    name: c.name,
    arguments: c.arguments,
    status: 'completed',
  };
}

/** The output items of a turn: reasoning (when the model gave some), the message, function calls. */
export function outputItems(turn: AssistantTurn, messageId: string): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  if (turn.reasoning !== undefined)
    items.push({
      type: 'reasoning',
      id: newId('rs'),
      summary: [],
      content: [{ type: 'reasoning_text', text: turn.reasoning }],
    });
  if (turn.content !== '' || turn.toolCalls.length === 0)
    items.push(messageItem(messageId, turn.content, 'completed'));
  for (const c of turn.toolCalls) items.push(functionCallItem(c));
  return items;
}

/** The Responses object's fields that echo the request (what OpenAI's API returns alongside output). */
export function responseSkeleton(id: string, req: ResponsesRequest, model: string, createdAt: number) {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    error: null,
    incomplete_details: null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model,
    output: [] as Record<string, unknown>[],
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: req.store !== false,
    temperature: req.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_p: req.top_p ?? 1,
    truncation: 'disabled',
    usage: null as Record<string, unknown> | null,
    metadata: req.metadata ?? {},
  };
}

/** Completes the skeleton with the turn: status, output items, usage in the Responses shape. */
export function completeResponse(
  skeleton: ReturnType<typeof responseSkeleton>,
  turn: AssistantTurn,
  output: Record<string, unknown>[],
): Record<string, unknown> {
  const input = turn.usage?.prompt_tokens ?? 0;
  const outputTokens = turn.usage?.completion_tokens ?? 0;
  const isCut = turn.finishReason === 'length';
  return {
    ...skeleton,
    status: isCut ? 'incomplete' : 'completed',
    incomplete_details: isCut ? { reason: 'max_output_tokens' } : null,
    output,
    usage: {
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + outputTokens,
    },
  };
}
