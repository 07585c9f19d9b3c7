import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import OpenAI from 'openai';
import pino from 'pino';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolCallEvent } from '../../src/core/events.js';
import { createPipeline } from '../../src/core/pipeline.js';
import { loadShippedEmbedder } from '../../src/ml/embedding.js';
import type { TextEmbedder } from '../../src/ml/scorer.js';
import { createLlmRouter, type LlmRouter } from '../../src/routing/router.js';
import { routingSchema } from '../../src/routing/schema.js';
import { VectorIndex } from '../../src/routing/vector-index.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { startVllmStandin, type VllmStandin } from '../support/vllm-standin.js';
import { chatBodies, GENERATE_MODELS } from './harness.js';

const HOUR = 3_600_000;

/** Denies `send_email`, as a policy rule would: cached answers go through the guard too. */
const denySendEmail = createPipeline<ToolCallEvent>({
  stages: [
    {
      name: 'test-policy',
      run(ctx) {
        if (ctx.event.tool.name === 'send_email')
          ctx.fired.push({ id: 'no-email', action: 'deny', mode: 'enforce', message: 'no mail' });
      },
    },
  ],
  defaultAction: 'allow',
  onStageError: 'deny',
  sinks: [],
});

/** A router on loopback over a real LMDB environment; the principal is the `x-test-user` header. */
interface Front {
  readonly client: OpenAI;
  readonly router: LlmRouter;
  close(): Promise<void>;
}

let dir: TempDir;
let upstream: VllmStandin;
let embedder: TextEmbedder;
let root: RootDatabase;
let now = Date.parse('2026-01-01T00:00:00Z');
let front: Front;

async function startFront(): Promise<Front> {
  const routing = routingSchema.parse({
    upstreams: [{ name: 'a', url: `${upstream.url}/v1` }],
    models: { 'qwen3-8b': { upstreams: ['a'] } },
    default_model: 'qwen3-8b',
    cache: { mode: 'exact_then_semantic', threshold: 0.9, ttl: '1h', scope: 'user' },
  });
  const router = await createLlmRouter({
    routing,
    env: {},
    log: pino({ level: 'silent' }),
    maxBodyBytes: 1 << 20,
    models: {},
    embedder,
    root,
    clock: () => now,
    toolCall: denySendEmail,
  });
  const server: Server = createServer((req, res) => {
    const id = String(req.headers['x-test-user'] ?? 'alice');
    void router.handle(req, res, { id, roles: [], claims: {} }, (req.url ?? '/').split('?')[0]!);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    client: new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0 }),
    router,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await router.close();
    },
  };
}

beforeAll(async () => {
  dir = await makeTempDir('agentwall-cache-');
  upstream = await startVllmStandin({ models: GENERATE_MODELS });
  embedder = await loadShippedEmbedder();
  root = open({ path: join(dir.path, 'agentwall.mdb'), maxDbs: 8 });
  front = await startFront();
});
afterAll(async () => {
  await front.close();
  await root.close();
  await embedder.close();
  await upstream.close();
  await dir.remove();
});

const calls = () => chatBodies(upstream).length;

async function ask(
  question: string,
  o: { system?: string; headers?: Record<string, string>; temperature?: number } = {},
) {
  const messages = [
    ...(o.system ? [{ role: 'system' as const, content: o.system }] : []),
    { role: 'user' as const, content: question },
  ];
  const { data, response } = await front.client.chat.completions
    .create({ model: 'auto', messages, temperature: o.temperature ?? 0 }, { headers: o.headers ?? {} })
    .withResponse();
  return { content: data.choices[0]?.message.content, cache: response.headers.get('x-agentwall-cache') };
}

