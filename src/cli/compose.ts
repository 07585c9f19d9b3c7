import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type {
  CheckpointEvent,
  EventKind,
  LlmEvent,
  LlmRequestEvent,
  LlmResponseEvent,
  McpEvent,
} from '../core/events.js';
import { eventSubject } from '../core/events.js';
import { createPipeline, deferSinks, type Pipeline, type Stage, type VerdictSink } from '../core/pipeline.js';
import type { Verdict } from '../core/verdict.js';
import type { McpCheckpoints } from '../mcp/checkpoints.js';
import type { PolicyHolder } from '../policy/holder.js';
import { checkListedTool, pinStage } from '../outbound/pinning.js';
import { scoreStage } from '../inbound/score-stage.js';
import { inspectionSignalsStage } from '../inbound/signals-stage.js';
import { createInboundCheckpoint } from '../inbound/checkpoint.js';
import { createInspector } from '../inbound/inspect.js';
import { toolDefinitionSlots, toolResultSlots } from '../inbound/content.js';
import type { QuarantineStore } from '../state/quarantine.js';
import type { TextScorer } from '../ml/scorer.js';
import { rateLimitStage } from '../outbound/rate-limit.js';
import { capabilityStage } from '../outbound/capability-stage.js';
import { provenanceStage } from '../outbound/provenance-stage.js';
import type { CapabilityClassifier } from '../ml/capability.js';
import type { PinStore } from '../state/pins.js';
import { policyStage } from '../policy/stage.js';
import { auditSink } from '../state/audit-sink.js';
import type { Store } from '../state/store.js';

/**
 * Builds the checkpoints of the MCP front: each is the policy stage over its event kind (normalisers
 * and scorers of later versions go before it). Every verdict is audited and logged, after the event
 * has gone on; `tools_list` verdicts (one per tool per listing) are logged at debug level only.
 */
export interface CheckpointParts {
  readonly config: Config;
  readonly store: Store;
  readonly pins: PinStore;
  readonly quarantine: QuarantineStore;
  readonly policy: PolicyHolder;
  readonly log: Logger;
  readonly scorers: readonly TextScorer[];
  /** The tool-capability classifier (signals.capability_*, signals.read_only). */
  readonly capability?: CapabilityClassifier | undefined;
  /** More sinks for audited verdicts (the journal of external memory writes, docs/memory.md). */
  readonly sinks?: readonly VerdictSink<McpEvent>[] | undefined;
}

export function buildCheckpoints(parts: CheckpointParts): McpCheckpoints {
  const { config, store, pins, quarantine, policy, log, scorers } = parts;
  const audited = [
    deferSinks<McpEvent>([
      auditSink(store.audit, (err) => log.error({ err }, 'audit append failed')),
      decisionLog(log, 'info'),
      ...(parts.sinks ?? []),
    ]),
  ];
  const pinning = config.pinning.enabled ? { store: pins, mode: config.pinning.mode } : undefined;
  const stages: Stage<McpEvent>[] = [
    ...(pinning ? [pinStage(pinning)] : []),
    ...(config.limits.length > 0 ? [rateLimitStage(config.limits)] : []),
    ...(parts.capability ? [capabilityStage(parts.capability)] : []),
    provenanceStage(),
    inspectionSignalsStage(),
    ...scorers.map((scorer) =>
      scoreStage({ scorer, timeoutMs: timeoutOf(config, scorer.name), kinds: kindsOf(scorer.name) }),
    ),
    policyStage({
      current: () => policy.current(),
      onError: config.policies.on_error,
      params: config.policies.params,
    }),
  ];
  const pipeline = (sinks: VerdictSink<McpEvent>[]) =>
    createPipeline<McpEvent>({
      stages,
      defaultAction: config.pipeline.default_action,
      onStageError: config.pipeline.on_stage_error,
      sinks,
      onError: (stage, err, event) =>
        log.error({ err, stage, event_id: event.id, kind: event.kind }, 'pipeline stage failed'),
    });
  const checked = pipeline(audited);
  const inspector = createInspector({
    allowHosts: config.inbound.allow_hosts,
    maxChars: config.inbound.max_chars,
  });
  return {
    inbound: createInboundCheckpoint({
      inspector,
      quarantine,
      stripInvisible: config.inbound.strip_invisible,
    }),
    inspectTool: (tool) => inspector.inspect(toolDefinitionSlots(tool), tool, { fields: false }),
    toolCall: checked,
    toolsList: pipeline([decisionLog(log, 'debug')]),
    toolResult: checked,
    resource: checked,
    prompt: checked,
    listedTool: pinning ? (server, tool) => checkListedTool({ ...pinning, log }, server, tool) : undefined,
    memoryWrite: checked,
    audit: store.audit,
    inspectText: (text) => {
      const value = { content: [{ type: 'text', text }] };
      return inspector.inspect(toolResultSlots(value), value);
    },
  };
}

/** The LLM router's policy checkpoints (docs/routing.md, "Policy on LLM traffic"). */
export interface LlmCheckpoints {
  readonly request: Pipeline<LlmRequestEvent>;
  readonly response: Pipeline<LlmResponseEvent>;
}

/**
 * The `llm_request` and `llm_response` checkpoints: the policy stage over the same policy holder as
 * the MCP checkpoints, every verdict audited and logged after the request has gone on. Their default
 * action is `allow`, whatever `pipeline.default_action` says: which requests may reach a model is the
 * routing decisions' job (a `deny` decision), and an allow-list policy for tools must not silently
 * refuse every LLM request; rules on LLM events add refusals and flags on top.
 */
export function buildLlmCheckpoints(
  parts: Pick<CheckpointParts, 'config' | 'store' | 'policy' | 'log'>,
): LlmCheckpoints {
  const { config, store, policy, log } = parts;
  const sinks = [
    deferSinks<LlmEvent>([
      auditSink(store.audit, (err) => log.error({ err }, 'audit append failed')),
      decisionLog(log, 'info'),
    ]),
  ];
  const pipeline = <E extends LlmEvent>() =>
    createPipeline<E>({
      stages: [
        policyStage<E>({
          current: () => policy.current(),
          onError: config.policies.on_error,
          params: config.policies.params,
        }),
      ],
      defaultAction: 'allow',
      onStageError: config.pipeline.on_stage_error,
      sinks,
      onError: (stage, err, event) =>
        log.error({ err, stage, event_id: event.id, kind: event.kind }, 'pipeline stage failed'),
    });
  return { request: pipeline<LlmRequestEvent>(), response: pipeline<LlmResponseEvent>() };
}

/**
 * The jailbreak model was trained on prompts and reads tool outputs badly (42 % of the benign agent
 * traces of ../shared/data/agent flag): on the MCP side it scores prompts only.
 */
function kindsOf(scorer: string): readonly EventKind[] | undefined {
  return scorer === 'jailbreak' ? ['prompt'] : undefined;
}

function timeoutOf(config: Config, scorer: string): number {
  return scorer === 'jailbreak' ? config.scorers.jailbreak.timeout : config.scorers.injection.timeout;
}

function decisionLog(log: Logger, level: 'info' | 'debug'): VerdictSink<CheckpointEvent> {
  return (event: CheckpointEvent, verdict: Verdict) => {
    if (!log.isLevelEnabled(level)) return;
    log[level](
      {
        event_id: event.id,
        kind: event.kind,
        sessionId: event.session.id,
        principal: event.principal.id,
        server: event.server,
        subject: eventSubject(event),
        action: verdict.action,
        rules: verdict.rules.map((r) => r.id),
        latency_ms: verdict.latencyMs,
      },
      'verdict',
    );
  };
}
