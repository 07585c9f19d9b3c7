import { z } from 'zod';
import { parseDuration } from '../config/duration.js';

/**
 * The `routing:` section of agentwall.yaml (docs/routing.md): upstream OpenAI-compatible servers, the
 * models they serve, the signals computed per request, the CEL decisions over them, and the cache.
 * Pure zod (no I/O); `config/schema.ts` mounts it and `config/load.ts` resolves `api_key_env`.
 */
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid duration ${JSON.stringify(v)} (use e.g. 250ms, 30s, 1h)`,
    });
    return z.NEVER;
  }
  return ms;
});

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names that become CEL map keys (`signals.keywords.urgent`): identifiers. */
const SIGNAL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const upstreamSchema = z.strictObject({
  name: z.string().regex(NAME),
  /** The OpenAI base URL, with its path: `http://127.0.0.1:8000/v1`. */
  url: z.url({ protocol: /^https?$/ }),
  /** The environment variable holding the bearer key sent upstream; read at start. */
  api_key_env: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
  /** Keep-alive connections per upstream. */
  connections: z.number().int().positive().default(64),
  /** Share of first attempts for models with `balance: weighted` (relative to the model's other upstreams). */
  weight: z.number().int().min(1).max(1000).default(1),
});

const modelSchema = z.strictObject({
  /** Endpoints in failover order (names of `routing.upstreams`). */
  upstreams: z.array(z.string().min(1)).min(1),
  /** How the reasoning switch is sent: qwen3 → `chat_template_kwargs.enable_thinking`, granite → `.thinking`. */
  reasoning_family: z.enum(['qwen3', 'granite']).optional(),
  /** `failover`: the first healthy upstream in order; `weighted`: spread by `weight`, the rest as failover. */
  balance: z.enum(['failover', 'weighted']).default('failover'),
});

const keywordSchema = z
  .strictObject({
    name: z.string().regex(SIGNAL_NAME),
    any: z.array(z.string().min(1)).min(1).optional(),
    all: z.array(z.string().min(1)).min(1).optional(),
    /** An RE2-compatible pattern, tested case-insensitively. */
    regex: z.string().min(1).optional(),
  })
  .refine((k) => [k.any, k.all, k.regex].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of `any`, `all` or `regex`',
  });

const similaritySchema = z.strictObject({
  name: z.string().regex(SIGNAL_NAME),
  examples: z.array(z.string().min(1)).min(1),
  threshold: z.number().min(-1).max(1).default(0.8),
});

const decisionSchema = z
  .strictObject({
    name: z.string().regex(NAME),
    priority: z.number().int().default(0),
    /** CEL over `signals`, `request` and `principal`. */
    when: z.string().min(1),
    action: z.enum(['route', 'deny']).default('route'),
    model: z.string().min(1).optional(),
    reasoning: z.boolean().optional(),
    message: z.string().optional(),
    /** A system prompt put first in the upstream request (`insert`), or in place of the client's (`replace`). */
    system_prompt: z
      .strictObject({ text: z.string().min(1), mode: z.enum(['insert', 'replace']).default('insert') })
      .optional(),
  })
  .refine(
    (d) =>
      d.action === 'deny' ||
      d.model !== undefined ||
      d.reasoning !== undefined ||
      d.system_prompt !== undefined,
    { message: 'a route decision names a `model`, a `reasoning` mode or a `system_prompt`' },
  );

export const routingSchema = z
  .strictObject({
    upstreams: z.array(upstreamSchema).min(1),
    models: z.record(z.string().regex(NAME), modelSchema),
    /** The model for `auto` (or no model) when no decision picks one. */
    default_model: z.string().min(1),
    signals: z
      .strictObject({
        keywords: z.array(keywordSchema).default([]),
        similarity: z.array(similaritySchema).default([]),
      })
      .prefault({}),
    decisions: z.array(decisionSchema).default([]),
    /** Per attempt: time to the response headers; a stream's idle gap between chunks. */
    timeout: duration.default(60_000),
    /** Further attempts after the first, on connect errors and 5xx, each on the next endpoint. */
    retries: z.number().int().min(0).max(5).default(2),
    /** How long an endpoint that refused a connection is tried last. */
    down_for: duration.default(5_000),
    /** Active health checks: `GET <origin><path>` on every upstream; one that fails is tried last. */
    health_check: z
      .strictObject({
        interval: duration.default(10_000),
        /** Below the upstream's origin, not its `/v1` base (vLLM serves `/health` at the root). */
        path: z.string().startsWith('/').default('/health'),
        timeout: duration.default(2_000),
      })
      .optional(),
    /** What the agent reads in place of a tool call the outbound gate refused. */
    denied_tool_call_message: z
      .string()
      .default('agentwall blocked the tool call {tool}: {reason}. Do not retry it; tell the user.'),
    cache: z
      .strictObject({
        mode: z.enum(['off', 'exact', 'exact_then_semantic']).default('exact'),
        ttl: duration.default(3_600_000),
        /** `tenant`: the principal's `tenant` claim (its id when it has none). */
        scope: z.enum(['user', 'tenant', 'global']).default('user'),
        max_entries: z.number().int().positive().default(10_000),
        /** Lowest cosine of the last user turns for a semantic hit. */
        threshold: z.number().min(0).max(1).default(0.92),
        /** Keep entries in the store's LMDB (`llm-cache`) and reload them at start. */
        persist: z.boolean().default(true),
      })
      .prefault({}),
    /** `role: tool` messages of requests go through the inbound checkpoint. */
    tool_messages: z
      .strictObject({
        inspect: z.boolean().default(true),
        trust: z.enum(['untrusted', 'trusted']).default('untrusted'),
      })
      .prefault({}),
    /** `filtered`: only the `top_k` tools most similar to the last user turn are offered upstream. */
    tools: z
      .strictObject({
        mode: z.enum(['all', 'filtered']).default('all'),
        top_k: z.number().int().positive().default(8),
      })
      .prefault({}),
  })
  .superRefine((r, ctx) => {
    const upstreams = new Set(r.upstreams.map((u) => u.name));
    for (const [name, m] of Object.entries(r.models)) {
      m.upstreams.forEach((u, i) => {
        if (!upstreams.has(u))
          ctx.addIssue({
            code: 'custom',
            path: ['models', name, 'upstreams', i],
            message: `no upstream "${u}"`,
          });
      });
    }
    if (!Object.hasOwn(r.models, r.default_model))
      ctx.addIssue({ code: 'custom', path: ['default_model'], message: `no model "${r.default_model}"` });
    if (Object.hasOwn(r.models, 'auto'))
      ctx.addIssue({ code: 'custom', path: ['models', 'auto'], message: '"auto" is the virtual model' });
    r.decisions.forEach((d, i) => {
      if (d.model !== undefined && !Object.hasOwn(r.models, d.model))
        ctx.addIssue({ code: 'custom', path: ['decisions', i, 'model'], message: `no model "${d.model}"` });
    });
  });

export type RoutingConfig = z.output<typeof routingSchema>;
export type RoutingDecisionSpec = RoutingConfig['decisions'][number];
