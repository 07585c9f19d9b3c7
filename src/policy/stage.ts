import type { CheckpointEvent, McpEvent } from '../core/events.js';
import type { Stage } from '../core/pipeline.js';
import { activationOf, toCel } from './activation.js';
import { evaluateRules, type PolicySet } from './policy-set.js';

export interface PolicyStageOptions {
  /** The policy in force; read per event, so a reload swaps it between events, never during one. */
  readonly current: () => PolicySet;
  readonly onError: 'deny' | 'allow';
  /** Values rules read as `params` (e.g. `params.fs_roots`), from the configuration. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly clock?: () => number;
}

/** The policy step of every checkpoint: CEL rules over the event, its session and its signals. */
export function policyStage<E extends CheckpointEvent = McpEvent>(options: PolicyStageOptions): Stage<E> {
  const clock = options.clock ?? Date.now;
  return {
    name: 'policy',
    run(ctx) {
      const set = options.current();
      const rules = set.rulesFor(ctx.event.kind);
      if (rules.length === 0) return;
      const vars = activationOf(ctx.event, ctx.signals, clock(), set.reads);
      vars.params = options.params;
      for (const fired of evaluateRules(set, ctx.event.kind, toCel(vars), options.onError))
        ctx.fired.push(fired);
    },
  };
}
