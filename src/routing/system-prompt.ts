import type { ChatMessage, ChatRequest } from './chat.js';

export interface SystemPromptSpec {
  readonly text: string;
  readonly mode: 'insert' | 'replace';
}

/**
 * Applies a decision's system prompt to the upstream request. `replace`: the client's system (and
 * `developer`) messages are dropped and this one goes first. `insert`: this text goes first — merged
 * into the client's leading system message when there is one, because many chat templates accept a
 * single system message, and only at the start.
 */
export function applySystemPrompt(body: ChatRequest, spec: SystemPromptSpec | undefined): void {
  if (spec === undefined) return;
  const own: ChatMessage = { role: 'system', content: spec.text };
  if (spec.mode === 'replace') {
    body.messages = [own, ...body.messages.filter((m) => m.role !== 'system' && m.role !== 'developer')];
    return;
  }
  const [first, ...rest] = body.messages;
  if (first?.role !== 'system') {
    body.messages = [own, ...body.messages];
    return;
  }
  body.messages = [{ ...first, content: mergedContent(spec.text, first.content) }, ...rest];
}

function mergedContent(text: string, content: unknown): unknown {
  if (Array.isArray(content)) return [{ type: 'text', text }, ...(content as unknown[])];
  if (typeof content === 'string' && content !== '') return `${text}\n\n${content}`;
  return text;
}
