import { z } from 'zod';
import { formatIssues } from '../config/load.js';

/** MCP tool names as the spec recommends them; also what agentwall's naming can carry through. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

const callSchema = z.looseObject({
  name: z.string().regex(TOOL_NAME, 'a tool name (letters, digits, `_ . -`, at most 128)'),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

/**
 * A tool as the case lists it. The input schema is passed to the scripted server as given; one
 * without `type` gets `type: "object"`, the only type MCP allows for it (spec, server: tools).
 */
const toolSchema = z.looseObject({
  name: z.string().regex(TOOL_NAME, 'a tool name (letters, digits, `_ . -`, at most 128)'),
  description: z.string().optional(),
  inputSchema: z
    .looseObject({ type: z.literal('object', 'an MCP tool input schema has type "object"').optional() })
    .default({ type: 'object' })
    .transform((s) => ({ ...s, type: 'object' as const })),
  annotations: z.looseObject({}).optional(),
});

/** A scripted result: text as given; any other JSON value is served as its JSON text. */
const resultSchema = z
  .unknown()
  .refine((v) => v !== undefined && v !== null, 'a result (text, or a JSON value)')
  .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

const caseSchema = z
  .looseObject({
    id: z.string().min(1),
    kind: z.enum(['attack', 'benign']),
    source: z.string().min(1),
    /** Context for the report only: agentwall, an MCP proxy, never sees the user's prompt. */
    user_task: z.string().optional(),
    tools: z.array(toolSchema).min(1),
    trace: z.array(z.looseObject({ call: callSchema, result: resultSchema })).default([]),
    next: callSchema,
    meta: z
      .looseObject({
        /** Trace steps that already serve the goal `next` completes: a block there counts as a block of it. */
        attack_steps_in_trace: z.array(z.int().min(0)).optional(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.tools.forEach((t, i) => {
      if (names.has(t.name))
        ctx.addIssue({ code: 'custom', path: ['tools', i, 'name'], message: `duplicate tool ${t.name}` });
      names.add(t.name);
    });
    const unknown = (path: (string | number)[], name: string) =>
      names.has(name) ||
      ctx.addIssue({ code: 'custom', path, message: `"${name}" is not one of the case's tools` });
    c.trace.forEach((s, i) => unknown(['trace', i, 'call', 'name'], s.call.name));
    unknown(['next', 'name'], c.next.name);
    (c.meta?.attack_steps_in_trace ?? []).forEach((step, i) => {
      if (step >= c.trace.length)
        ctx.addIssue({
          code: 'custom',
          path: ['meta', 'attack_steps_in_trace', i],
          message: `trace has no step ${step} (it has ${c.trace.length})`,
        });
    });
  });

export type EvalCase = z.output<typeof caseSchema>;
export type CaseTool = EvalCase['tools'][number];
export type CaseCall = EvalCase['next'];

/** Which trace steps count like `next`: `meta.attack_steps_in_trace`, none when absent. */
export function goalSteps(c: EvalCase): readonly number[] {
  return c.meta?.attack_steps_in_trace ?? [];
}

export type ParsedCases =
  | { readonly ok: true; readonly cases: readonly EvalCase[] }
  | { readonly ok: false; readonly errors: readonly string[] };

const MAX_ERRORS = 20;

/**
 * Parses a JSONL file of cases. Blank lines are skipped; every problem is reported as
 * `FILE:LINE: field.path: message` (up to 20), and one bad line rejects the file.
 */
export function parseCases(text: string, file: string): ParsedCases {
  const cases: EvalCase[] = [];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    const at = `${file}:${i + 1}`;
    if (line.trim() === '' || errors.length >= MAX_ERRORS) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      errors.push(`${at}: not JSON: ${(err as Error).message}`);
      return;
    }
    const parsed = caseSchema.safeParse(raw);
    if (!parsed.success) {
      errors.push(...formatIssues(parsed.error.issues).map((e) => `${at}: ${e}`));
      return;
    }
    const first = seen.get(parsed.data.id);
    if (first !== undefined) {
      errors.push(`${at}: id: duplicate id ${parsed.data.id} (first on line ${first})`);
      return;
    }
    seen.set(parsed.data.id, i + 1);
    cases.push(parsed.data);
  });
  if (errors.length === 0 && cases.length === 0) errors.push(`${file}: no cases`);
  return errors.length > 0 ? { ok: false, errors: errors.slice(0, MAX_ERRORS) } : { ok: true, cases };
}
