/**
 * The parts of an OpenAI chat-completions body the router reads. Bodies are otherwise passed through
 * untouched: unknown fields (vLLM's extras: `top_k`, `chat_template_kwargs`, …) go upstream as sent.
 */
export interface ChatMessage {
  readonly role: string;
  readonly content?: unknown;
  readonly tool_calls?: unknown;
  readonly tool_call_id?: string;
  readonly name?: string;
}

export interface ChatRequest extends Record<string, unknown> {
  model?: string;
  messages: ChatMessage[];
  stream?: boolean;
  tools?: unknown[];
}

/** A problem with the body, or the request. */
export function parseChatRequest(
  body: unknown,
): { ok: true; value: ChatRequest } | { ok: false; message: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, message: 'the body must be a JSON object' };
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    return { ok: false, message: 'messages: a non-empty array is required' };
  for (const [i, m] of (b.messages as unknown[]).entries()) {
    if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string')
      return { ok: false, message: `messages[${i}]: an object with a string role is required` };
  }
  if (b.model !== undefined && typeof b.model !== 'string')
    return { ok: false, message: 'model: must be a string' };
  if (b.tools !== undefined && !Array.isArray(b.tools))
    return { ok: false, message: 'tools: must be an array' };
  return { ok: true, value: b as ChatRequest };
}

/** The text of a message's content: a string, or the `text` parts of a content array. */
export function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) =>
      typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string'
        ? (p as { text: string }).text
        : '',
    )
    .filter((t) => t !== '')
    .join('\n');
}

/** The last user turn's text (what the signals read). */
export function lastUserText(req: ChatRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i] as ChatMessage;
    if (m.role === 'user') return textOfContent(m.content);
  }
  return '';
}

/** A cheap token estimate (≈ 4 characters a token, OpenAI's rule of thumb), over every message. */
export function estimateTokens(req: ChatRequest): number {
  let chars = 0;
  for (const m of req.messages) chars += textOfContent(m.content).length + 4;
  return Math.ceil(chars / 4);
}
