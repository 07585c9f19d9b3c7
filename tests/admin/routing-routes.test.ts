// The routing endpoints of the admin API over the real LLM router (shipped domain model, a vLLM
// stand-in on loopback): the playground explains without calling the upstream; stats count traffic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routingRoutes } from '../../src/admin/routing-routes.js';
import { loadDomainClassifier } from '../../src/routing/router.js';
import type { SignalModels } from '../../src/routing/signals.js';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.js';
import { chatBodies, startHarness, type Harness } from '../routing/harness.js';

const TOKEN = 'admin-token-for-routing-routes';
const MATH = 'What is the derivative of x^3 + 2x? Compute the limit as x approaches 0.';
const ROUTING = {
  models: { 'qwen3-8b': { upstreams: ['a'] }, 'qwen3-32b': { upstreams: ['a'], reasoning_family: 'qwen3' } },
  default_model: 'qwen3-8b',
  signals: { keywords: [{ name: 'urgent', any: ['urgent', 'asap'] }] },
  decisions: [
    {
      name: 'math',
      priority: 10,
      when: 'signals.domain == "math" && signals.domain_score > 0.6',
      model: 'qwen3-32b',
      reasoning: true,
    },
    { name: 'no-urgent', priority: 20, when: 'signals.keywords.urgent', action: 'deny', message: 'no rush' },
  ],
};

let models: SignalModels;
let h: Harness;
let admin: AdminServer;
let off: AdminServer;

beforeAll(async () => {
  models = { domain: await loadDomainClassifier() };
  h = await startHarness({ routing: ROUTING, models });
  admin = await startAdminServer(routingRoutes(h.router), TOKEN);
  off = await startAdminServer(routingRoutes(undefined), TOKEN);
});
afterAll(async () => {
  await admin.close();
  await off.close();
  await h.close();
  await models.domain?.close();
});

/** The fields these tests read of the answers. */
interface Body {
  error?: { code: string };
  signals: { domain?: string; domain_score?: number };
  latency_ms?: number;
  requests: Record<string, number>;
  decisions: Record<string, number>;
  cache: { hits: number; misses: number; hit_rate: number | null };
}

async function call(path: string, body?: unknown, token: string | null = TOKEN, base = admin.base) {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

describe('admin routing routes', () => {
  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-admin-token-at-all'],
  ])('refuse %s with 401', async (_name, token) => {
    expect((await call('/admin/routing/stats', undefined, token)).status).toBe(401);
    const p = await call('/admin/routing/playground', { prompt: MATH }, token);
    expect(p).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
  });

  it('explains a math prompt: the math decision, its model and reasoning, the domain signal; no upstream call', async () => {
    const before = chatBodies(h.upstreams[0]!).length;
    const r = await call('/admin/routing/playground', { prompt: MATH });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ decision: 'math', action: 'route', model: 'qwen3-32b', reasoning: true });
    expect(r.body.signals.domain).toBe('math');
    expect(r.body.signals.domain_score).toBeGreaterThan(0.6);
    expect(typeof r.body.latency_ms).toBe('number');
    expect(chatBodies(h.upstreams[0]!).length).toBe(before);
  });

  it('explains messages as given, a deny with its message, and the default', async () => {
    const deny = await call('/admin/routing/playground', {
      messages: [{ role: 'user', content: 'this is urgent' }],
    });
    expect(deny.body).toMatchObject({ decision: 'no-urgent', action: 'deny', message: 'no rush' });
    const plain = await call('/admin/routing/playground', { prompt: 'hello, how are you' });
    expect(plain.body).toMatchObject({ decision: 'default', action: 'route', model: 'qwen3-8b' });
  });

  it.each([
    ['no prompt', {}],
    ['an empty prompt', { prompt: '  ' }],
    ['a list body', [1]],
    ['an unknown model', { prompt: 'hi', model: 'gpt-nope' }],
    ['no messages', { messages: [] }],
  ])('answers 400 to %s', async (_name, body) => {
    const r = await call('/admin/routing/playground', body);
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'ROUTING_INVALID_BODY' } } });
  });

  it('counts requests per model and decision, and the cache hit rate', async () => {
    const empty = await call('/admin/routing/stats');
    expect(empty.status).toBe(200);
    const ask = () =>
      h.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: MATH }] });
    await ask();
    await ask(); // the same question again: the exact cache answers it
    // The router counts a response when it closes, which may be just after the client has read it.
    const stats = async () => (await call('/admin/routing/stats')).body;
    await expect.poll(async () => (await stats()).decisions.math).toBe((empty.body.decisions.math ?? 0) + 2);
    const r = await stats();
    expect(r.requests['qwen3-32b']).toBe((empty.body.requests['qwen3-32b'] ?? 0) + 2);
    const { hits, misses, hit_rate } = r.cache;
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(hit_rate).toBeCloseTo(hits / (hits + misses));
  });

  it('answers 404 ROUTING_NOT_CONFIGURED when the router is off', async () => {
    for (const [path, body] of [
      ['/admin/routing/stats', undefined],
      ['/admin/routing/playground', { prompt: 'x' }],
    ] as const) {
      const r = await call(path, body, TOKEN, off.base);
      expect(r).toMatchObject({ status: 404, body: { error: { code: 'ROUTING_NOT_CONFIGURED' } } });
    }
  });
});