describe('the semantic cache', () => {
  it('misses, then hits exactly; a paraphrase hits by similarity; another question misses', async () => {
    const n = calls();
    expect(await ask('How do I reverse a linked list in Python?')).toEqual({
      content: 'echo: How do I reverse a linked list in Python?',
      cache: 'miss',
    });
    expect((await ask('How do I reverse a linked list in Python?')).cache).toBe('hit');
    const paraphrase = await ask('How can I reverse a linked list in Python?');
    expect(paraphrase.cache).toMatch(/^hit; similarity=0\.9\d$/);
    expect(paraphrase.content).toBe('echo: How do I reverse a linked list in Python?'); // the cached answer
    expect(calls()).toBe(n + 1);
    expect(await ask('How do I sort a linked list in Python?')).toMatchObject({ cache: 'miss' });
    expect(calls()).toBe(n + 2);
  });

  it('never serves an answer under another system prompt, temperature or user', async () => {
    await ask('What is the capital city of France?', { system: 'Answer in French.' });
    expect((await ask('What is the capital city of France?', { system: 'Answer in French.' })).cache).toBe(
      'hit',
    );
    expect((await ask('What is the capital city of France?', { system: 'Answer in German.' })).cache).toBe(
      'miss',
    );
    expect((await ask('What is the capital city of France?')).cache).toBe('miss');
    const warm = { system: 'Answer in French.', temperature: 0.9 };
    expect((await ask('What is the capital city of France?', warm)).cache).toBe('miss');
    const bob = { system: 'Answer in French.', headers: { 'x-test-user': 'bob' } };
    expect((await ask('What is the capital city of France?', bob)).cache).toBe('miss');
  });

  it('expires entries after the TTL (injected clock), for exact and semantic lookups', async () => {
    await ask('What is the capital city of Italy?');
    now += HOUR - 1;
    expect((await ask('What is the capital city of Italy?')).cache).toBe('hit');
    expect((await ask('what is the capital city of Italy')).cache).toMatch(/^hit; similarity=0\.9\d$/);
    now += 2;
    expect((await ask('what is the capital city of Italy')).cache).toBe('miss');
    expect((await ask('What is the capital city of Italy?')).cache).toMatch(/^hit; similarity=/); // the new entry
  });

  it('honours Cache-Control: no-store (neither read nor written) and no-cache (not read)', async () => {
    const noStore = { headers: { 'cache-control': 'no-store' } };
    expect((await ask('Name three primary colours.', noStore)).cache).toBe('bypass');
    expect((await ask('Name three primary colours.')).cache).toBe('miss');
    expect((await ask('Name three primary colours.', noStore)).cache).toBe('bypass');
    expect(
      (await ask('Name three primary colours.', { headers: { 'cache-control': 'no-cache' } })).cache,
    ).toBe('miss');
  });

  it('streams a cached answer back as SSE, and caches a complete streamed answer', async () => {
    await ask('Give me a haiku about autumn leaves.');
    const n = calls();
    const stream = await front.client.chat.completions
      .create({
        model: 'auto',
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Give me a haiku about autumn leaves.' }],
      })
      .withResponse();
    expect(stream.response.headers.get('x-agentwall-cache')).toBe('hit');
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let text = '';
    let usage = 0;
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage += chunk.usage?.total_tokens ?? 0;
    }
    expect(text).toBe('echo: Give me a haiku about autumn leaves.');
    expect(usage).toBeGreaterThan(0);
    expect(calls()).toBe(n);

    const live = front.client.chat.completions.stream({
      model: 'auto',
      temperature: 0,
      messages: [{ role: 'user', content: 'Write one sentence about the sea.' }],
    });
    expect((await live.finalChatCompletion()).choices[0]?.message.content).toBe(
      'echo: Write one sentence about the sea.',
    );
    expect(await ask('Write one sentence about the sea.')).toEqual({
      content: 'echo: Write one sentence about the sea.',
      cache: 'hit',
    });
  });

  it('replays a cached tool call through the guard, streamed', async () => {
    upstream.chat.reply = () => ({
      content: null,
      toolCalls: [{ name: 'send_email', arguments: '{"to":"x@y.z"}' }],
    });
    const messages = [{ role: 'user' as const, content: 'Mail the report to x@y.z please.' }];
    try {
      const first = await front.client.chat.completions.create({ model: 'auto', temperature: 0, messages });
      expect(first.choices[0]?.message.tool_calls).toBeUndefined();
      const n = calls();
      const replay = await front.client.chat.completions
        .stream({ model: 'auto', temperature: 0, messages })
        .finalChatCompletion();
      expect(replay.choices[0]?.message.tool_calls ?? []).toEqual([]);
      expect(replay.choices[0]?.message.content).toContain('blocked the tool call send_email: no mail');
      expect(replay.choices[0]?.finish_reason).toBe('stop');
      expect(calls()).toBe(n); // served from the cache
    } finally {
      upstream.chat.reply = (b) => ({
        content: `echo: ${String((b.messages as { content: string }[]).at(-1)?.content)}`,
      });
    }
  });

  it('keeps its entries in LMDB across a restart of the router', async () => {
    await ask('What is the boiling point of water at sea level?');
    await front.close();
    front = await startFront();
    const n = calls();
    expect((await ask('What is the boiling point of water at sea level?')).cache).toBe('hit');
    expect((await ask('What is the boiling point of water at the sea level?')).cache).toMatch(
      /^hit; similarity=/,
    );
    expect(calls()).toBe(n);
  });

  it('does not cache an upstream error or a stream that broke off', async () => {
    upstream.faults.failNext(1, 400, 'bad request');
    await expect(ask('Will this fail?')).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    expect((await ask('Will this fail?')).cache).toBe('miss');

    upstream.route('POST', '/v1/chat/completions', ({ res }) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      const chunk = { id: 'x', object: 'chat.completion.chunk', created: 1, model: 'qwen3-8b' };
      res.write(
        `data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: { content: 'half an' } }] })}\n\n`,
      );
      res.destroy();
    });
    const broken = front.client.chat.completions.stream({
      model: 'auto',
      temperature: 0,
      messages: [{ role: 'user', content: 'Tell me a long story.' }],
    });
    await expect(broken.finalChatCompletion()).rejects.toThrow();
    // Not stored: the same request goes upstream again (and fails there) instead of hitting.
    upstream.faults.failNext(3, 500, 'engine down');
    const err = (await ask('Tell me a long story.').catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.APIError
    >;
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.headers?.get('x-agentwall-cache')).toBe('miss');
  });
});

