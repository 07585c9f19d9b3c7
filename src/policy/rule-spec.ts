import { z } from 'zod';
import { parseDuration } from '../config/duration.js';

export const EVENT_KINDS = [
  'tool_call',
  'tools_list',
  'tool_result',
  'resource',
  'prompt',
  'memory_write',
  'llm_request',
  'llm_response',
] as const;

export const RULE_ACTIONS = [
  'allow',
  'deny',
  'redact',
  'require_approval',
  'quarantine',
  'annotate',
] as const;

/** Finding kinds a content `redact` rule can replace (docs/inbound.md). */
export const REDACTABLE_KINDS = ['pii', 'secret', 'exfil_link', 'hidden_html', 'encoded'] as const;

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});

/** One rule of a bundle, as written in YAML (docs/policy.md). */
export const ruleSpecSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'rule ids use letters, digits, `_ . : -`'),
    description: z.string().optional(),
    on: z
      .union([z.enum(EVENT_KINDS), z.array(z.enum(EVENT_KINDS)).min(1)])
      .transform((v) => (Array.isArray(v) ? v : [v])),
    when: z.string().min(1),
    action: z.enum(RULE_ACTIONS),
    message: z.string().optional(),
    mode: z.enum(['enforce', 'shadow']).default('enforce'),
    redact: z
      .strictObject({
        /** Tool calls: argument paths to mask before forwarding: `args.password`, `args.auth.token`. */
        paths: z
          .array(z.string().regex(/^args(\.[A-Za-z0-9_-]+)+$/, 'paths look like args.field.subfield'))
          .min(1)
          .optional(),
        /** Content: the finding kinds whose spans are replaced (default: pii, secret, exfil_link). */
        kinds: z.array(z.enum(REDACTABLE_KINDS)).min(1).optional(),
        replacement: z.string().default('[REDACTED]'),
      })
      .optional(),
    approval: z.strictObject({ timeout: duration.default(5 * 60_000) }).optional(),
    /** Labels the memory checkpoint adds to a write this rule fires on (docs/memory.md); ignored elsewhere. */
    labels: z
      .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'labels use letters, digits, `_ . : -`'))
      .min(1)
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.action === 'redact' && r.redact?.paths === undefined && r.on.includes('tool_call')) {
      ctx.addIssue({
        code: 'custom',
        path: ['redact'],
        message: 'a redact rule on tool_call needs redact.paths',
      });
    }
  });

/** The LLM side of a policy test event: the route, the request in figures, and the answer. */
export const llmTestSchema = z.strictObject({
  endpoint: z.enum(['chat', 'completions', 'responses']).default('chat'),
  model: z.string().default('test-model'),
  decision: z.string().default('default'),
  messages: z.number().int().min(0).default(1),
  tools: z.number().int().min(0).default(0),
  tokens: z.number().min(0).default(0),
  stream: z.boolean().default(false),
  cached: z.boolean().default(false),
  finish_reasons: z.array(z.string()).default(['stop']),
  usage: z
    .strictObject({
      prompt_tokens: z.number().default(0),
      completion_tokens: z.number().default(0),
      total_tokens: z.number().default(0),
    })
    .prefault({}),
  tool_calls: z.number().int().min(0).default(0),
  tool_calls_denied: z.number().int().min(0).default(0),
  grounding: z
    .strictObject({
      score: z.number().min(0).max(1),
      sentences: z.number().int().min(0),
      supported: z.number().int().min(0),
    })
    .optional(),
  /** The answer's text (`llm.answer_text`); `text` is the user turn. */
  answer: z.string().default(''),
});

/** A policy test: an event and what the bundle must decide for it. */
export const policyTestSchema = z.strictObject({
  name: z.string().min(1),
  event: z.strictObject({
    kind: z.enum(EVENT_KINDS).default('tool_call'),
    server: z.string().default('test'),
    tool: z
      .strictObject({
        name: z.string(),
        description: z.string().optional(),
        annotations: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
    args: z.record(z.string(), z.unknown()).default({}),
    principal: z
      .strictObject({
        id: z.string().default('tester'),
        roles: z.array(z.string()).default([]),
        claims: z.record(z.string(), z.unknown()).default({}),
      })
      .prefault({}),
    session: z
      .strictObject({
        labels: z.array(z.string()).default([]),
        calls: z
          .array(
            z.strictObject({ server: z.string(), tool: z.string(), action: z.string().default('allow') }),
          )
          .default([]),
        counters: z.record(z.string(), z.number()).default({}),
      })
      .prefault({}),
    signals: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
    text: z.string().optional(),
    /** For `memory_write`: the write (docs/memory.md, "Policy"). */
    memory: z
      .strictObject({
        namespace: z.string().default('principal:tester'),
        key: z.string().default('note'),
        value: z.unknown().default(''),
        shared: z.boolean().default(false),
        tombstone: z.boolean().default(false),
        labels: z.array(z.string()).default([]),
        derived_versions: z.array(z.number().int()).default([]),
        sources: z
          .array(
            z.strictObject({
              server: z.string(),
              subject: z.string().default(''),
              content_hash: z.string().default(''),
              url: z.string().optional(),
              label: z.string().default('untrusted_content'),
            }),
          )
          .default([]),
      })
      .optional(),
    /** For `llm_request` and `llm_response` (docs/policy.md, "Tests"). */
    llm: llmTestSchema.optional(),
  }),
  expect: z.strictObject({
    action: z.enum([...RULE_ACTIONS]),
    /** Rule ids that must fire (others may fire too). */
    rules: z.array(z.string()).optional(),
    /** Rule ids that must not fire. */
    not_rules: z.array(z.string()).optional(),
  }),
});

export const bundleSchema = z.strictObject({
  version: z.literal(1).default(1),
  rules: z.array(ruleSpecSchema).default([]),
  tests: z.array(policyTestSchema).default([]),
  /** `params` this file's tests run with, over the configured ones. */
  test_params: z.record(z.string(), z.unknown()).default({}),
});

export type RuleSpec = z.output<typeof ruleSpecSchema>;
export type PolicyTest = z.output<typeof policyTestSchema>;
export type BundleSpec = z.output<typeof bundleSchema>;
export type EventKindName = (typeof EVENT_KINDS)[number];
