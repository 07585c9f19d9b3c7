import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import pino from 'pino';
import { startRuntime, type Runtime } from '../../src/cli/runtime.js';
import { resolveConfig } from '../../src/config/load.js';
import type { ToolCallEvent } from '../../src/core/events.js';
import { createPipeline } from '../../src/core/pipeline.js';
import { isAgentwallError } from '../../src/core/errors.js';
import { createSession } from '../../src/core/session.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { startHttpFront, type HttpFront } from '../../src/mcp/http/server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { startVllmStandin, type VllmStandin } from '../support/vllm-standin.js';
import { GENERATE_MODELS, startHarness, type Harness } from './harness.js';

/** The value of the sample `name{labels…}` in Prometheus text (labels in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const ROUTING = {
  models: { 'qwen3-8b': { upstreams: ['a'] }, 'qwen3-32b': { upstreams: ['a'] } },
  default_model: 'qwen3-8b',
  signals: {
    keywords: [
      { name: 'urgent', any: ['asap'] },
      { name: 'bad', any: ['forbidden topic'] },
    ],
  },
  decisions: [
    { name: 'urgent', priority: 5, when: 'signals.keywords.urgent', model: 'qwen3-32b', reasoning: true },
    { name: 'no', priority: 9, when: 'signals.keywords.bad', action: 'deny', message: 'not here' },
  ],
};

describe('router metrics, explain and stats', () => {
  let h: Harness;
  let metrics: Metrics;
  beforeAll(async () => {
    metrics = createMetrics();
    // The outbound gate refuses `delete_everything`, as a policy rule would.
    const toolCall = createPipeline<ToolCallEvent>({
      stages: [
        {
          name: 'test-policy',
          run(ctx) {
            if (ctx.event.tool.name === 'delete_everything')
              ctx.fired.push({ id: 'no-deletes', action: 'deny', mode: 'enforce', message: 'no' });
          },
        },
      ],
      defaultAction: 'allow',
      onStageError: 'deny',
      sinks: [],
    });
    h = await startHarness({ routing: ROUTING, metrics: metrics.llm, toolCall });
  });
  afterAll(() => h.close());
  const user = (content: string) => [{ role: 'user' as const, content }];

  it('counts requests, decisions, cache results, latency and time to first token per model', async () => {
    await h.client.chat.completions.create({ model: 'auto', messages: user('hello') });
    await h.client.chat.completions.create({ model: 'auto', messages: user('hello') }); // cache hit
    const stream = await h.client.chat.completions.create({
      model: 'auto',
      messages: user('go asap'),
      stream: true,
    });
    for await (const _ of stream) void _;
    await h.client.completions.create({ model: 'auto', prompt: 'legacy asap' });
    await expect(
      h.client.chat.completions.create({ model: 'auto', messages: user('forbidden topic') }),
    ).rejects.toThrow();
    // The last response's `close` fires after the client has its body; wait for it to be counted.
    await vi.waitFor(() => expect(h.router.stats().decisions.no).toBe(1));
    const { body, contentType } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain/);
    const chat = { route: 'POST /v1/chat/completions' };
    expect(
      sample(body, 'agentwall_llm_requests_total', {
        ...chat,
        model: 'qwen3-8b',
        decision: 'default',
        status: '200',
      }),
    ).toBe(2);
    expect(
      sample(body, 'agentwall_llm_requests_total', {
        ...chat,
        model: 'qwen3-32b',
        decision: 'urgent',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(body, 'agentwall_llm_requests_total', { ...chat, model: '', decision: 'no', status: '403' }),
    ).toBe(1);
    expect(
      sample(body, 'agentwall_llm_requests_total', { route: 'POST /v1/completions', model: 'qwen3-32b' }),
    ).toBe(1);
    expect(sample(body, 'agentwall_llm_decisions_total', { decision: 'urgent' })).toBe(2);
    expect(sample(body, 'agentwall_llm_upstream_up', { upstream: 'a' })).toBe(1);
    expect(sample(body, 'agentwall_llm_cache_total', { result: 'hit' })).toBe(1);
    expect(sample(body, 'agentwall_llm_cache_total', { result: 'miss' })).toBe(2); // the stream is looked up too
    expect(sample(body, 'agentwall_llm_guard_actions_total', { action: 'request_denied' })).toBe(1);
    expect(sample(body, 'agentwall_llm_request_duration_seconds_count', { ...chat, model: 'qwen3-8b' })).toBe(
      2,
    );
    expect(
      sample(body, 'agentwall_llm_time_to_first_token_seconds_count', { ...chat, model: 'qwen3-32b' }),
    ).toBe(1);
    expect(
      sample(body, 'agentwall_llm_time_to_first_token_seconds_count', { ...chat, model: 'qwen3-8b' }),
    ).toBeUndefined();
  });

  it('stats(): per-model and per-decision counts and cache hits/misses', () => {
    expect(h.router.stats()).toEqual({
      requests: { 'qwen3-8b': 2, 'qwen3-32b': 2 },
      decisions: { default: 2, urgent: 2, no: 1 },
      cache: { hits: 1, misses: 2 },
    });
  });

  it('counts tool calls the outbound gate removed', async () => {
    const u = h.upstreams[0]!;
    const reply = u.chat.reply;
    u.chat.reply = () => ({ content: null, toolCalls: [{ name: 'delete_everything', arguments: '{}' }] });
    try {
      const { response } = await h.client.chat.completions
        .create({ model: 'auto', messages: user('clean up, please') })
        .withResponse();
      expect(response.headers.get('x-agentwall-tool-calls-denied')).toBe('delete_everything');
    } finally {
      u.chat.reply = reply;
    }
    await vi.waitFor(() => expect(h.router.stats().decisions.default).toBe(3));
    const { body } = await metrics.render();
    expect(sample(body, 'agentwall_llm_guard_actions_total', { action: 'tool_call_denied' })).toBe(1);
  });

  it('explain(): signals and the decision without calling an upstream', async () => {
    const before = h.upstreams[0]!.requests.length;
    const alice = { id: 'alice', roles: [], claims: {} };
    const routed = await h.router.explain({ model: 'auto', messages: user('How many moons, asap?') }, alice);
    expect(routed).toMatchObject({
      action: 'route',
      decision: 'urgent',
      model: 'qwen3-32b',
      reasoning: true,
    });
    expect(routed.signals).toMatchObject({
      keywords: { urgent: true, bad: false },
      fact_check: true,
      pii: 0,
    });
    const denied = await h.router.explain({ messages: user('a forbidden topic') }, alice);
    expect(denied).toEqual({
      action: 'deny',
      decision: 'no',
      message: 'not here',
      signals: expect.any(Object),
    });
    const plain = await h.router.explain({ messages: user('mail ada@example.com') }, alice);
    expect(plain).toMatchObject({
      action: 'route',
      decision: 'default',
      model: 'qwen3-8b',
      signals: { pii: 1 },
    });
    expect(plain.reasoning).toBeUndefined();
    const bad = await h.router.explain({ messages: [] }, alice).catch((e: unknown) => e);
    expect(isAgentwallError(bad, 'INVALID_PARAMS')).toBe(true);
    const unknown = await h.router
      .explain({ model: 'nope', messages: user('x') }, alice)
      .catch((e: unknown) => e);
    expect(isAgentwallError(unknown, 'INVALID_PARAMS')).toBe(true);
    expect(h.upstreams[0]!.requests.length).toBe(before);
    expect(h.router.stats().decisions.urgent).toBe(2); // explain is not a request
  });
});

describe('GET /metrics on the HTTP front', () => {
  const ADMIN = 'metrics-admin-token-0123456789';
  const AGENT = 'metrics-agent-token-0123456789';
  let dir: TempDir;
  let upstream: VllmStandin;
  let rt: Runtime;
  let front: HttpFront;
  beforeAll(async () => {
    dir = await makeTempDir('agentwall-metrics-');
    upstream = await startVllmStandin({ models: GENERATE_MODELS });
    const config = resolveConfig(
      {
        listen: { port: 0 },
        data_dir: dir.path,
        auth: { tokens: [{ token_env: 'AW_TOKEN', principal: 'alice' }] },
        policies: { watch: false },
        scorers: {
          injection: { enabled: false },
          jailbreak: { enabled: false },
          capability: { enabled: false },
        },
        routing: {
          upstreams: [{ name: 'a', url: `${upstream.url}/v1` }],
          models: { 'qwen3-8b': { upstreams: ['a'] } },
          default_model: 'qwen3-8b',
        },
      },
      { source: 'test', baseDir: dir.path, env: { AW_TOKEN: AGENT } },
    );
    rt = await startRuntime(config, { logger: { log: pino({ level: 'silent' }), flush: () => undefined } });
    front = await startHttpFront(rt.sessionDeps, {
      metrics: { render: () => rt.metrics.render(), token: ADMIN },
      ...(rt.router ? { v1: rt.router.handle.bind(rt.router) } : {}),
    });
  });
  afterAll(async () => {
    await front.close();
    await rt.close();
    await upstream.close();
    await dir.remove();
  });

  const scrape = (token?: string) =>
    fetch(`${front.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('needs the admin token, not an agent token', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape(AGENT)).status).toBe(401);
    const ok = await scrape(ADMIN);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('shows /v1 traffic and the MCP checkpoint verdicts (per kind, action, rule) with pipeline latency', async () => {
    const client = new OpenAI({ baseURL: `${front.url}/v1`, apiKey: AGENT, maxRetries: 0 });
    await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    const principal = { id: 'alice', roles: [], claims: {} };
    const event: ToolCallEvent = {
      id: 'e1',
      kind: 'tool_call',
      time: Date.now(),
      session: createSession('s1', principal),
      principal,
      server: 'files',
      tool: { name: 'read_file' },
      args: {},
    };
    const verdict = await rt.sessionDeps.checkpoints.toolCall.evaluate(event);
    // Verdict sinks run after the event went on (deferSinks): poll the scrape until it shows.
    await vi.waitFor(async () => {
      const body = await (await scrape(ADMIN)).text();
      expect(sample(body, 'agentwall_verdicts_total', { kind: 'tool_call', action: verdict.action })).toBe(1);
      expect(sample(body, 'agentwall_pipeline_duration_seconds_count', { kind: 'tool_call' })).toBe(1);
      expect(sample(body, 'agentwall_llm_requests_total', { model: 'qwen3-8b', status: '200' })).toBe(1);
    });
    const body = await (await scrape(ADMIN)).text();
    for (const r of verdict.rules)
      expect(sample(body, 'agentwall_rules_fired_total', { kind: 'tool_call', rule: r.id })).toBe(1);
    for (const t of verdict.timings)
      expect(
        sample(body, 'agentwall_pipeline_stage_duration_seconds_count', { stage: t.stage }),
      ).toBeGreaterThanOrEqual(1);
  });
});
