/** The one decision type every checkpoint produces (DESIGN.md, "One pipeline, one decision"). */
export const ACTIONS = [
  'allow',
  'annotate',
  'redact',
  'quarantine',
  'require_approval',
  'deny',
  'route',
] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * Most restrictive wins: deny > require_approval > quarantine > redact > annotate > allow.
 * `route` is a routing decision, not a restriction; it ranks with allow.
 */
const RANK: Readonly<Record<Action, number>> = {
  allow: 0,
  route: 0,
  annotate: 1,
  redact: 2,
  quarantine: 3,
  require_approval: 4,
  deny: 5,
};

export function isMoreRestrictive(a: Action, b: Action): boolean {
  return RANK[a] > RANK[b];
}

export function mostRestrictive(actions: Iterable<Action>, fallback: Action): Action {
  let best: Action | undefined;
  for (const a of actions) if (best === undefined || isMoreRestrictive(a, best)) best = a;
  return best ?? fallback;
}

export type RuleMode = 'enforce' | 'shadow';

/** A rule (or built-in stage) that fired for an event. Shadow rules are reported but never enforced. */
export interface FiredRule {
  readonly id: string;
  readonly action: Action;
  readonly mode: RuleMode;
  readonly message?: string;
  /** Set when the rule could not be evaluated; `action` is then the configured `on_error`. */
  readonly error?: string;
  /**
   * For `redact`: on tool calls, the argument paths to mask and the mask; on content (tool results,
   * resources, prompts), the finding kinds whose spans are replaced (all of pii, secret, exfil_link
   * when absent).
   */
  readonly redact?: {
    readonly paths?: readonly string[];
    readonly kinds?: readonly string[];
    readonly replacement: string;
  };
  /** For `require_approval`: how long the call waits for a decision. */
  readonly approvalTimeoutMs?: number;
  /** On `memory_write`: labels the memory checkpoint adds to the version written. */
  readonly labels?: readonly string[];
}

export type SignalValue = number | string | boolean;

/**
 * Something a stage found in the event's content, located by slot (which text of the payload:
 * `content.0.text`, `structuredContent.items.2.name`, `description`) and span within it. Findings are
 * what redaction replaces and what the audit log shows as the reason; `detail` never holds a secret.
 */
export interface SpanFinding {
  readonly slot: string;
  /** `pii`, `secret`, `invisible`, `tag_chars`, `hidden_html`, `exfil_link`, `encoded`, `confusable`. */
  readonly kind: string;
  /** Sub-type: `email`, `card`, `aws_access_key`, `base64`… */
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly detail?: string;
}

export interface StageTiming {
  readonly stage: string;
  readonly ms: number;
}

export interface Verdict {
  readonly eventId: string;
  readonly action: Action;
  /** Every rule that fired, enforce and shadow alike. */
  readonly rules: readonly FiredRule[];
  readonly signals: Readonly<Record<string, SignalValue>>;
  /** What the inbound stages found, by slot and span (empty for events without content). */
  readonly findings: readonly SpanFinding[];
  readonly message: string | undefined;
  readonly timings: readonly StageTiming[];
  readonly latencyMs: number;
}
