import { createHash, randomUUID } from 'node:crypto';
import type { ToolResultEvent } from '../core/events.js';
import type { Pipeline } from '../core/pipeline.js';
import type { Session } from '../core/session.js';
import type { InboundCheckpoint } from '../inbound/checkpoint.js';
import type { ChatMessage, ChatRequest } from './chat.js';
import { LLM_SERVER } from './tool-guard.js';

/**
 * The inbound checkpoint on LLM requests: every `role: "tool"` message (a tool result the agent hands
 * the model) goes through the same inspection and pipeline as an MCP tool result, as a `tool_result`
 * event with server `llm`. Its text is replaced in place by what the verdict lets through (cleaned,
 * redacted, spotlighted, or a quarantine notice) before the request goes upstream, and the
 * conversation's session takes the taint (`injection_suspected`, …) that the model's later tool calls
 * are then gated with.
 *
 * An agent sends its whole history on every turn: a tool message already seen in the session is not
 * inspected again but gets the same replacement (same spotlight markers, so the prompt prefix stays
 * stable for the engine's prefix cache).
 */
/** The MCP front's inbound checkpoint and tool-result pipeline (src/cli/compose.ts), reused here. */
export interface LlmInbound {
  readonly checkpoint: InboundCheckpoint;
  readonly pipeline: Pipeline<ToolResultEvent>;
}

export interface MessageGuardDeps extends LlmInbound {
  /** How content from the agent's tools is treated (`untrusted` labels the session untrusted_content). */
  readonly trust: 'trusted' | 'untrusted';
}

export interface MessageGuard {
  /** Rewrites the request's tool messages in place; the verdict actions that changed something. */
  guard(req: ChatRequest, session: Session): Promise<string[]>;
}

/** Tool messages remembered per session (the oldest forgotten first). */
const MEMO_SIZE = 1024;

export function createMessageGuard(deps: MessageGuardDeps): MessageGuard {
  const memos = new WeakMap<Session, Map<string, Replacement>>();
  return {
    async guard(req, session) {
      const memo = memos.get(session) ?? new Map<string, Replacement>();
      memos.set(session, memo);
      const actions: string[] = [];
      for (const [i, m] of req.messages.entries()) {
        if (m.role !== 'tool') continue;
        const texts = textParts(m.content);
        if (texts.length === 0) continue;
        const key = memoKey(m);
        let r = memo.get(key);
        if (r === undefined) {
          r = await inspect(m, texts, toolNameOf(req.messages, m), session, deps);
          memo.set(key, r);
          if (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value as string);
        }
        if (r.texts === undefined) continue;
        req.messages[i] = { ...m, content: withTexts(m.content, r.texts) };
        actions.push(r.action);
      }
      return actions;
    },
  };
}

/** The new texts of a tool message (undefined: unchanged) and the verdict's action. */
interface Replacement {
  readonly texts: readonly string[] | undefined;
  readonly action: string;
}

async function inspect(
  m: ChatMessage,
  texts: readonly string[],
  tool: string,
  session: Session,
  deps: MessageGuardDeps,
): Promise<Replacement> {
  const event: ToolResultEvent = {
    id: randomUUID(),
    kind: 'tool_result',
    time: Date.now(),
    session,
    principal: session.principal,
    server: LLM_SERVER,
    tool: { name: tool },
    callId: m.tool_call_id ?? '',
    result: { content: texts.map((text) => ({ type: 'text', text })) },
    isError: false,
  };
  const outcome = await deps.checkpoint.process(event, deps.pipeline, {
    trust: deps.trust,
    openWorld: false,
    label: `tool "${tool}"`,
  });
  const { action } = outcome.verdict;
  if (!outcome.pass) {
    const v = outcome.verdict;
    const rules = v.rules.filter((r) => r.mode === 'enforce' && r.action === action).map((r) => r.id);
    const why = v.message ?? `action ${action}`;
    const notice = `[agentwall withheld this tool result (${action}; rules: ${rules.join(', ') || 'default'}): ${why}]`;
    return { texts: [notice], action };
  }
  const blocks = (outcome.value.content ?? []) as { text?: unknown }[];
  const next = blocks.map((b) => (typeof b.text === 'string' ? b.text : ''));
  const same = next.length === texts.length && next.every((t, i) => t === texts[i]);
  return { texts: same ? undefined : next, action };
}

/** The texts of a message's content: the string, or each `text` part of an array. */
function textParts(content: unknown): string[] {
  if (typeof content === 'string') return content === '' ? [] : [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((p: unknown) => {
    const t = (p as { type?: unknown; text?: unknown } | null)?.text;
    return typeof t === 'string' ? [t] : [];
  });
}

/**
 * The content with its texts replaced: a string by the texts joined; in an array, the text parts in
 * order (a withheld result, one notice, takes the place of every text part).
 */
function withTexts(content: unknown, texts: readonly string[]): unknown {
  if (!Array.isArray(content)) return texts.join('\n');
  let i = 0;
  const out: unknown[] = [];
  for (const p of content as unknown[]) {
    if (typeof (p as { text?: unknown } | null)?.text !== 'string') out.push(p);
    else if (i < texts.length) out.push({ ...(p as object), text: texts[i++] });
  }
  return out;
}

function memoKey(m: ChatMessage): string {
  return createHash('sha256')
    .update(m.tool_call_id ?? '')
    .update('\0')
    .update(JSON.stringify(m.content))
    .digest('base64url');
}

/** The function name of the assistant call this message answers, else its `name`. */
function toolNameOf(messages: readonly ChatMessage[], m: ChatMessage): string {
  if (m.tool_call_id !== undefined) {
    for (const a of messages) {
      if (a.role !== 'assistant' || !Array.isArray(a.tool_calls)) continue;
      for (const c of a.tool_calls as { id?: unknown; function?: { name?: unknown } }[])
        if (c.id === m.tool_call_id && typeof c.function?.name === 'string') return c.function.name;
    }
  }
  return m.name ?? 'tool';
}
