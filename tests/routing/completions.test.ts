import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { startHarness, type Harness } from './harness.js';

const ROUTING = {
  models: { 'qwen3-8b': { upstreams: ['a'] }, 'qwen3-32b': { upstreams: ['a'] } },
  default_model: 'qwen3-8b',
  signals: {
    keywords: [
      { name: 'urgent', any: ['urgent', 'asap'] },
      { name: 'forbidden', any: ['forbidden topic'] },
    ],
  },
  decisions: [
    { name: 'urgent', priority: 5, when: 'signals.keywords.urgent', model: 'qwen3-32b' },
    {
      name: 'legacy-long',
      priority: 1,
      when: 'request.endpoint == "completions" && request.max_tokens > 100',
      model: 'qwen3-32b',
    },
    { name: 'no', priority: 9, when: 'signals.keywords.forbidden', action: 'deny', message: 'not here' },
  ],
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ routing: ROUTING });
});
afterAll(() => h.close());

const completionBodies = () =>
  h.upstreams[0]!.requests.filter((r) => r.path === '/v1/completions').map(
    (r) => r.body as Record<string, unknown>,
  );

describe('POST /v1/completions', () => {
  it('routes the prompt by the same signals and decisions as chat (non-streamed)', async () => {
    const cases = [
      ['please reply asap', 'qwen3-32b', 'urgent'],
      ['hello there', 'qwen3-8b', 'default'],
    ] as const;
    for (const [prompt, model, decision] of cases) {
      const { data, response } = await h.client.completions.create({ model: 'auto', prompt }).withResponse();
      expect(data.choices[0]?.text).toBe(`echo: ${prompt}`);
      expect(data.object).toBe('text_completion');
      expect(response.headers.get('x-agentwall-model')).toBe(model);
      expect(response.headers.get('x-agentwall-decision')).toBe(decision);
      expect(completionBodies().at(-1)).toMatchObject({ model, prompt });
    }
  });

  it('reads `request` in decisions (endpoint, max_tokens) and honours an explicit model', async () => {
    const long = await h.client.completions
      .create({ model: 'auto', prompt: 'tell me more', max_tokens: 500 })
      .withResponse();
    expect(long.response.headers.get('x-agentwall-decision')).toBe('legacy-long');
    expect(long.data.model).toBe('qwen3-32b');
    const explicit = await h.client.completions.create({ model: 'qwen3-8b', prompt: 'hi' }).withResponse();
    expect(explicit.response.headers.get('x-agentwall-decision')).toBe('explicit');
    expect(completionBodies().at(-1)?.model).toBe('qwen3-8b');
  });

  it('takes a list of prompts (one choice each)', async () => {
    const r = await h.client.completions.create({ model: 'auto', prompt: ['one', 'two'] });
    expect(r.choices.map((c) => c.text)).toEqual(['echo: one', 'echo: two']);
  });

  it('passes a stream through chunk by chunk, with the routing headers', async () => {
    const { data: stream, response } = await h.client.completions
      .create({
        model: 'auto',
        prompt: 'stream this asap please',
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-agentwall-model')).toBe('qwen3-32b');
    const texts: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]) texts.push(chunk.choices[0].text);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts.length).toBeGreaterThan(2);
    expect(texts.join('')).toBe('echo: stream this asap please');
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('cancels the upstream stream when the client goes away', async () => {
    const u = h.upstreams[0]!;
    const before = u.chat.cancelled;
    u.chat.chunkDelayMs = 50;
    try {
      const controller = new AbortController();
      const stream = await h.client.completions.create(
        { model: 'auto', prompt: 'a b c d e f g h i j k l m n o p', stream: true },
        { signal: controller.signal },
      );
      for await (const chunk of stream) {
        expect(chunk.choices[0]?.text).toBe('echo: ');
        controller.abort();
        break;
      }
      await vi.waitFor(() => expect(u.chat.cancelled).toBe(before + 1));
    } finally {
      u.chat.chunkDelayMs = 0;
    }
  });

  it('denies with a 403 before any upstream call; unknown model 404; bad prompt 400', async () => {
    const before = h.upstreams[0]!.requests.length;
    const denied = h.client.completions.create({ model: 'auto', prompt: 'the forbidden topic' });
    await expect(denied).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(denied).rejects.toMatchObject({
      code: 'agentwall_denied',
      message: expect.stringContaining('not here'),
    });
    await expect(h.client.completions.create({ model: 'nope', prompt: 'x' })).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    await expect(
      h.client.completions.create({ model: 'auto', prompt: { bad: true } as never }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expect(h.upstreams[0]!.requests.length).toBe(before);
  });

  it("passes the upstream's own 4xx through in OpenAI's format", async () => {
    const r = h.client.completions.create({
      model: 'auto',
      prompt: 'x',
      stream: false,
      stream_options: { include_usage: true },
    } as never);
    await expect(r).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(r).rejects.toMatchObject({ message: expect.stringContaining('Stream options') });
  });

  it('fails over to 502 in OpenAI format when the upstream keeps failing', async () => {
    h.upstreams[0]!.faults.failNext(3, 500);
    const r = h.client.completions.create({ model: 'auto', prompt: 'x' });
    await expect(r).rejects.toMatchObject({ status: 502, code: 'upstream_unavailable' });
  });
});
