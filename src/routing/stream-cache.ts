/**
 * Streams and the cache: a streamed answer is assembled from its chunks into the `chat.completion`
 * it amounts to (so streamed and non-streamed requests share entries), and a cached completion is
 * sent back as SSE chunks shaped like vLLM's (reference §3), ending with `data: [DONE]`.
 */

interface AssembledCall {
  id?: string;
  type: string;
  name: string;
  args: string;
}

interface AssembledChoice {
  content: string;
  reasoning: string;
  calls: Map<number, AssembledCall>;
  finish: string | null;
}

export interface StreamRecorder {
  /** Each event's `data`, as the upstream sent it. */
  observe(data: string): void;
  /** The completion's JSON, if the stream ran to `[DONE]` with every choice finished and no error. */
  result(): string | undefined;
}

export function createStreamRecorder(): StreamRecorder {
  const choices = new Map<number, AssembledChoice>();
  let meta: Record<string, unknown> = {};
  let usage: unknown;
  let broken = false;
  let done = false;
  return {
    observe(data) {
      if (broken || done) return;
      if (data === '[DONE]') return void (done = true);
      let chunk: Record<string, unknown>;
      try {
        chunk = JSON.parse(data) as Record<string, unknown>;
      } catch {
        return void (broken = true);
      }
      if (chunk.error !== undefined) return void (broken = true);
      meta = { id: chunk.id, created: chunk.created, model: chunk.model };
      if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
      for (const c of (Array.isArray(chunk.choices) ? chunk.choices : []) as Record<string, unknown>[])
        addChoice(choices, c);
    },
    result() {
      if (broken || !done || choices.size === 0) return undefined;
      const list = [...choices.entries()].sort((a, b) => a[0] - b[0]);
      if (list.some(([, c]) => c.finish === null)) return undefined;
      return JSON.stringify({
        ...meta,
        object: 'chat.completion',
        choices: list.map(([index, c]) => ({
          index,
          message: messageOf(c),
          logprobs: null,
          finish_reason: c.finish,
        })),
        ...(usage === undefined ? {} : { usage }),
      });
    },
  };
}

function addChoice(choices: Map<number, AssembledChoice>, c: Record<string, unknown>): void {
  const index = typeof c.index === 'number' ? c.index : 0;
  const a: AssembledChoice = choices.get(index) ?? {
    content: '',
    reasoning: '',
    calls: new Map<number, AssembledCall>(),
    finish: null,
  };
  choices.set(index, a);
  const delta = (c.delta ?? {}) as Record<string, unknown>;
  if (typeof delta.content === 'string') a.content += delta.content;
  const reasoning = delta.reasoning ?? delta.reasoning_content;
  if (typeof reasoning === 'string') a.reasoning += reasoning;
  for (const t of (Array.isArray(delta.tool_calls) ? delta.tool_calls : []) as Record<string, unknown>[]) {
    const i = typeof t.index === 'number' ? t.index : a.calls.size;
    const call: AssembledCall = a.calls.get(i) ?? { type: 'function', name: '', args: '' };
    a.calls.set(i, call);
    if (typeof t.id === 'string') call.id = t.id;
    const fn = (t.function ?? {}) as { name?: unknown; arguments?: unknown };
    if (typeof fn.name === 'string' && fn.name !== '') call.name = fn.name;
    if (typeof fn.arguments === 'string') call.args += fn.arguments;
  }
  if (typeof c.finish_reason === 'string') a.finish = c.finish_reason;
}

function messageOf(c: AssembledChoice): Record<string, unknown> {
  const calls = [...c.calls.entries()].sort((x, y) => x[0] - y[0]);
  return {
    role: 'assistant',
    content: c.content === '' && calls.length > 0 ? null : c.content,
    ...(c.reasoning === '' ? {} : { reasoning: c.reasoning }),
    ...(calls.length === 0
      ? {}
      : {
          tool_calls: calls.map(([, t]) => ({
            id: t.id,
            type: t.type,
            function: { name: t.name, arguments: t.args },
          })),
        }),
  };
}

/**
 * The SSE events (`data` values) that replay a cached completion: per choice a role chunk, its
 * reasoning, its content, one chunk per tool call (the whole call, at its index), and a finish chunk;
 * then the usage chunk when `include_usage` was asked for; then `[DONE]`.
 */
export function replayEvents(completionJson: string, includeUsage: boolean): string[] {
  const c = JSON.parse(completionJson) as Record<string, unknown>;
  const base = { id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model };
  const event = (index: number, delta: Record<string, unknown>, finish: unknown = null) =>
    JSON.stringify({ ...base, choices: [{ index, delta, logprobs: null, finish_reason: finish }] });
  const out: string[] = [];
  for (const choice of (c.choices ?? []) as Record<string, unknown>[]) {
    const index = typeof choice.index === 'number' ? choice.index : 0;
    const m = (choice.message ?? {}) as Record<string, unknown>;
    out.push(event(index, { role: 'assistant', content: '' }));
    const reasoning = m.reasoning ?? m.reasoning_content;
    if (typeof reasoning === 'string' && reasoning !== '') out.push(event(index, { reasoning }));
    if (typeof m.content === 'string' && m.content !== '') out.push(event(index, { content: m.content }));
    const calls = (Array.isArray(m.tool_calls) ? m.tool_calls : []) as Record<string, unknown>[];
    calls.forEach((t, i) => out.push(event(index, { tool_calls: [{ index: i, ...t }] })));
    out.push(event(index, {}, choice.finish_reason ?? 'stop'));
  }
  if (includeUsage && c.usage !== undefined)
    out.push(JSON.stringify({ ...base, choices: [], usage: c.usage }));
  out.push('[DONE]');
  return out;
}
