import { afterEach, describe, expect, it } from 'vitest';
import { chatBodies, startHarness, type Harness } from './harness.js';

const messages = [{ role: 'user' as const, content: 'hello' }];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Starts a harness with two stand-ins, upstreams `a` and `b`. */
async function weighted(routing: Record<string, unknown>, weights?: [number, number]) {
  const upstreamFields = weights?.map((weight) => ({ weight }));
  const harness = await startHarness({ routing, standins: 2, ...(upstreamFields ? { upstreamFields } : {}) });
  const [a, b] = harness.upstreams as [Harness['upstreams'][0] & object, Harness['upstreams'][0] & object];
  return { harness, a, b };
}

describe('weighted balancing', () => {
  it('spreads first attempts by weight (smooth round robin), interleaved', async () => {
    const { harness, a, b } = await weighted({
      models: { 'qwen3-8b': { upstreams: ['a', 'b'], balance: 'weighted' } },
      default_model: 'qwen3-8b',
      cache: { mode: 'off' },
    });
    h = harness;
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const before = chatBodies(a).length;
      await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
      order.push(chatBodies(a).length > before ? 'a' : 'b');
    }
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(chatBodies(b).length).toBe(3);
  });

  it('gives an upstream of weight 3 three first attempts in four', async () => {
    const { harness, a, b } = await weighted(
      {
        models: { 'qwen3-8b': { upstreams: ['a', 'b'], balance: 'weighted' } },
        default_model: 'qwen3-8b',
        cache: { mode: 'off' },
      },
      [3, 1],
    );
    h = harness;
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      const before = chatBodies(a).length;
      await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
      order.push(chatBodies(a).length > before ? 'a' : 'b');
    }
    expect(order).toEqual(['a', 'a', 'b', 'a', 'a', 'a', 'b', 'a']);
    expect(chatBodies(b).length).toBe(2);
  });

  it('keeps list order without `balance: weighted`', async () => {
    const { harness, a, b } = await weighted({
      models: { 'qwen3-8b': { upstreams: ['b', 'a'] } },
      default_model: 'qwen3-8b',
      cache: { mode: 'off' },
    });
    h = harness;
    for (let i = 0; i < 3; i++) await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
    expect([chatBodies(a).length, chatBodies(b).length]).toEqual([0, 3]);
  });
});

describe('active health checks', () => {
  it('tries an upstream whose health check failed last, and first again once it passes', async () => {
    const { harness, a, b } = await weighted({
      models: { 'qwen3-8b': { upstreams: ['a', 'b'] } },
      default_model: 'qwen3-8b',
      cache: { mode: 'off' },
      health_check: { interval: '1h' },
    });
    h = harness;
    await h.pool.checkHealth();
    expect(h.pool.health()).toEqual({ a: true, b: true });
    expect(a.requests.some((r) => r.method === 'GET' && r.path === '/health')).toBe(true);
    a.faults.failNext(1, 503, 'engine dead'); // the next request to a: the health check
    await h.pool.checkHealth();
    expect(h.pool.health()).toEqual({ a: false, b: true });
    await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
    expect([chatBodies(a).length, chatBodies(b).length]).toEqual([0, 1]);
    await h.pool.checkHealth();
    expect(h.pool.health().a).toBe(true);
    await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
    expect([chatBodies(a).length, chatBodies(b).length]).toEqual([1, 1]);
  });

  it('still tries an unhealthy upstream when it is the only one left', async () => {
    const { harness, a } = await weighted({
      models: { 'qwen3-8b': { upstreams: ['a'] } },
      default_model: 'qwen3-8b',
      cache: { mode: 'off' },
      health_check: { interval: '1h' },
    });
    h = harness;
    await h.pool.checkHealth(); // the first round, started with the pool, is over
    a.faults.failNext(1, 503);
    await h.pool.checkHealth();
    expect(h.pool.health().a).toBe(false);
    const r = await h.client.chat.completions.create({ model: 'qwen3-8b', messages });
    expect(r.choices[0]?.message.content).toBe('echo: hello');
  });
});
