import type { AuditEntry } from '../state/audit-log.js';
import { z } from 'zod';
import type { McpEvent, ToolCallEvent } from '../core/events.js';
import { createPipeline } from '../core/pipeline.js';
import { createSession, recordCall, type Session } from '../core/session.js';
import { isMoreRestrictive, type Action, type Verdict } from '../core/verdict.js';
import type { PolicySet } from './policy-set.js';
import { policyStage } from './stage.js';

/**
 * The fields of an audit record (src/state/audit-log.ts) that replay reads. Declared here rather than
 * imported because `policy` sits below `state`; extra fields (hashes, rules, latency) are ignored.
 */
export const recordedEventSchema = z.looseObject({
  seq: z.number().optional(),
  time: z.number(),
  event_id: z.string(),
  kind: z.string(),
  session: z.string(),
  principal: z.string(),
  server: z.string(),
  subject: z.string(),
  action: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});

/** An audit record as replay reads it; `AuditRecord` (src/state/audit-log.ts) is one. */
export type RecordedEvent = Pick<
  AuditEntry,
  'time' | 'event_id' | 'kind' | 'session' | 'principal' | 'server' | 'subject' | 'action' | 'detail'
> & { readonly seq?: number | undefined };

/** What a replayed event cannot know, printed at the top of every report. */
export const REPLAY_LIMITATIONS: readonly string[] = [
  'Session labels are not recorded in the audit log. `untrusted_content` is re-derived as the gate sets it: ' +
    'a recorded `tool_result` from a server not marked `trust: trusted` (in --config) taints its session; ' +
    'every other label (e.g. `injection_suspected`, `pii_seen`) is absent.',
  'Signals are not recorded: every `signals.*` (including rate-limit tokens) and `risk.score` is at its neutral default.',
  'Principal roles and claims are not recorded: `principal.roles` is empty, `principal.claims` is {}.',
  '`tool.description` is not recorded for calls: it is empty. `session.calls` and `session.counters` are rebuilt ' +
    'from the recorded calls, in order, with the actions each policy gives; `now` is the recorded time.',
  'Only the policy rules are replayed: what other stages decided (rate limits, `rate-limit:<id>`; tool pinning) is not, so ' +
    'a recorded action such a stage made is not reproduced by policy A.',
];

export interface ReplayOptions {
  readonly params: Readonly<Record<string, unknown>>;
  readonly defaultAction: Action;
  readonly onError: 'deny' | 'allow';
  readonly onStageError: 'deny' | 'allow';
  /** Servers whose results do not taint a session (`servers.<name>.trust: trusted`). */
  readonly trustedServers: ReadonlySet<string>;
  /** Examples kept per rule (default 5). */
  readonly maxExamples?: number;
}

/** The parts of agentwall's configuration a replay reads (src/config/schema.ts has them all). */
export interface ReplayConfig {
  readonly policies: {
    readonly params: Readonly<Record<string, unknown>>;
    readonly on_error: 'deny' | 'allow';
  };
  readonly pipeline: { readonly default_action: Action; readonly on_stage_error: 'deny' | 'allow' };
  readonly servers: Readonly<Record<string, { readonly trust: 'trusted' | 'untrusted' }>>;
}

/** Replays decide as the running agentwall does: its params, defaults, error handling and trust. */
export function replayOptionsOf(config: ReplayConfig, maxExamples?: number): ReplayOptions {
  return {
    params: config.policies.params,
    defaultAction: config.pipeline.default_action,
    onError: config.policies.on_error,
    onStageError: config.pipeline.on_stage_error,
    trustedServers: new Set(
      Object.entries(config.servers).flatMap(([name, s]) => (s.trust === 'trusted' ? [name] : [])),
    ),
    ...(maxExamples === undefined ? {} : { maxExamples }),
  };
}

export interface ChangeExample {
  readonly seq: number | undefined;
  readonly eventId: string;
  readonly tool: string;
  readonly server: string;
  readonly principal: string;
  /** The arguments as JSON, cut to ARGS_PREVIEW characters. */
  readonly args: string;
  readonly from: Action;
  readonly to: Action;
}

export interface RuleChanges {
  readonly id: string;
  count: number;
  /** `allow→deny` → events. */
  readonly transitions: Record<string, number>;
  readonly examples: ChangeExample[];
}

export interface ReplayResult {
  /** Tool calls re-evaluated. */
  events: number;
  /** Records of other kinds (they are read for taint, never re-decided). */
  skipped: number;
  /** Calls for which policy A gives the action that was recorded: how faithful the replay is. */
  matchesRecorded: number;
  changed: number;
  readonly transitions: Record<string, number>;
  /** Per rule, the changed events it decided; most changes first. */
  readonly rules: RuleChanges[];
  /** How often each rule fired (enforce and shadow) under A and under B. */
  readonly firing: { id: string; a: number; b: number }[];
}

export const ARGS_PREVIEW = 160;

/**
 * Re-evaluates recorded tool calls under a baseline (A) and a candidate (B) policy, through the same
 * pipeline and policy stage as live traffic, and collects the decisions that change.
 */
