import type { Span } from '../types.js';

/**
 * Maps positions in a text that had ranges deleted back to positions in the original text, so that
 * findings made on the cleaned text can point at the input the caller gave us.
 */
export class OffsetMap {
  /** `outStarts[k]`: first output position from which `deltas[k]` applies (original = output + delta). */
  private readonly outStarts: number[] = [0];
  private readonly deltas: number[] = [0];
  private deleted = 0;

  /** Records that [start, end) of the original (in increasing order of `start`) was deleted. */
  delete(start: number, end: number): void {
    if (end <= start) return;
    const outPos = start - this.deleted;
    this.deleted += end - start;
    const last = this.outStarts.length - 1;
    if (this.outStarts[last] === outPos) this.deltas[last] = this.deleted;
    else {
      this.outStarts.push(outPos);
      this.deltas.push(this.deleted);
    }
  }

  get isIdentity(): boolean {
    return this.deleted === 0;
  }

  /** The original position of output position `pos`. */
  toInput(pos: number): number {
    if (this.deleted === 0) return pos;
    let lo = 0;
    let hi = this.outStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.outStarts[mid] ?? 0) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return pos + (this.deltas[lo] ?? 0);
  }

  /** The original span of an output span; an empty span stays empty. */
  spanToInput(span: Span): Span {
    const start = this.toInput(span.start);
    if (span.end <= span.start) return { start, end: start };
    return { start, end: this.toInput(span.end - 1) + 1 };
  }
}

/** Deletes the given spans (sorted or not, overlapping or not) from `text`. */
export function deleteSpans(text: string, spans: readonly Span[]): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let pos = 0;
  for (const span of sorted) {
    const start = Math.max(pos, Math.min(span.start, text.length));
    const end = Math.min(Math.max(span.end, start), text.length);
    parts.push(text.slice(pos, start));
    pos = end;
  }
  parts.push(text.slice(pos));
  return parts.join('');
}
