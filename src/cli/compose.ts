import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { McpEvent } from '../core/events.js';
import { eventSubject } from '../core/events.js';
import { createPipeline, deferSinks, type VerdictSink } from '../core/pipeline.js';
import type { Verdict } from '../core/verdict.js';
import type { McpCheckpoints } from '../mcp/checkpoints.js';
import { auditSink } from '../state/audit-sink.js';
import type { Store } from '../state/store.js';

/**
 * Builds the checkpoints of the MCP front. Stages are empty in this version (allow-all, as configured
 * by `pipeline.default_action`); the policy, scorer and inbound stages of later versions plug in here.
 * Every verdict goes to the audit log and to one decision log line.
 */
export function buildCheckpoints(config: Config, store: Store, log: Logger): McpCheckpoints {
  const sinks = [
    deferSinks<McpEvent>([
      auditSink(store.audit, (err) => log.error({ err }, 'audit append failed')),
      decisionLog(log),
    ]),
  ];
  const options = {
    stages: [],
    defaultAction: config.pipeline.default_action,
    onStageError: config.pipeline.on_stage_error,
    sinks,
    onError: (stage: string, err: unknown, event: McpEvent) =>
      log.error({ err, stage, event_id: event.id, kind: event.kind }, 'pipeline stage failed'),
  } as const;
  return {
    toolCall: createPipeline(options),
    toolResult: createPipeline(options),
    resource: createPipeline(options),
    prompt: createPipeline(options),
  };
}

function decisionLog(log: Logger): VerdictSink<McpEvent> {
  return (event: McpEvent, verdict: Verdict) => {
    log.info(
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