export async function replayDecisions(
  records: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>,
  a: PolicySet,
  b: PolicySet,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const result: ReplayResult = {
    events: 0,
    skipped: 0,
    matchesRecorded: 0,
    changed: 0,
    transitions: {},
    rules: [],
    firing: [],
  };
  const byRule = new Map<string, RuleChanges>();
  const fired = new Map<string, { a: number; b: number }>();
  const base = replayer(a, options);
  const cand = replayer(b, options);
  for await (const record of records) {
    if (record.kind === 'tool_result' && !options.trustedServers.has(record.server)) {
      base.taint(record);
      cand.taint(record);
    }
    if (record.kind !== 'tool_call') {
      result.skipped += 1;
      continue;
    }
    result.events += 1;
    const va = await base.decide(record);
    const vb = await cand.decide(record);
    if (va.action === record.action) result.matchesRecorded += 1;
    countFired(fired, va, 'a');
    countFired(fired, vb, 'b');
    if (va.action !== vb.action) {
      result.changed += 1;
      const key = `${va.action}→${vb.action}`;
      result.transitions[key] = (result.transitions[key] ?? 0) + 1;
      for (const id of causesOf(va, vb))
        addChange(byRule, id, key, exampleOf(record, va.action, vb.action), options);
    }
  }
  result.rules.push(...[...byRule.values()].sort((x, y) => y.count - x.count || x.id.localeCompare(y.id)));
  result.firing.push(...[...fired].map(([id, n]) => ({ id, ...n })).sort((x, y) => x.id.localeCompare(y.id)));
  return result;
}

/** One policy's view of the replayed traffic: its pipeline, and sessions rebuilt with its own actions. */
function replayer(set: PolicySet, options: ReplayOptions) {
  let now = 0;
  const pipeline = createPipeline<McpEvent>({
    stages: [
      policyStage({ current: () => set, onError: options.onError, params: options.params, clock: () => now }),
    ],
    defaultAction: options.defaultAction,
    onStageError: options.onStageError,
    sinks: [],
  });
  const sessions = new Map<string, Session>();
  const sessionOf = (record: RecordedEvent): Session => {
    let s = sessions.get(record.session);
    if (!s)
      sessions.set(record.session, (s = createSession(record.session, principalOf(record), record.time)));
    return s;
  };
  return {
    taint(record: RecordedEvent) {
      sessionOf(record).labels.add('untrusted_content');
    },
    async decide(record: RecordedEvent): Promise<Verdict> {
      now = record.time;
      const event = toolCallOf(record, sessionOf(record));
      const verdict = await pipeline.evaluate(event);
      recordCall(event.session, {
        server: event.server,
        tool: event.tool.name,
        action: verdict.action,
        time: event.time,
      });
      return verdict;
    },
  };
}

function principalOf(record: Pick<RecordedEvent, 'principal'>) {
  return { id: record.principal, roles: [], claims: {} };
}

/** The event an audit record describes (what `auditEntryOf` kept of it). */
export function toolCallOf(record: RecordedEvent, session: Session): ToolCallEvent {
  const detail = record.detail ?? {};
  const annotations = isPlainObject(detail.annotations) ? detail.annotations : undefined;
  return {
    id: record.event_id,
    kind: 'tool_call',
    time: record.time,
    session,
    principal: session.principal.id === record.principal ? session.principal : principalOf(record),
    server: record.server,
    tool: { name: record.subject, ...(annotations === undefined ? {} : { annotations }) },
    args: isPlainObject(detail.args) ? detail.args : {},
  };
}

/**
 * The rules a change is due to: those that decided the stricter of the two verdicts. When the stricter
 * one is the default action (no rule fired), the change is due to the rules that decided the other.
 */
export function causesOf(a: Verdict, b: Verdict): string[] {
  const [stricter, other] = isMoreRestrictive(b.action, a.action) ? [b, a] : [a, b];
  const decisive = (v: Verdict) =>
    v.rules.filter((r) => r.mode === 'enforce' && r.action === v.action).map((r) => r.id);
  const ids = decisive(stricter);
  if (ids.length > 0) return ids;
  const others = decisive(other);
  return others.length > 0 ? others : ['(default action)'];
}

function addChange(
  byRule: Map<string, RuleChanges>,
  id: string,
  key: string,
  example: ChangeExample,
  options: ReplayOptions,
) {
  let entry = byRule.get(id);
  if (!entry) byRule.set(id, (entry = { id, count: 0, transitions: {}, examples: [] }));
  entry.count += 1;
  entry.transitions[key] = (entry.transitions[key] ?? 0) + 1;
  if (entry.examples.length < (options.maxExamples ?? 5)) entry.examples.push(example);
}

function countFired(fired: Map<string, { a: number; b: number }>, verdict: Verdict, side: 'a' | 'b') {
  for (const r of verdict.rules) {
    let n = fired.get(r.id);
    if (!n) fired.set(r.id, (n = { a: 0, b: 0 }));
    n[side] += 1;
  }
}

function exampleOf(record: RecordedEvent, from: Action, to: Action): ChangeExample {
  return {
    seq: record.seq,
    eventId: record.event_id,
    tool: record.subject,
    server: record.server,
    principal: record.principal,
    args: abbreviate(JSON.stringify(record.detail?.args ?? {}) ?? '{}', ARGS_PREVIEW),
    from,
    to,
  };
}

export function abbreviate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
