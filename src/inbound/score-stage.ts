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

const CONTENT_KINDS: readonly EventKind[] = ['tool_result', 'resource', 'prompt', 'tools_list'];

/** Tool definitions are checked on every listing and call; their scores are kept per content hash. */
const DEFINITION_CACHE_SIZE = 4096;

/**
 * Scores the text of an event and sets `signals.<name>` (P in [0, 1]) and `signals.<name>_flagged`
 * (P ≥ the model's operating threshold) for the policy stage after it. A scorer that throws or times out
 * throws here: the verdict then follows `pipeline.on_stage_error` — fail closed unless configured open.
 */
export function scoreStage(options: ScoreStageOptions): Stage<McpEvent> {
  const kinds = new Set(options.kinds ?? CONTENT_KINDS);
  const { scorer, timeoutMs } = options;
  const definitions = new Map<string, number>();
  return {
    name: `score:${scorer.name}`,
    async run(ctx) {
      if (!kinds.has(ctx.event.kind)) return;
      const event = ctx.event;
      const cacheKey = event.kind === 'tools_list' ? event.inspection?.contentHash : undefined;
      const cached = cacheKey === undefined ? undefined : definitions.get(cacheKey);
      if (cached !== undefined) {
        ctx.signals[scorer.name] = cached;
        ctx.signals[`${scorer.name}_flagged`] = cached >= scorer.threshold;
        return;
      }
      const texts = textsOf(event).filter(canCarryInstructions);
      if (texts.length === 0) {
        ctx.signals[scorer.name] = 0;
        ctx.signals[`${scorer.name}_flagged`] = false;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`scorer ${scorer.name} took longer than ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        // The score of the content is the highest of its texts (the joined text, decoded and hidden parts).
        const p = Math.max(0, ...(await Promise.race([scorer.score(texts), timeout])));
        if (cacheKey !== undefined) {
          if (definitions.size >= DEFINITION_CACHE_SIZE) definitions.clear();
          definitions.set(cacheKey, p);
        }
        ctx.signals[scorer.name] = p;
        ctx.signals[`${scorer.name}_flagged`] = p >= scorer.threshold;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** An instruction needs words: fewer than this many (ids, numbers, `OK`) are not scored. */
const MIN_WORDS = 3;
const WORD = /\p{L}{2,}/gu;

/**
 * Whether a text has enough words to carry an instruction. The hashed n-gram models score a text of
 * one or two tokens on those tokens alone, which is noise (12 % of plain numbers flagged), so such texts
 * are not scored: their score is 0.
 */
export function canCarryInstructions(text: string): boolean {
  let n = 0;
  WORD.lastIndex = 0;
  while (WORD.exec(text) !== null) if (++n >= MIN_WORDS) return true;
  return false;
}

function textsOf(event: McpEvent): readonly string[] {
  switch (event.kind) {
    case 'tool_result':
    case 'resource':
    case 'prompt': {
      if (event.inspection) return event.inspection.scanTexts;
      const text = textOf(event.result);
      return text === '' ? [] : [text];
    }
    case 'tools_list':
      return event.inspection?.scanTexts ?? [];
    default:
      return [];
  }
}
