import { performance } from 'node:perf_hooks';
import type { EventBase } from './events.js';
import {
  mostRestrictive,
  type Action,
  type FiredRule,
  type SpanFinding,
  type SignalValue,
  type StageTiming,
  type Verdict,
} from './verdict.js';

/** What stages read and add to while one event passes: signals, fired rules, findings. */
export interface StageContext<E extends EventBase> {
  readonly event: E;
  readonly signals: Record<string, SignalValue>;
  readonly fired: FiredRule[];
  readonly findings: SpanFinding[];
}

/**
 * One named step of a checkpoint: normalise, score, or evaluate policy. Expected outcomes (a rule
 * that denies) are values pushed onto the context; a thrown error is a failure of the stage itself.
 */
export interface Stage<E extends EventBase> {
  readonly name: string;
  run(ctx: StageContext<E>): void | Promise<void>;
}

/** Receives every verdict after it is made: the audit log, the decision log, metrics. */
export type VerdictSink<E extends EventBase> = (event: E, verdict: Verdict) => void;

export interface PipelineOptions<E extends EventBase> {
  readonly stages: readonly Stage<E>[];
  /** The action when no enforcing rule fired. */
  readonly defaultAction: Action;
  /** What a stage that throws means for the event: fail closed (`deny`) by default. */
  readonly onStageError: 'deny' | 'allow';
  readonly sinks: readonly VerdictSink<E>[];
  /** Told about stage failures; the pipeline never throws for them. */
  readonly onError?: (stage: string, err: unknown, event: E) => void;
}

export interface Pipeline<E extends EventBase> {
  evaluate(event: E): Promise<Verdict>;
}

export function createPipeline<E extends EventBase>(options: PipelineOptions<E>): Pipeline<E> {
  const { stages, defaultAction, onStageError, sinks, onError } = options;
  return {
    async evaluate(event) {
      const started = performance.now();
      const ctx: StageContext<E> = { event, signals: {}, fired: [], findings: [] };
      const timings: StageTiming[] = [];
      for (const stage of stages) {
        const t0 = performance.now();
        try {
          const pending = stage.run(ctx);
          if (pending !== undefined) await pending;
        } catch (err) {
          onError?.(stage.name, err, event);
          ctx.fired.push({
            id: `stage:${stage.name}:error`,
            action: onStageError,
            mode: 'enforce',
            message: `stage ${stage.name} failed: ${err instanceof Error ? err.message : String(err)}`,
          });
        }
        timings.push({ stage: stage.name, ms: performance.now() - t0 });
      }
      const verdict = decide(event.id, ctx, defaultAction, timings, performance.now() - started);
      for (const sink of sinks) sink(event, verdict);
      return verdict;
    },
  };
}

function decide<E extends EventBase>(
  eventId: string,
  ctx: StageContext<E>,
  defaultAction: Action,
  timings: StageTiming[],
  latencyMs: number,
): Verdict {
  const enforced = ctx.fired.filter((r) => r.mode === 'enforce');
  const action = mostRestrictive(
    enforced.map((r) => r.action),
    defaultAction,
  );
  const decisive = enforced.find((r) => r.action === action);
  return {
    eventId,
    action,
    rules: ctx.fired,
    signals: ctx.signals,
    findings: ctx.findings,
    message: decisive?.message,
    timings,
    latencyMs,
  };
}

/**
 * Runs sinks after the current turn, in order, so that auditing and logging a verdict happen after the
 * event has been forwarded or answered rather than on the request's critical path. Verdicts are
 * immutable values, so handing them over later is safe.
 */
export function deferSinks<E extends EventBase>(sinks: readonly VerdictSink<E>[]): VerdictSink<E> {
  let queue: [E, Verdict][] = [];
  const drain = () => {
    const batch = queue;
    queue = [];
    for (const [event, verdict] of batch) for (const sink of sinks) sink(event, verdict);
  };
  return (event, verdict) => {
    if (queue.length === 0) setImmediate(drain);
    queue.push([event, verdict]);
  };
}
