import type { McpEvent } from '../core/events.js';
import type { Stage } from '../core/pipeline.js';
import { CONCEALING_TYPES, type HiddenType } from './normalize/html.js';

/**
 * Turns the inspection of an event's content into signals for the policy stage (docs/inbound.md):
 * counts per finding kind, the PII and secret types seen, and the findings themselves for the verdict.
 */
export function inspectionSignalsStage(): Stage<McpEvent> {
  return {
    name: 'inspect',
    run(ctx) {
      const event = ctx.event;
      if (!('inspection' in event) || event.inspection === undefined) return;
      const counts = new Map<string, number>();
      const piiTypes = new Set<string>();
      const secretTypes = new Set<string>();
      let concealed = 0;
      for (const f of event.inspection.findings) {
        counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
        if (f.kind === 'hidden_html' && CONCEALING_TYPES.has(f.type as HiddenType)) concealed += 1;
        if (f.kind === 'pii') piiTypes.add(f.type);
        if (f.kind === 'secret') secretTypes.add(f.type);
        ctx.findings.push(f);
      }
      const s = ctx.signals;
      s.pii = counts.get('pii') ?? 0;
      s.pii_types = [...piiTypes].sort().join(',');
      s.secrets = counts.get('secret') ?? 0;
      s.secret_types = [...secretTypes].sort().join(',');
      // Only HTML that hides text from a reader counts (comments, display:none, same colour…), not
      // aria-hidden icons or long alt texts, which every real page has.
      s.hidden_content = concealed > 0 || (counts.get('tag_chars') ?? 0) > 0;
      s.tag_chars = (counts.get('tag_chars') ?? 0) > 0;
      s.invisible_chars = counts.get('invisible') ?? 0;
      s.confusables = counts.get('confusable') ?? 0;
      s.exfil_links = counts.get('exfil_link') ?? 0;
      s.encoded_blobs = counts.get('encoded') ?? 0;
      s.content_bytes = event.inspection.bytes;
    },
  };
}
