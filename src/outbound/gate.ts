import type { ToolCallEvent } from '../core/events.js';
import type { FiredRule, Verdict } from '../core/verdict.js';
import type { ApprovalOutcome, ApprovalService, AskClient } from './approval-types.js';

export type GateOutcome =
  | { readonly forward: true; readonly args: Readonly<Record<string, unknown>>; readonly approval?: string }
  | { readonly forward: false; readonly reason: string; readonly rules: readonly string[] };

export interface GateDeps {
  /** Absent: `require_approval` cannot be honoured and fails closed. */
  readonly approvals?: ApprovalService | undefined;
  /** The policy revision in force, which an approval is bound to. */
  readonly revision: () => string;
  /** Asks the person at the client (MCP elicitation), when the client can be asked. */
  readonly ask?: AskClient | undefined;
}

/**
 * Turns a tool call's verdict into what happens to the call: forwarded (arguments masked where
 * `redact` rules fired), held until a person decides, or refused. Every action this version cannot
 * carry out on a call (`quarantine` is for content, not calls) refuses it: fail closed.
 */
export async function enforceCall(
  call: ToolCallEvent,
  verdict: Verdict,
  deps: GateDeps,
): Promise<GateOutcome> {
  const deciding = enforcing(verdict, verdict.action);
  switch (verdict.action) {
    case 'allow':
    case 'annotate':
    case 'route':
      return { forward: true, args: call.args };
    case 'redact':
      return { forward: true, args: redactArgs(call.args, enforcing(verdict, 'redact')) };
    case 'require_approval':
      return approve(call, verdict, deciding, deps);
    default:
      return {
        forward: false,
        reason: verdict.message ?? `the call was ${verdict.action === 'deny' ? 'denied' : verdict.action}`,
        rules: deciding.map((r) => r.id),
      };
  }
}

async function approve(
  call: ToolCallEvent,
  verdict: Verdict,
  deciding: readonly FiredRule[],
  deps: GateDeps,
): Promise<GateOutcome> {
  const rules = deciding.map((r) => r.id);
  if (!deps.approvals) {
    return {
      forward: false,
      reason: 'this call needs approval, and no approval service is configured',
      rules,
    };
  }
  const timeoutMs = Math.min(...deciding.map((r) => r.approvalTimeoutMs ?? 5 * 60_000));
  const outcome = await deps.approvals
    .decide(
      {
        server: call.server,
        tool: call.tool.name,
        args: call.args,
        principal: call.principal.id,
        sessionId: call.session.id,
        rules,
        message: verdict.message ?? 'this call needs approval',
        revision: deps.revision(),
        timeoutMs,
      },
      deps.ask,
    )
    // An approval that cannot even be recorded is a refusal: fail closed.
    .catch((err: unknown): ApprovalOutcome => ({
      id: '-',
      decision: 'denied',
      reason: `approval failed: ${String(err)}`,
    }));
  if (outcome.decision === 'approved') {
    // Lesser rules still apply to an approved call: arguments they mask stay masked.
    return { forward: true, args: redactArgs(call.args, enforcing(verdict, 'redact')), approval: outcome.id };
  }
  const why =
    outcome.decision === 'expired'
      ? 'no one approved it in time'
      : `it was denied${outcome.by ? ` by ${outcome.by}` : ''}`;
  return {
    forward: false,
    reason: `${verdict.message ?? 'this call needs approval'}; ${why}${outcome.reason ? ` (${outcome.reason})` : ''} [approval ${outcome.id}]`,
    rules,
  };
}

function enforcing(verdict: Verdict, action: string): FiredRule[] {
  return verdict.rules.filter((r) => r.mode === 'enforce' && r.action === action && r.error === undefined);
}

/** Masks each `args.a.b` path of the fired redact rules; the original arguments are not changed. */
export function redactArgs(
  args: Readonly<Record<string, unknown>>,
  rules: readonly FiredRule[],
): Record<string, unknown> {
  let out: Record<string, unknown> = args;
  for (const rule of rules) {
    for (const path of rule.redact?.paths ?? []) {
      out = maskPath(out, path.split('.').slice(1), rule.redact?.replacement ?? '[REDACTED]');
    }
  }
  return out;
}

function maskPath(
  obj: Record<string, unknown>,
  path: readonly string[],
  mask: string,
): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(obj, head)) return obj;
  const value = obj[head];
  if (rest.length === 0) return { ...obj, [head]: mask };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return obj;
  return { ...obj, [head]: maskPath(value as Record<string, unknown>, rest, mask) };
}
