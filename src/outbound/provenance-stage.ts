import type { McpEvent } from '../core/events.js';
import type { Stage } from '../core/pipeline.js';

/** Argument values shorter than this say too little about where they came from ("yes", "10"). */
const MIN_CHARS = 4;
/** Longer values are payloads (a message body), not targets; a body quoting a document is normal. */
const MAX_CHARS = 80;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;
const NUMBER = /^[+-]?\d+([.,]\d+)?$/;

/**
 * Argument provenance for tool calls (docs/inbound.md, "Argument provenance"): whether the call's
 * targets — short argument values such as an address, an account, an id or a path — appear in untrusted
 * content the session received. Injections name their targets ("send it to amy@…", "transfer to
 * 019-…"); a user's own request rarely finds its targets in a web page.
 *
 * - `signals.args_from_untrusted`: some such value appears in received untrusted content;
 * - `signals.args_source_injection`: the highest injection score of the content they appear in
 *   (0 when none), so a rule can act on weak injection evidence that the call follows.
 * Dates and plain numbers are not matched: they recur everywhere.
 */
export function provenanceStage(): Stage<McpEvent> {
  return {
    name: 'provenance',
    run(ctx) {
      const event = ctx.event;
      if (event.kind !== 'tool_call' || event.session.received.length === 0) return;
      const values = targetsOf(event.args);
      if (values.length === 0) return;
      let found = false;
      let score = 0;
      for (const r of event.session.received) {
        if (!values.some((v) => r.text.includes(v))) continue;
        found = true;
        score = Math.max(score, r.injection);
      }
      ctx.signals.args_from_untrusted = found;
      ctx.signals.args_source_injection = score;
    },
  };
}

function targetsOf(args: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof args === 'string') {
    const v = args.trim();
    if (v.length >= MIN_CHARS && v.length <= MAX_CHARS && !ISO_DATE.test(v) && !NUMBER.test(v)) {
      out.push(v.toLowerCase());
    }
  } else if (depth < 8 && args !== null && typeof args === 'object') {
    for (const v of Array.isArray(args) ? args : Object.values(args)) targetsOf(v, out, depth + 1);
  }
  return out;
}
