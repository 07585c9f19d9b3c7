import type { ServerResponse } from 'node:http';
import type { LlmGrounding, LlmResponseEvent } from '../core/events.js';
import type { Pipeline } from '../core/pipeline.js';
import type { Session } from '../core/session.js';
import { groundingScore } from './grounding.js';
import {
  applyOutcome,
  NO_ANSWER,
  outcomeOf,
  responseEvent,
  summariseCompletion,
  type AnswerSummary,
} from './llm-events.js';
import type { Routed } from './route-request.js';
import { createStreamRecorder } from './stream-cache.js';

type RoutedOk = Extract<Routed, { ok: true }>;

/**
 * The `llm_response` checkpoint on a non-streamed answer, after the tool-call guard: a refusal
 * replaces the answer with a 403 in OpenAI's error format (true: answered), flags go into
 * `x-agentwall-flags` (false: send the answer).
 */
export async function checkAnswer(
  res: ServerResponse,
  checkpoint: Pipeline<LlmResponseEvent>,
  session: Session,
  routed: RoutedOk,
  answer: AnswerSummary,
  facts: {
    readonly stream: boolean;
    readonly cached: boolean;
    readonly toolCallsDenied: number;
    readonly grounding: LlmGrounding | undefined;
  },
  headers: Record<string, string>,
): Promise<boolean> {
  const event = responseEvent(session, routed.route, routed.request, answer, facts);
  return applyOutcome(res, outcomeOf(await checkpoint.evaluate(event)), headers);
}

export interface StreamAnswerAudit {
  /** A stream tap: each event's `data` as the upstream (or the cache) sent it. */
  readonly observe: (data: string) => void;
  /**
   * After the stream: the `llm_response` event of what was streamed, evaluated for the audit log and
   * the decision log only — the status and headers went out with the first event, so a verdict can
   * neither refuse nor flag it. Nothing when no event was streamed (an upstream error).
   */
  check(
    checkpoint: Pipeline<LlmResponseEvent>,
    session: Session,
    routed: RoutedOk,
    facts: { readonly cached: boolean; readonly toolTexts: readonly string[]; readonly denied: number },
  ): Promise<void>;
}

export function streamAnswerAudit(): StreamAnswerAudit {
  const recorder = createStreamRecorder();
  let isSeen = false;
  return {
    observe: (data) => {
      isSeen = true;
      recorder.observe(data);
    },
    async check(checkpoint, session, routed, facts) {
      if (!isSeen) return;
      // Undefined for a stream that broke off: its finish reasons are empty and its text unknown.
      const json = recorder.result();
      const answer =
        json === undefined ? NO_ANSWER : summariseCompletion(JSON.parse(json) as Record<string, unknown>);
      const grounding =
        json !== undefined && facts.toolTexts.length > 0
          ? groundingScore(answer.text, facts.toolTexts)
          : undefined;
      const extra = { stream: true, cached: facts.cached, toolCallsDenied: facts.denied, grounding };
      await checkpoint.evaluate(responseEvent(session, routed.route, routed.request, answer, extra));
    },
  };
}
