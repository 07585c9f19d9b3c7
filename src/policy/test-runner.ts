import { createPipeline } from '../core/pipeline.js';
import { createSession, type Session } from '../core/session.js';
import type { CheckpointEvent, LlmEvent, MemoryWriteEvent } from '../core/events.js';
import type { Action, Verdict } from '../core/verdict.js';
import type { PolicySet } from './policy-set.js';
import { llmTestSchema, type PolicyTest } from './rule-spec.js';
import { policyStage } from './stage.js';

export interface PolicyTestResult {
  readonly file: string;
  readonly name: string;
  readonly ok: boolean;
  readonly action: Action;
  readonly fired: readonly string[];
  readonly problems: readonly string[];
}

export interface RunTestsOptions {
  readonly params: Readonly<Record<string, unknown>>;
  readonly defaultAction: Action;
  readonly onError: 'deny' | 'allow';
}

/** Runs test cases against a policy set, through the same pipeline and stage as live traffic. */
export async function runPolicyTests(
  set: PolicySet,
  cases: readonly TestCase[],
  options: RunTestsOptions,
): Promise<PolicyTestResult[]> {
  const results: PolicyTestResult[] = [];
  for (const { file, test, params } of cases) {
    const pipeline = createPipeline<CheckpointEvent>({
      stages: [
        // The signals a test gives stand in for the scorers of live traffic.
        { name: 'test-signals', run: (ctx) => void Object.assign(ctx.signals, test.event.signals) },
        policyStage({
          current: () => set,
          onError: options.onError,
          params: { ...options.params, ...params },
          clock: () => 0,
        }),
      ],
      defaultAction: options.defaultAction,
      onStageError: 'deny',
      sinks: [],
    });
    results.push(judge(file, test, await pipeline.evaluate(eventOf(test))));
  }
  return results;
}

export interface TestCase {
  readonly file: string;
  readonly test: PolicyTest;
  readonly params: Readonly<Record<string, unknown>>;
}

function judge(file: string, test: PolicyTest, verdict: Verdict): PolicyTestResult {
  const fired = verdict.rules.map((r) => r.id);
  const problems: string[] = [];
  if (verdict.action !== test.expect.action) {
    problems.push(`expected action ${test.expect.action}, got ${verdict.action}`);
  }
  for (const id of test.expect.rules ?? [])
    if (!fired.includes(id)) problems.push(`expected rule ${id} to fire`);
  for (const id of test.expect.not_rules ?? [])
    if (fired.includes(id)) problems.push(`expected rule ${id} not to fire`);
  for (const r of verdict.rules) if (r.error) problems.push(`rule ${r.id} errored: ${r.error}`);
  return { file, name: test.name, ok: problems.length === 0, action: verdict.action, fired, problems };
}

/** A `memory_write` test event: the test's `memory` (or defaults), `text` as the value when no value is given. */
function memoryEventOf(
  test: PolicyTest,
  base: Omit<MemoryWriteEvent, 'kind' | keyof MemoryFields>,
): CheckpointEvent {
  const m = test.event.memory;
  const sources = (m?.sources ?? []).map((s) => ({
    label: s.label,
    server: s.server,
    subject: s.subject,
    kind: 'tool_result' as const,
    contentHash: s.content_hash,
    ...(s.url === undefined ? {} : { url: s.url }),
    time: 0,
  }));
  return {
    ...base,
    kind: 'memory_write',
    namespace: m?.namespace ?? 'principal:tester',
    key: m?.key ?? 'note',
    value: m?.value === undefined || m.value === '' ? (test.event.text ?? '') : m.value,
    labels: m?.labels ?? [],
    tombstone: m?.tombstone ?? false,
    shared: m?.shared ?? false,
    derivedFrom: { versions: m?.derived_versions ?? [], sources },
  };
}

/** An LLM test event: the test's `llm` (or defaults); `text` is the user turn, `llm.answer` the answer. */
function llmEventOf(
  test: PolicyTest,
  kind: LlmEvent['kind'],
  base: Omit<MemoryWriteEvent, 'kind' | keyof MemoryFields>,
): LlmEvent {
  const l = test.event.llm ?? llmTestSchema.parse({});
  const route = { endpoint: l.endpoint, model: l.model, decision: l.decision, signals: {} };
  const request = {
    messages: l.messages,
    tools: l.tools,
    tokens: l.tokens,
    stream: l.stream,
    text: test.event.text ?? '',
  };
  if (kind === 'llm_request') return { ...base, kind, route, request };
  return {
    ...base,
    kind,
    route,
    request,
    stream: l.stream,
    cached: l.cached,
    finishReasons: l.finish_reasons,
    usage: l.usage,
    toolCalls: l.tool_calls,
    toolCallsDenied: l.tool_calls_denied,
    grounding: l.grounding,
    text: l.answer,
  };
}

type MemoryFields = Pick<
  MemoryWriteEvent,
  'namespace' | 'key' | 'value' | 'labels' | 'tombstone' | 'shared' | 'derivedFrom' | 'inspection'
>;

/** The event a test describes, with a session that has the labels, calls and counters it gives. */
export function eventOf(test: PolicyTest): CheckpointEvent {
  const e = test.event;
  const principal = { id: e.principal.id, roles: e.principal.roles, claims: e.principal.claims };
  const session: Session = createSession('policy-test', principal, 0);
  for (const l of e.session.labels) session.labels.add(l);
  for (const c of e.session.calls) session.calls.push({ ...c, action: c.action as Action, time: 0 });
  for (const [k, v] of Object.entries(e.session.counters)) session.counters.set(k, v);
  const base = { id: `test:${test.name}`, time: 0, session, principal, server: e.server };
  const tool = e.tool ?? { name: '' };
  const text = e.text ?? '';
  switch (e.kind) {
    case 'tools_list':
      return { ...base, kind: 'tools_list', tool };
    case 'tool_result':
      return {
        ...base,
        kind: 'tool_result',
        tool,
        callId: 'test',
        result: { content: [{ type: 'text', text }] },
        isError: false,
      };
    case 'resource':
      return {
        ...base,
        kind: 'resource',
        uri: typeof e.args.uri === 'string' ? e.args.uri : '',
        result: { contents: [{ uri: '', text }] },
      };
    case 'prompt':
      return {
        ...base,
        kind: 'prompt',
        name: tool.name,
        args: e.args,
        result: { messages: [{ content: { type: 'text', text } }] },
      };
    case 'memory_write':
      return memoryEventOf(test, base);
    case 'llm_request':
    case 'llm_response':
      return llmEventOf(test, e.kind, base);
    default:
      return { ...base, kind: 'tool_call', tool, args: e.args };
  }
}
