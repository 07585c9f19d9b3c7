import type { ContentInspection, PromptEvent, ResourceEvent, ToolResultEvent } from '../core/events.js';
import type { Pipeline } from '../core/pipeline.js';
import { rememberReceived, taintSession, type TaintSource } from '../core/session.js';
import type { Verdict } from '../core/verdict.js';
import type { QuarantineStore } from '../state/quarantine.js';
import { applyContentVerdict, quarantineNotice } from './actions.js';
import { promptSlots, resourceSlots, toolResultSlots, type Slot } from './content.js';
import type { Inspector } from './inspect.js';

type ContentEvent = ToolResultEvent | ResourceEvent | PromptEvent;

export interface ContentSource {
  /** Configured trust of the server the content came from. */
  readonly trust: 'trusted' | 'untrusted';
  /** The tool reaches the open world (annotation `openWorldHint`, or its capability says so). */
  readonly openWorld: boolean;
  /** `server/tool`, `server resource URI`…: named in notices and spotlighting. */
  readonly label: string;
  readonly url?: string;
}

/** What the client gets: the content (changed as the verdict says), or nothing (a refusal follows). */
export type ContentOutcome<T> =
  | { readonly pass: true; readonly value: T; readonly verdict: Verdict }
  | { readonly pass: false; readonly verdict: Verdict };

export interface InboundCheckpoint {
  /**
   * Inspects content, runs the event through its pipeline, taints the session from what was found, and
   * applies the verdict: allow, annotate and redact pass (cleaned); quarantine passes a notice and keeps
   * the original; anything else withholds it.
   */
  process<E extends ContentEvent>(
    event: E,
    pipeline: Pipeline<E>,
    source: ContentSource,
  ): Promise<ContentOutcome<E['result']>>;
}

export interface InboundCheckpointOptions {
  readonly inspector: Inspector;
  readonly quarantine: QuarantineStore;
  readonly stripInvisible: boolean;
}

export function createInboundCheckpoint(options: InboundCheckpointOptions): InboundCheckpoint {
  const { inspector, quarantine, stripInvisible } = options;
  return {
    async process(event, pipeline, source) {
      const slots = slotsOf(event);
      const inspection = inspector.inspect(slots, event.result);
      const inspected = { ...event, inspection };
      const verdict = await pipeline.evaluate(inspected);
      taint(event, inspection, verdict, source);
      if (source.trust === 'untrusted' || source.openWorld) {
        const injection = verdict.signals.injection;
        rememberReceived(event.session, {
          text: inspection.slots
            .map((s) => s.clean)
            .join('\n')
            .toLowerCase(),
          injection: typeof injection === 'number' ? injection : 0,
          server: event.server,
          subject: subjectOf(event),
          time: event.time,
        });
      }
      switch (verdict.action) {
        case 'allow':
        case 'route':
        case 'annotate':
        case 'redact':
          return {
            pass: true,
            verdict,
            value: applyContentVerdict(event.result, slots, inspection, verdict, {
              stripInvisible,
              source: source.label,
            }),
          };
        case 'quarantine': {
          const record = await quarantine.put({
            kind: event.kind,
            server: event.server,
            subject: subjectOf(event),
            session_id: event.session.id,
            principal: event.principal.id,
            event_id: event.id,
            rules: verdict.rules
              .filter((r) => r.mode === 'enforce' && r.action === 'quarantine')
              .map((r) => r.id),
            signals: verdict.signals,
            content_hash: inspection.contentHash,
            original: event.result,
          });
          return {
            pass: true,
            verdict,
            value: noticeFor(event, quarantineNotice(record.id, source.label, verdict)),
          };
        }
        default:
          return { pass: false, verdict };
      }
    },
  };
}

function slotsOf(event: ContentEvent): Slot[] {
  switch (event.kind) {
    case 'tool_result':
      return toolResultSlots(event.result);
    case 'resource':
      return resourceSlots(event.result);
    case 'prompt':
      return promptSlots(event.result);
  }
}

function subjectOf(event: ContentEvent): string {
  switch (event.kind) {
    case 'tool_result':
      return event.tool.name;
    case 'resource':
      return event.uri;
    case 'prompt':
      return event.name;
  }
}

/** The quarantine notice in the shape of the content it replaces. */
function noticeFor<E extends ContentEvent>(event: E, text: string): E['result'] {
  switch (event.kind) {
    case 'tool_result':
      return { content: [{ type: 'text', text }], _meta: { 'agentwall/quarantined': true } };
    case 'resource': {
      const first = (event.result.contents as { uri?: string }[] | undefined)?.[0];
      return { contents: [{ uri: first?.uri ?? event.uri, mimeType: 'text/plain', text }] };
    }
    case 'prompt':
      return { messages: [{ role: 'user', content: { type: 'text', text } }] };
  }
}

/**
 * Session taint (DESIGN.md, "Sessions and taint"): labels that outbound rules read, each with the
 * content it came from. The session is marked even when the content was withheld: someone is trying.
 */
function taint(
  event: ContentEvent,
  inspection: ContentInspection,
  verdict: Verdict,
  source: ContentSource,
): void {
  const s = verdict.signals;
  const labels: string[] = [];
  if (source.trust === 'untrusted' || source.openWorld) labels.push('untrusted_content');
  if (s.injection_flagged === true || s.jailbreak_flagged === true || s.tag_chars === true) {
    labels.push('injection_suspected');
  }
  if (typeof s.pii === 'number' && s.pii > 0) labels.push('pii_seen');
  if (typeof s.secrets === 'number' && s.secrets > 0) labels.push('secret_seen');
  for (const label of labels) {
    const entry: TaintSource = {
      label,
      server: event.server,
      subject: subjectOf(event),
      kind: event.kind,
      ...(event.kind === 'tool_result' ? { callId: event.callId } : {}),
      contentHash: inspection.contentHash,
      ...(source.url === undefined ? {} : { url: source.url }),
      time: event.time,
    };
    taintSession(event.session, entry);
  }
}
