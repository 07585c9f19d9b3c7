import { randomUUID } from 'node:crypto';
import type { ContentInspection, MemoryWriteEvent } from '../core/events.js';
import type { Pipeline } from '../core/pipeline.js';
import type { Session } from '../core/session.js';
import type { FiredRule, Verdict } from '../core/verdict.js';
import type { ApprovalService, AskClient } from '../outbound/approval-types.js';
import type { MemoryStore } from '../state/memory.js';
import type { MemoryVersion } from '../state/memory-types.js';
import { derivedFromOf } from './provenance.js';

/** What the state checkpoint needs (docs/memory.md, "Policy"): built once by the composition root. */
export interface MemoryGateDeps {
  readonly store: MemoryStore;
  readonly pipeline: Pipeline<MemoryWriteEvent>;
  /** Inspects a value's text (PII, secrets, hidden text) so rules can read `signals.pii` and redact. */
  readonly inspect?: ((text: string) => ContentInspection) | undefined;
  /** Absent: writes that need approval are refused (fail closed). */
  readonly approvals?: ApprovalService | undefined;
  readonly revision: () => string;
  /** The configured name of the memory server (`event.server`, and the approval's server). */
  readonly server: string;
}

export interface MemoryWriteRequest {
  readonly session: Session;
  readonly namespace: string;
  readonly key: string;
  readonly value: unknown;
  readonly labels: readonly string[];
  readonly tombstone: boolean;
  readonly shared: boolean;
  /** Memory versions this session has read. */
  readonly reads: readonly number[];
  /** Asks the person at the client, when it can be asked. */
  readonly ask?: AskClient | undefined;
}

export type MemoryWriteOutcome =
  | { readonly ok: true; readonly version: MemoryVersion; readonly verdict: Verdict }
  | {
      readonly ok: false;
      readonly verdict: Verdict;
      readonly reason: string;
      readonly rules: readonly string[];
    };

/** Finding kinds a `redact` rule masks in a value when it names none (as on content). */
const DEFAULT_REDACT_KINDS: readonly string[] = ['pii', 'secret', 'exfil_link'];

/**
 * The state checkpoint: a `memory_write` event through the pipeline, then the verdict enforced. Allow
 * and annotate store the value; redact stores it with the findings of the firing rules masked;
 * quarantine stores it hidden from agents (admins see it); require_approval holds it until a person
 * decides; deny (and anything else) refuses. Labels of every enforcing rule that fired are added.
 */
export async function gateMemoryWrite(
  deps: MemoryGateDeps,
  req: MemoryWriteRequest,
): Promise<MemoryWriteOutcome> {
  const inspection = typeof req.value === 'string' ? deps.inspect?.(req.value) : undefined;
  const event = eventOf(deps, req, inspection);
  const verdict = await deps.pipeline.evaluate(event);
  const deciding = enforcing(verdict, verdict.action);
  const refuse = (reason: string, rules = deciding): MemoryWriteOutcome => ({
    ok: false,
    verdict,
    reason,
    rules: rules.map((r) => r.id),
  });
  let value = req.value;
  let status: 'active' | 'quarantined' = 'active';
  switch (verdict.action) {
    case 'allow':
    case 'annotate':
    case 'route':
      break;
    case 'redact': {
      if (req.tombstone) break; // a tombstone has no value to mask
      const redacted = redactValue(req.value, inspection, enforcing(verdict, 'redact'));
      if (redacted === undefined) return refuse('the value cannot be redacted (it is not text)');
      value = redacted;
      break;
    }
    case 'quarantine':
      status = 'quarantined';
      break;
    case 'require_approval': {
      const why = await approve(deps, event, verdict, deciding, req.ask);
      if (why !== undefined) return refuse(why);
      const redacted = redactValue(req.value, inspection, enforcing(verdict, 'redact'));
      value = redacted ?? req.value;
      break;
    }
    default:
      return refuse(verdict.message ?? 'the write was denied');
  }
  const labels = [
    ...req.labels,
    ...verdict.rules.filter((r) => r.mode === 'enforce').flatMap((r) => r.labels ?? []),
  ];
  const version = await deps.store.write({
    namespace: req.namespace,
    key: req.key,
    value: req.tombstone ? null : value,
    tombstone: req.tombstone,
    principal: req.session.principal.id,
    session: req.session.id,
    labels,
    derived_from: derivedFromOf(req.reads, req.session.sources),
    status,
    event_id: event.id,
    rules: verdict.rules.map((r) => r.id),
  });
  return { ok: true, version, verdict };
}

