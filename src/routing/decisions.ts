import { isCelError, parse, plan } from '@bufbuild/cel';
import type { Principal } from '../core/session.js';
import { toCel } from '../policy/activation.js';
import { createPolicyEnv } from '../policy/compile.js';
import type { ChatRequest } from './chat.js';
import type { RoutingConfig, RoutingDecisionSpec } from './schema.js';
import { neutralSignals, type RoutingSignals } from './signals.js';

/** The variables a routing decision may read. */
export const DECISION_VARIABLES = ['signals', 'request', 'principal'] as const;

export interface CompiledDecision extends RoutingDecisionSpec {
  readonly test: (vars: Record<string, unknown>) => boolean | Error;
}

export type Choice =
  | { readonly action: 'deny'; readonly decision: string; readonly message: string }
  | {
      readonly action: 'route';
      readonly model: string;
      /** The decision that fired, or `default` / `explicit`. */
      readonly decision: string;
      readonly reasoning: boolean | undefined;
    };

/**
 * Compiles each decision's `when` once with the policy engine's CEL environment (same functions, RE2
 * `matches`). An error names the decision: `routing.decisions[2].when: …`. A dry run against neutral
 * variables catches unknown variables and type errors at start (in branches CEL evaluates there).
 */
export function compileDecisions(routing: RoutingConfig): CompiledDecision[] {
  const env = createPolicyEnv();
  const neutral = toCel(
    decisionVariables(neutralSignals(routing), { model: 'auto', messages: [{ role: 'user' }] }, LOCAL),
  );
  return routing.decisions.map((d, i) => {
    const where = `routing.decisions[${i}].when (${d.name})`;
    let evaluate: ReturnType<typeof plan>;
    try {
      evaluate = plan(env, parse(d.when).expr);
    } catch (err) {
      throw new Error(`${where}: CEL syntax error: ${(err as Error).message}`, { cause: err });
    }
    const test = (vars: Record<string, unknown>): boolean | Error => {
      const out = evaluate(vars as never);
      if (isCelError(out)) return new Error(out.message);
      return typeof out === 'boolean' ? out : new Error(`"when" gave ${typeof out}, not a boolean`);
    };
    const dry = test(neutral);
    if (dry instanceof Error)
      throw new Error(`${where}: ${dry.message} (variables: ${DECISION_VARIABLES.join(', ')})`);
    return { ...d, test };
  });
}

const LOCAL: Principal = { id: 'local', roles: [], claims: {} };

/**
 * `request`: the fields of the body decisions may read (not the messages themselves): `model`,
 * `stream`, `messages` (count), `has_tools`, `tools` (count), `max_tokens`, `system`, `temperature`
 * (-1 when absent) and `endpoint` (`chat`, `completions`, `responses`).
 */
export function decisionVariables(
  signals: RoutingSignals,
  req: ChatRequest,
  principal: Principal,
  endpoint: 'chat' | 'completions' | 'responses' = 'chat',
): Record<string, unknown> {
  return {
    signals,
    request: {
      model: req.model ?? 'auto',
      stream: req.stream === true,
      messages: req.messages.length,
      has_tools: Array.isArray(req.tools) && req.tools.length > 0,
      tools: Array.isArray(req.tools) ? req.tools.length : 0,
      max_tokens: typeof req.max_tokens === 'number' ? req.max_tokens : 0,
      system: req.messages.some((m) => m.role === 'system'),
      temperature: typeof req.temperature === 'number' ? req.temperature : -1,
      endpoint,
    },
    principal: { id: principal.id, roles: [...principal.roles], claims: principal.claims },
  };
}

/**
 * Picks the model: the highest-priority decision that fires (ties: the first in the file). A deny
 * always wins over routing, whatever the priorities; an explicit model (not `auto`) is honoured, with
 * the reasoning mode of a decision only when that decision names no model or the same one. A decision
 * that cannot be evaluated does not fire (logged by the caller through `onError`).
 */
export function choose(
  decisions: readonly CompiledDecision[],
  routing: RoutingConfig,
  vars: Record<string, unknown>,
  requested: string | undefined,
  onError: (decision: string, err: Error) => void,
): Choice {
  const cel = toCel(vars);
  const fired: CompiledDecision[] = [];
  for (const d of decisions) {
    const r = d.test(cel);
    if (r instanceof Error) onError(d.name, r);
    else if (r) fired.push(d);
  }
  fired.sort((a, b) => b.priority - a.priority);
  const deny = fired.find((d) => d.action === 'deny');
  if (deny) return { action: 'deny', decision: deny.name, message: deny.message ?? `denied by ${deny.name}` };
  const explicit = requested !== undefined && requested !== 'auto' ? requested : undefined;
  const top = fired.find((d) => explicit === undefined || d.model === undefined || d.model === explicit);
  if (explicit !== undefined)
    return { action: 'route', model: explicit, decision: top?.name ?? 'explicit', reasoning: top?.reasoning };
  if (!top)
    return { action: 'route', model: routing.default_model, decision: 'default', reasoning: undefined };
  return {
    action: 'route',
    model: top.model ?? routing.default_model,
    decision: top.name,
    reasoning: top.reasoning,
  };
}

/** Sets the reasoning switch the model family understands (vLLM reference §2: `chat_template_kwargs`). */
export function applyReasoning(
  body: ChatRequest,
  family: 'qwen3' | 'granite' | undefined,
  on: boolean | undefined,
): void {
  if (family === undefined || on === undefined) return;
  const kwargs =
    typeof body.chat_template_kwargs === 'object' && body.chat_template_kwargs !== null
      ? body.chat_template_kwargs
      : {};
  body.chat_template_kwargs = { ...kwargs, [family === 'qwen3' ? 'enable_thinking' : 'thinking']: on };
}