describe('the vector index', () => {
  const cos = (a: Float32Array, b: Float32Array) => {
    let [d, x, y] = [0, 0, 0];
    a.forEach((v, i) => ((d += v * b[i]!), (x += v * v), (y += b[i]! * b[i]!)));
    return d / Math.sqrt(x * y);
  };
  it.each([16, 40, 256])('finds what a full scan finds, pruning or not (dim %i)', (dim) => {
    const vector = fc.array(
      fc.integer({ min: -100, max: 100 }).map((x) => x / 100),
      { minLength: dim, maxLength: dim },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('g1', 'g2'), vector), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(39), { maxLength: 10 }),
        fc.tuple(fc.nat(39), vector, fc.constantFrom(0, 0.05, 0.3, 1)),
        fc.constantFrom(-1, 0, 0.5, 0.9, 0.97),
        (items, removed, [near, noise, scale], min) => {
          // The query is one of the vectors plus some noise, so that high floors have something to find.
          const base = items[near % items.length]![1];
          const q = Float32Array.from(base, (v, i) => v + scale * noise[i]!);
          fc.pre(q.some((v) => v !== 0) && items.every(([, v]) => v.some((x) => x !== 0)));
          const index = new VectorIndex(dim);
          items.forEach(([g, v], i) => index.add(g, `k${i}`, Float32Array.from(v)));
          for (const r of removed) index.remove(`k${r}`);
          const gone = new Set(removed.map((r) => `k${r}`));
          let want: { key: string; similarity: number } | undefined;
          items.forEach(([g, v], i) => {
            if (g !== 'g1' || gone.has(`k${i}`)) return;
            const c = cos(Float32Array.from(v), q);
            if (c >= min && (!want || c > want.similarity + 1e-6)) want = { key: `k${i}`, similarity: c };
          });
          const got = index.nearest('g1', q, min);
          if (want) expect(got?.similarity).toBeCloseTo(want.similarity, 4);
          else expect(got === undefined || got.similarity < min + 1e-5).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
