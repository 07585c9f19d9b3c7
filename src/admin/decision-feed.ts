import type { McpEvent } from '../core/events.js';
import type { VerdictSink } from '../core/pipeline.js';
import type { SignalValue, StageTiming, Verdict } from '../core/verdict.js';

/**
 * What the audit log does not keep of a verdict and the console's "why" panel shows: the signal
 * values, the rules with their messages, what the inbound stages found (kinds and slots, never the
 * text) and the time each stage took.
 */
export interface DecisionDetail {
  readonly event_id: string;
  readonly kind: string;
  readonly action: string;
  readonly message: string | undefined;
  readonly signals: Readonly<Record<string, SignalValue>>;
  readonly rules: readonly { id: string; action: string; mode: string; message?: string; error?: string }[];
  readonly findings: readonly { slot: string; kind: string; type: string }[];
  readonly timings: readonly StageTiming[];
  readonly latency_ms: number;
}

export interface DecisionFeedOptions {
  /** How many recent verdicts are kept for the "why" panel (default 2000). */
  readonly capacity?: number;
}

/**
 * The recent verdicts of this process, held in memory for the console: a verdict sink (give it to
 * the checkpoints beside the audit sink) and a bounded map by event id. Listeners hear of each verdict
 * so the live stream can read the audit log at once rather than on its next poll.
 */
export class DecisionFeed {
  readonly #capacity: number;
  readonly #details = new Map<string, DecisionDetail>();
  readonly #listeners = new Set<(detail: DecisionDetail) => void>();

  constructor(options: DecisionFeedOptions = {}) {
    this.#capacity = options.capacity ?? 2000;
  }

  /** The verdict sink; tools_list verdicts are left out (one per tool per listing). */
  readonly sink: VerdictSink<McpEvent> = (event, verdict) => {
    if (event.kind === 'tools_list') return;
    this.record(event.kind, verdict);
  };

  record(kind: string, verdict: Verdict): void {
    const detail = detailOf(kind, verdict);
    this.#details.delete(detail.event_id);
    this.#details.set(detail.event_id, detail);
    // A Map iterates in insertion order: the first key is the oldest.
    while (this.#details.size > this.#capacity) {
      const oldest = this.#details.keys().next().value;
      if (oldest === undefined) break;
      this.#details.delete(oldest);
    }
    for (const listener of [...this.#listeners]) listener(detail);
  }

  get(eventId: string): DecisionDetail | undefined {
    return this.#details.get(eventId);
  }

  /** Calls `listener` on each verdict; returns the unsubscribe function. */
  subscribe(listener: (detail: DecisionDetail) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
}

function detailOf(kind: string, v: Verdict): DecisionDetail {
  return {
    event_id: v.eventId,
    kind,
    action: v.action,
    message: v.message,
    signals: v.signals,
    rules: v.rules.map((r) => ({
      id: r.id,
      action: r.action,
      mode: r.mode,
      ...(r.message === undefined ? {} : { message: r.message }),
      ...(r.error === undefined ? {} : { error: r.error }),
    })),
    findings: v.findings.map((f) => ({ slot: f.slot, kind: f.kind, type: f.type })),
    timings: v.timings.map((t) => ({ stage: t.stage, ms: Math.round(t.ms * 1000) / 1000 })),
    latency_ms: Math.round(v.latencyMs * 1000) / 1000,
  };
}
