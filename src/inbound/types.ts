/**
 * Shared types of the inbound checkpoint: normalisers and detectors report what they found as
 * findings with spans, so actions (redact, annotate) and the audit log can point at the exact text.
 */

/** A half-open range [start, end) of UTF-16 code units in a text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type FindingKind =
  // normalisers
  | 'invisible' // zero-width / bidi controls
  | 'tag_chars' // Unicode tag characters (ASCII smuggling)
  | 'confusable' // homoglyphs folded for detection
  | 'hidden_html' // comments, display:none, aria-hidden, white-on-white…
  | 'exfil_link' // Markdown image/link carrying data to a host not on the allow-list
  | 'encoded' // base64 / hex / URL-encoded blob decoded and scanned again
  // detectors
  | 'pii'
  | 'secret'
  // a normaliser or detector failed on this text (`type` names it): what it checks was not checked
  | 'unscanned';

export interface Finding {
  readonly kind: FindingKind;
  /** Sub-type: e.g. `email`, `phone`, `card`, `iban` for pii; `aws_access_key`, `private_key` for secrets. */
  readonly type: string;
  /** Span in the text the finding refers to (the input of the normaliser or detector that made it). */
  readonly span: Span;
  /** Decoded or hidden text where relevant (e.g. the ASCII smuggled in tag characters). Never a secret's value. */
  readonly detail?: string;
}

/** A normaliser's output: the cleaned text (what the model may see) and what was found on the way. */
export interface Normalised {
  readonly text: string;
  readonly findings: readonly Finding[];
  /**
   * Extra texts to scan that the model does not see as such: decoded blobs, hidden HTML content,
   * smuggled tag-character text, the confusable-folded form. Scanners run over `text` and each of these.
   */
  readonly scanTexts: readonly string[];
}
