import { celEnv, isCelError, parse, plan, type CelEnv } from '@bufbuild/cel';
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { RE2JS } from '@bufbuild/re2';
import type { Action } from '../core/verdict.js';
import { policyFunctions } from './functions.js';
import type { EventKindName, RuleSpec } from './rule-spec.js';

/** The variables a rule may use (docs/policy.md lists their fields per event kind). */
export const POLICY_VARIABLES = [
  'event',
  'tool',
  'args',
  'principal',
  'session',
  'signals',
  'risk',
  'result',
  'params',
  'now',
  'memory',
  'llm',
] as const;

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface CompiledRule {
  readonly id: string;
  readonly description: string | undefined;
  readonly on: ReadonlySet<EventKindName>;
  readonly when: string;
  readonly action: Action;
  readonly mode: 'enforce' | 'shadow';
  readonly message: string | undefined;
  readonly redact: RuleSpec['redact'];
  readonly approvalTimeoutMs: number | undefined;
  /** Labels the memory checkpoint adds to a write this rule fires on. */
  readonly labels: readonly string[] | undefined;
  readonly source: SourcePosition;
  /** True when the rule fires; an Error when it could not be evaluated (missing field, type error). */
  readonly test: (vars: Record<string, unknown>) => boolean | Error;
}

export class RuleCompileError extends Error {
  constructor(
    readonly position: SourcePosition,
    readonly ruleId: string,
    detail: string,
  ) {
    super(`${position.file}:${position.line}:${position.col}: rule ${ruleId}: ${detail}`);
    this.name = 'RuleCompileError';
  }
}

/** Compiled patterns kept per environment (a policy uses a handful; the bound only guards misuse). */
const MAX_PATTERNS = 1024;

/**
 * One environment for every rule: CEL's standard library, strings, and agentwall's functions.
 * `matches()` runs on RE2 (linear time: an argument cannot make a rule a ReDoS) and its patterns are
 * compiled once — @bufbuild/cel 0.6 would otherwise recompile the pattern on every evaluation.
 */
export function createPolicyEnv(): CelEnv {
  const compiled = new Map<string, { test(text: string): boolean }>();
  const re2 = {
    compile(pattern: string) {
      let m = compiled.get(pattern);
      if (!m) {
        if (compiled.size >= MAX_PATTERNS) compiled.clear();
        compiled.set(pattern, (m = RE2JS.compile(pattern)));
      }
      return m;
    },
  };
  return celEnv({ funcs: policyFunctions(), re2 });
}

/**
 * Compiles a rule's `when` once (parse, identifier check, plan). `position` is where the expression
 * starts in its file; a parse error's own line/column inside the expression is added to it.
 */
export function compileRule(spec: RuleSpec, position: SourcePosition, env: CelEnv): CompiledRule {
  let expr: Expr;
  try {
    expr = parse(spec.when).expr;
  } catch (err) {
    const { line, col, message } = parseErrorOf(err);
    const at =
      line <= 1
        ? { ...position, col: position.col + col - 1 }
        : { ...position, line: position.line + line - 1, col };
    throw new RuleCompileError(at, spec.id, `CEL syntax error: ${message}`);
  }
  const unknown = unknownVariables(expr);
  if (unknown.length > 0) {
    throw new RuleCompileError(
      position,
      spec.id,
      `unknown variable ${unknown.map((u) => `"${u}"`).join(', ')} (variables: ${POLICY_VARIABLES.join(', ')})`,
    );
  }
  const evaluate = plan(env, expr);
  return {
    id: spec.id,
    description: spec.description,
    on: new Set(spec.on),
    when: spec.when,
    action: spec.action,
    mode: spec.mode,
    message: spec.message,
    redact: spec.redact,
    approvalTimeoutMs: spec.approval?.timeout,
    labels: spec.labels,
    source: position,
    test(vars) {
      const out = evaluate(vars as never);
      if (isCelError(out)) return new Error(out.message);
      if (typeof out !== 'boolean') return new Error(`"when" gave ${typeof out}, not a boolean`);
      return out;
    },
  };
}

function parseErrorOf(err: unknown): { line: number; col: number; message: string } {
  const e = err as { message?: string; location?: { start?: { line?: number; column?: number } } };
  const line = e.location?.start?.line ?? 1;
  const col = e.location?.start?.column ?? 1;
  const message = (e.message ?? String(err)).replace(/^<input>:\d+:\d+:\s*/, '');
  return { line, col, message };
}

/** Top-level identifiers that are not policy variables (comprehension variables are in scope). */
function unknownVariables(root: Expr): string[] {
  const allowed = new Set<string>(POLICY_VARIABLES);
  const found = new Set<string>();
  const walk = (e: Expr | undefined, bound: ReadonlySet<string>): void => {
    if (!e) return;
    const k = e.exprKind;
    switch (k.case) {
      case 'identExpr':
        if (!bound.has(k.value.name) && !allowed.has(k.value.name)) found.add(k.value.name);
        return;
      case 'selectExpr':
        return walk(k.value.operand, bound);
      case 'callExpr':
        walk(k.value.target, bound);
        for (const a of k.value.args) walk(a, bound);
        return;
      case 'listExpr':
        for (const a of k.value.elements) walk(a, bound);
        return;
      case 'structExpr':
        for (const entry of k.value.entries) {
          if (entry.keyKind.case === 'mapKey') walk(entry.keyKind.value, bound);
          walk(entry.value, bound);
        }
        return;
      case 'comprehensionExpr': {
        const c = k.value;
        walk(c.iterRange, bound);
        walk(c.accuInit, bound);
        const inner = new Set([...bound, c.iterVar, c.iterVar2, c.accuVar].filter((v) => v !== ''));
        walk(c.loopCondition, inner);
        walk(c.loopStep, inner);
        walk(c.result, inner);
        return;
      }
      default:
        return;
    }
  };
  walk(root, new Set());
  return [...found];
}
