import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHarness, chatBodies, type Harness } from './harness.js';

const ROUTING = {
  models: { 'qwen3-8b': { upstreams: ['a', 'b'] } },
  default_model: 'qwen3-8b',
  cache: { mode: 'off' },
  down_for: '1m',
};
const SINGLE = { ...ROUTING, models: { 'qwen3-8b': { upstreams: ['a'] } } };
const messages = [{ role: 'user' as const, content: 'one two three four five six seven eight' }];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('upstream failover', () => {
  it('fails over to the next endpoint on a 5xx and on a reset connection', async () => {
    h = await startHarness({ routing: ROUTING, standins: 2 });
    const [a, b] = h.upstreams as [
      NonNullable<Harness['upstreams'][0]>,
      NonNullable<Harness['upstreams'][0]>,
    ];
    a.faults.failNext(1, 503, 'overloaded');
    const r1 = await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
    expect(r1.choices[0]?.message.content).toContain('echo:');
    expect([chatBodies(a).length, chatBodies(b).length]).toEqual([1, 1]);
    a.faults.resetNext(1);
    await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
    expect([chatBodies(a).length, chatBodies(b).length]).toEqual([2, 2]);
  });

  it('fails over when an endpoint is dead, and tries it last afterwards', async () => {
    h = await startHarness({ routing: ROUTING, standins: 2 });
    const [a, b] = h.upstreams as [
      NonNullable<Harness['upstreams'][0]>,
      NonNullable<Harness['upstreams'][0]>,
    ];
    await a.close();
    for (let i = 0; i < 3; i++) {
      const r = await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
      expect(r.choices[0]?.finish_reason).toBe('stop');
    }
    expect(chatBodies(b).length).toBe(3);
  });

  it('answers 502 in OpenAI format when every attempt fails', async () => {
    h = await startHarness({ routing: ROUTING, standins: 2 });
    for (const u of h.upstreams) u.faults.failNext(3, 500);
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen3-8b', messages }),
    });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upstream_unavailable');
  });
});

describe('bad bodies', () => {
  it('refuses a body nested too deep with a 400 in OpenAI format, and the next request works', async () => {
    const harness = await startHarness({ routing: SINGLE, standins: 1 });
    h = harness;
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const post = (body: string) =>
      fetch(`${harness.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const res = await post(`{"model":"auto","messages":[{"role":"user","content":"hi","x":${deep}}]}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error' });
    expect(body.error.message).toMatch(/nested deeper than 100 levels/);
    expect((await post(JSON.stringify({ model: 'auto', messages }))).status).toBe(200);
    expect(chatBodies(harness.upstreams[0]!)).toHaveLength(1);
  });
});

describe('streaming', () => {
  it('passes SSE through chunk by chunk, usage chunk included', async () => {
    h = await startHarness({ routing: SINGLE, standins: 1 });
    const stream = await h.client.chat.completions.create({
      model: 'auto',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe(`echo: ${messages[0]!.content}`);
    expect(chunks).toBeGreaterThan(5);
    expect(usage).toMatchObject({ completion_tokens: 9 });
  });

  it('streams the first chunk before the upstream has finished, and a client abort cancels upstream', async () => {
    h = await startHarness({ routing: SINGLE, standins: 1 });
    const u = h.upstreams[0]!;
    u.chat.chunkDelayMs = 200;
    const controller = new AbortController();
    const stream = await h.client.chat.completions.create(
      { model: 'auto', messages, stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    try {
      for await (const _ of stream) {
        seen++;
        if (seen === 2) controller.abort();
      }
    } catch {
      // The SDK may end the iteration or throw on abort: either way the client went away.
    }
    expect(seen).toBe(2);
    await vi.waitFor(() => expect(u.chat.cancelled).toBe(1), { timeout: 3000 });
    expect(u.chat.completed).toBe(0);
  });

  it('tool calls arrive in deltas', async () => {
    h = await startHarness({ routing: SINGLE, standins: 1 });
    h.upstreams[0]!.chat.reply = () => ({
      content: null,
      toolCalls: [{ name: 'get_weather', arguments: '{"city": "Paris"}' }],
    });
    const stream = await h.client.chat.completions.create({ model: 'auto', messages, stream: true });
    let args = '';
    for await (const c of stream) args += c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
  });
});
