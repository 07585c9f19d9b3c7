import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type Node } from 'yaml';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import type { FiredRule } from '../core/verdict.js';
import { formatIssues } from '../config/load.js';
import { compileRule, createPolicyEnv, RuleCompileError, type CompiledRule } from './compile.js';
import type { CostlyReads } from './activation.js';
import { bundleSchema, type EventKindName, type PolicyTest } from './rule-spec.js';

export interface LoadedBundle {
  readonly file: string;
  readonly rules: readonly CompiledRule[];
  readonly tests: readonly PolicyTest[];
  readonly testParams: Readonly<Record<string, unknown>>;
}

/** Every loaded rule, compiled, indexed by event kind; immutable, swapped whole on reload. */
export interface PolicySet {
  /** A short hash of the bundles' contents: what approvals and audit records are bound to. */
  readonly revision: string;
  readonly bundles: readonly LoadedBundle[];
  readonly rules: readonly CompiledRule[];
  /** Which costly variables some rule reads (so events build only those). */
  readonly reads: CostlyReads;
  rulesFor(kind: EventKindName): readonly CompiledRule[];
}

/**
 * Reads and compiles bundles. Every problem in every file is collected and reported at once
 * (`file:line:col: rule <id>: <message>`); nothing is returned unless all of it compiles.
 */
export async function loadPolicySet(files: readonly string[]): Promise<PolicySet> {
  const env = createPolicyEnv();
  const errors: string[] = [];
  const bundles: LoadedBundle[] = [];
  const hash = createHash('sha256');
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      errors.push(`${file}: cannot read: ${(err as Error).message}`);
      continue;
    }
    hash.update(file).update('\0').update(text).update('\0');
    const bundle = compileBundle(file, text, env, errors);
    if (bundle) bundles.push(bundle);
  }
  const seen = new Map<string, string>();
  for (const b of bundles) {
    for (const r of b.rules) {
      const other = seen.get(r.id);
      if (other)
        errors.push(
          `${r.source.file}:${r.source.line}:${r.source.col}: rule ${r.id}: duplicate id (also in ${other})`,
        );
      seen.set(r.id, `${r.source.file}:${r.source.line}`);
    }
  }
  if (errors.length > 0) {
    throw new AgentwallError(ErrorCode.POLICY_COMPILE, `policy does not compile:\n  ${errors.join('\n  ')}`, {
      data: { errors },
    });
  }
  return buildPolicySet(bundles, hash.digest('hex').slice(0, 12));
}

export function buildPolicySet(bundles: readonly LoadedBundle[], revision: string): PolicySet {
  const rules = bundles.flatMap((b) => b.rules);
  const byKind = new Map<EventKindName, CompiledRule[]>();
  for (const r of rules) {
    for (const kind of r.on) {
      let list = byKind.get(kind);
      if (!list) byKind.set(kind, (list = []));
      list.push(r);
    }
  }
  // A textual check, conservative for the ways a rule can reach them (`session.calls`, `session["calls"]`).
  const reads = {
    calls: rules.some((r) => /\bsession\s*(\.\s*calls\b|\[)/.test(r.when)),
    argsText: rules.some((r) => /\bargs_text\b/.test(r.when)),
  };
  return { revision, bundles, rules, reads, rulesFor: (kind) => byKind.get(kind) ?? [] };
}

function compileBundle(
  file: string,
  text: string,
  env: ReturnType<typeof createPolicyEnv>,
  errors: string[],
): LoadedBundle | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      errors.push(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0] ?? e.code}`);
    }
    return undefined;
  }
  const parsed = bundleSchema.safeParse(doc.toJS() ?? {});
  const at = (path: readonly (string | number)[]) => {
    const node = doc.getIn(path, true) as Node | undefined;
    const offset = node?.range?.[0] ?? 0;
    return lines.linePos(offset);
  };
  if (!parsed.success) {
    for (const [i, issue] of parsed.error.issues.entries()) {
      const pos = at(issue.path as (string | number)[]);
      errors.push(`${file}:${pos.line}:${pos.col}: ${formatIssues([issue])[0] ?? `issue ${i}`}`);
    }
    return undefined;
  }
  const rules: CompiledRule[] = [];
  parsed.data.rules.forEach((spec, i) => {
    const whenNode = doc.getIn(['rules', i, 'when'], true) as Node | undefined;
    const pos = at(['rules', i, 'when']);
    const quoted = whenNode !== undefined && 'type' in whenNode && /QUOTE/.test(String(whenNode.type));
    try {
      rules.push(compileRule(spec, { file, line: pos.line, col: pos.col + (quoted ? 1 : 0) }, env));
    } catch (err) {
      errors.push(
        err instanceof RuleCompileError
          ? err.message
          : `${file}:${pos.line}:${pos.col}: rule ${spec.id}: ${String(err)}`,
      );
    }
  });
  return { file, rules, tests: parsed.data.tests, testParams: parsed.data.test_params };
}

/**
 * Evaluates the rules for one event kind against its variables. A rule that errors is reported as a
 * fired rule with `error` set and the action `onError` (deny by default), so failures are audited.
 */
export function evaluateRules(
  set: PolicySet,
  kind: EventKindName,
  vars: Record<string, unknown>,
  onError: 'deny' | 'allow',
): FiredRule[] {
  const fired: FiredRule[] = [];
  for (const rule of set.rulesFor(kind)) {
    const r = rule.test(vars);
    if (r === false) continue;
    if (r instanceof Error) {
      fired.push({
        id: rule.id,
        action: onError,
        mode: rule.mode,
        message: `rule ${rule.id} could not be evaluated (${r.message}); on_error: ${onError}`,
        error: r.message,
      });
      continue;
    }
    fired.push({
      id: rule.id,
      action: rule.action,
      mode: rule.mode,
      ...(rule.message === undefined ? {} : { message: rule.message }),
      ...(rule.redact === undefined ? {} : { redact: rule.redact }),
      ...(rule.approvalTimeoutMs === undefined ? {} : { approvalTimeoutMs: rule.approvalTimeoutMs }),
      ...(rule.labels === undefined ? {} : { labels: rule.labels }),
    });
  }
  return fired;
}