function eventOf(
  deps: MemoryGateDeps,
  req: MemoryWriteRequest,
  inspection: ContentInspection | undefined,
): MemoryWriteEvent {
  return {
    id: randomUUID(),
    kind: 'memory_write',
    time: Date.now(),
    session: req.session,
    principal: req.session.principal,
    server: deps.server,
    namespace: req.namespace,
    key: req.key,
    value: req.value,
    labels: req.labels,
    tombstone: req.tombstone,
    shared: req.shared,
    derivedFrom: { versions: req.reads, sources: [...req.session.sources] },
    ...(inspection === undefined ? {} : { inspection }),
  };
}

function enforcing(verdict: Verdict, action: string): FiredRule[] {
  return verdict.rules.filter((r) => r.mode === 'enforce' && r.action === action && r.error === undefined);
}

/** Undefined when approved; otherwise why not. */
async function approve(
  deps: MemoryGateDeps,
  event: MemoryWriteEvent,
  verdict: Verdict,
  deciding: readonly FiredRule[],
  ask: AskClient | undefined,
): Promise<string | undefined> {
  const message = verdict.message ?? 'this memory write needs approval';
  if (!deps.approvals) return `${message}, and no approval service is configured`;
  const timeoutMs = Math.min(...deciding.map((r) => r.approvalTimeoutMs ?? 5 * 60_000));
  const outcome = await deps.approvals
    .decide(
      {
        server: deps.server,
        tool: event.tombstone ? 'memory_delete' : 'memory_write',
        args: { namespace: event.namespace, key: event.key, value: event.value, labels: event.labels },
        principal: event.principal.id,
        sessionId: event.session.id,
        rules: deciding.map((r) => r.id),
        message,
        revision: deps.revision(),
        timeoutMs,
      },
      ask,
    )
    .catch((err: unknown) => ({
      id: '-',
      decision: 'denied' as const,
      reason: `approval failed: ${String(err)}`,
      by: undefined,
    }));
  if (outcome.decision === 'approved') return undefined;
  const why =
    outcome.decision === 'expired'
      ? 'no one approved it in time'
      : `it was denied${outcome.by ? ` by ${outcome.by}` : ''}`;
  return `${message}; ${why} [approval ${outcome.id}]`;
}

/**
 * The value with the findings of the firing redact rules masked, on the inspected (clean) text;
 * undefined for a value that is not text (it cannot be masked, so it is refused: fail closed).
 */
function redactValue(
  value: unknown,
  inspection: ContentInspection | undefined,
  rules: readonly FiredRule[],
): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (rules.length === 0 || inspection === undefined) return value;
  const kinds = new Set(rules.flatMap((r) => r.redact?.kinds ?? DEFAULT_REDACT_KINDS));
  const replacement = rules.find((r) => r.redact?.replacement !== undefined)?.redact?.replacement;
  const clean = inspection.slots[0]?.clean ?? value;
  const slot = inspection.slots[0]?.key;
  const spans = inspection.findings
    .filter((f) => f.slot === slot && kinds.has(f.kind) && f.end > f.start)
    .map((f) => ({
      start: f.start,
      end: f.end,
      text: replacement === undefined || replacement === '[REDACTED]' ? `[REDACTED:${f.type}]` : replacement,
    }))
    .sort((a, b) => b.start - a.start);
  let out = clean;
  let limit = clean.length;
  for (const s of spans) {
    if (s.end > limit) continue; // overlaps a span already replaced
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
    limit = s.start;
  }
  return out;
}
