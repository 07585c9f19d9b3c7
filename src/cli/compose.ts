import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { McpEvent } from '../core/events.js';
import { eventSubject } from '../core/events.js';
import { createPipeline, deferSinks, type Stage, type VerdictSink } from '../core/pipeline.js';
import type { Verdict } from '../core/verdict.js';
import type { McpCheckpoints } from '../mcp/checkpoints.js';
import type { PolicyHolder } from '../policy/holder.js';
import { checkListedTool, pinStage } from '../outbound/pinning.js';
import { scoreStage } from '../inbound/score-stage.js';
import type { TextScorer } from '../ml/scorer.js';
import { rateLimitStage } from '../outbound/rate-limit.js';
import type { PinStore } from '../state/pins.js';
import { policyStage } from '../policy/stage.js';
import { auditSink } from '../state/audit-sink.js';
import type { Store } from '../state/store.js';

/**
 * Builds the checkpoints of the MCP front: each is the policy stage over its event kind (normalisers
 * and scorers of later versions go before it). Every verdict is audited and logged, after the event
 * has gone on; `tools_list` verdicts (one per tool per listing) are logged at debug level only.
 */
export function buildCheckpoints(
  config: Config,
  store: Store,
  pins: PinStore,
  policy: PolicyHolder,
  log: Logger,
  scorers: readonly TextScorer[] = [],
): McpCheckpoints {
  const audited = [
    deferSinks<McpEvent>([
      auditSink(store.audit, (err) => log.error({ err }, 'audit append failed')),
      decisionLog(log, 'info'),
    ]),
  ];
  const pinning = config.pinning.enabled ? { store: pins, mode: config.pinning.mode } : undefined;
  const stages: Stage<McpEvent>[] = [
    ...(pinning ? [pinStage(pinning)] : []),
    ...(config.limits.length > 0 ? [rateLimitStage(config.limits)] : []),
    ...scorers.map((scorer) => scoreStage({ scorer, timeoutMs: config.scorers.injection.timeout })),
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
  return {
    toolCall: checked,
    toolsList: pipeline([decisionLog(log, 'debug')]),
    toolResult: checked,
    resource: checked,
    prompt: checked,
    listedTool: pinning ? (server, tool) => checkListedTool({ ...pinning, log }, server, tool) : undefined,
  };
}

function decisionLog(log: Logger, level: 'info' | 'debug'): VerdictSink<McpEvent> {
  return (event: McpEvent, verdict: Verdict) => {
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
