import type { Session } from '../core/session.js';
import { sseEvent } from './sse.js';
import { checkToolCall, type ToolCall, type ToolGuardDeps } from './tool-guard.js';

/**
 * The tool-call guard on a streamed answer (SSE chunks, vLLM reference §3). Content, reasoning and
 * usage pass on as each event arrives; `delta.tool_calls` fragments are held back per choice and call
 * index and assembled (id, name, arguments concatenated). When the choice's `finish_reason` chunk — or
 * `[DONE]` — arrives, each assembled call goes through the same gate as a non-streamed one: an allowed
 * call is sent as one complete tool-call delta, a refused one is replaced by a content delta with the
 * explanation, and a choice left with no call finishes with `stop`. Calls of a stream that breaks off
 * (no finish, no `[DONE]`, or an error event) are never sent: they were not checked whole.
 */
export interface StreamGuard {
  /** One event's `data` in; the SSE text to send on (empty when everything in it is held back). */
  onEvent(data: string): Promise<string>;
  /** Tools refused so far. */
  readonly denied: readonly string[];
}

interface PendingCall {
  id?: string;
  type?: string;
  name: string;
  args: string;
}

/** What every chunk of one completion repeats. */
interface ChunkMeta {
  id?: unknown;
  object?: unknown;
  created?: unknown;
  model?: unknown;
}

type Choice = Record<string, unknown> & { index?: number; delta?: Record<string, unknown> };

export function createStreamGuard(session: Session, deps: ToolGuardDeps): StreamGuard {
  /** choice index → call index → the call assembled so far. */
  const pending = new Map<number, Map<number, PendingCall>>();
  const denied: string[] = [];
  let meta: ChunkMeta = {};

  const chunk = (choice: Record<string, unknown>) => sseEvent(JSON.stringify({ ...meta, choices: [choice] }));

  /** Checks a choice's assembled calls; the SSE text that replaces them, and the finish reason. */
  async function release(index: number, finish: unknown): Promise<string> {
    const calls = [...(pending.get(index)?.entries() ?? [])].sort((a, b) => a[0] - b[0]);
    pending.delete(index);
    let out = '';
    let kept = 0;
    for (const [, p] of calls) {
      const call: ToolCall = {
        id: p.id,
        type: p.type ?? 'function',
        function: { name: p.name, arguments: p.args },
      };
      const checked = await checkToolCall(call, session, deps);
      if (checked.ok) {
        const delta = { tool_calls: [{ index: kept++, ...checked.call }] };
        out += chunk({ index, delta, logprobs: null, finish_reason: null });
      } else {
        denied.push(checked.tool);
        out += chunk({ index, delta: { content: `\n${checked.note}` }, logprobs: null, finish_reason: null });
      }
    }
    const reason =
      finish === undefined || finish === 'tool_calls' ? (kept > 0 ? 'tool_calls' : 'stop') : finish;
    return out + chunk({ index, delta: {}, logprobs: null, finish_reason: reason });
  }

  async function releaseAll(): Promise<string> {
    let out = '';
    for (const index of [...pending.keys()]) out += await release(index, undefined);
    return out;
  }

  /** Takes a choice's tool-call fragments; what is left of the choice to send now (or undefined). */
  function hold(choice: Choice): Choice | undefined {
    const delta = choice.delta;
    if (!delta || !Array.isArray(delta.tool_calls)) return choice;
    const index = typeof choice.index === 'number' ? choice.index : 0;
    const calls = pending.get(index) ?? new Map<number, PendingCall>();
    pending.set(index, calls);
    for (const part of delta.tool_calls as Record<string, unknown>[]) assemble(calls, part);
    const { tool_calls: _taken, ...rest } = delta;
    const keep = Object.keys(rest).length > 0 || (choice.finish_reason ?? null) !== null;
    return keep ? { ...choice, delta: rest } : undefined;
  }

  async function onChunk(data: string, parsed: Record<string, unknown>): Promise<string> {
    if (parsed.error !== undefined) {
      pending.clear(); // the stream failed: the calls were not seen whole and are not sent
      return sseEvent(data);
    }
    meta = { id: parsed.id, object: parsed.object, created: parsed.created, model: parsed.model };
    const choices = Array.isArray(parsed.choices) ? (parsed.choices as Choice[]) : [];
    if (choices.length === 0) return sseEvent(data);
    let after = '';
    const sent: Choice[] = [];
    for (const original of choices) {
      const choice = hold(original);
      const index = typeof original.index === 'number' ? original.index : 0;
      const finish = original.finish_reason ?? null;
      if (finish !== null && pending.has(index)) {
        // The finish goes after the released calls: the choice's own text is sent first, unfinished.
        if (choice && Object.keys(choice.delta ?? {}).length > 0)
          sent.push({ ...choice, finish_reason: null });
        after += await release(index, finish);
      } else if (choice) sent.push(choice);
    }
    const before = sent.length > 0 ? sseEvent(JSON.stringify({ ...parsed, choices: sent })) : '';
    return before + after;
  }

  return {
    denied,
    async onEvent(data) {
      if (data === '[DONE]') return (await releaseAll()) + sseEvent(data);
      // Fast path: nothing held and no call in this event — sent on as it came.
      if (pending.size === 0 && !data.includes('"tool_calls"')) return sseEvent(data);
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        return sseEvent(data);
      }
      if (typeof parsed !== 'object' || parsed === null) return sseEvent(data);
      return onChunk(data, parsed as Record<string, unknown>);
    },
  };
}

/** Adds one `tool_calls` fragment: the first of a call has its id and name, later ones argument pieces. */
function assemble(calls: Map<number, PendingCall>, part: Record<string, unknown>): void {
  const index = typeof part.index === 'number' ? part.index : calls.size;
  const call = calls.get(index) ?? { name: '', args: '' };
  calls.set(index, call);
  if (typeof part.id === 'string') call.id = part.id;
  if (typeof part.type === 'string') call.type = part.type;
  const fn = part.function as { name?: unknown; arguments?: unknown } | undefined;
  if (typeof fn?.name === 'string' && fn.name !== '') call.name = fn.name;
  if (typeof fn?.arguments === 'string') call.args += fn.arguments;
}
