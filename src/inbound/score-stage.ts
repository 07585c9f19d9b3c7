import type { EventKind, McpEvent } from '../core/events.js';
import type { Stage } from '../core/pipeline.js';
import { textOf } from '../policy/activation.js';
import type { TextScorer } from '../ml/scorer.js';

export interface ScoreStageOptions {
  readonly scorer: TextScorer;
  /** Event kinds whose content is scored (default: what enters the model's context). */
  readonly kinds?: readonly EventKind[];
  /** A scorer slower than this fails the stage; the pipeline's `on_stage_error` decides (deny by default). */
  readonly timeoutMs: number;
}

const CONTENT_KINDS: readonly EventKind[] = ['tool_result', 'resource', 'prompt'];

/**
 * Scores the text of an event and sets `signals.<name>` (P in [0, 1]) and `signals.<name>_flagged`
 * (P ≥ the model's operating threshold) for the policy stage after it. A scorer that throws or times out
 * throws here: the verdict then follows `pipeline.on_stage_error` — fail closed unless configured open.
 */
export function scoreStage(options: ScoreStageOptions): Stage<McpEvent> {
  const kinds = new Set(options.kinds ?? CONTENT_KINDS);
  const { scorer, timeoutMs } = options;
  return {
    name: `score:${scorer.name}`,
    async run(ctx) {
      if (!kinds.has(ctx.event.kind)) return;
      const text = contentOf(ctx.event);
      if (text === '') return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`scorer ${scorer.name} took longer than ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        const [p = 0] = await Promise.race([scorer.score([text]), timeout]);
        ctx.signals[scorer.name] = p;
        ctx.signals[`${scorer.name}_flagged`] = p >= scorer.threshold;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function contentOf(event: McpEvent): string {
  switch (event.kind) {
    case 'tool_result':
    case 'resource':
    case 'prompt':
      return textOf(event.result);
    default:
      return '';
  }
}
