/**
 * Blanks Markdown code (fenced blocks and inline code spans) with spaces of the same length, so that
 * HTML shown as an example in documentation — `<div style="display:none">` in a code block — is not
 * parsed as markup. Positions are unchanged, so spans found on the masked text hold for the original.
 */
const FENCE_RE = /^ {0,3}(`{3,}|~{3,})/gm;
const INLINE_CODE_RE = /`[^`\n]{1,1000}`/g;

export function maskMarkdownCode(text: string): string {
  if (!text.includes('`') && !text.includes('~~~')) return text;
  const parts: string[] = [];
  let pos = 0;
  FENCE_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = FENCE_RE.exec(text)) !== null) {
    if (m.index < pos) continue;
    const marker = m[1] ?? '```';
    const lineEnd = endOfLine(text, m.index);
    // A backtick fence's info string cannot contain a backtick (CommonMark 4.5): that is inline code.
    if (marker[0] === '`' && text.slice(m.index + m[0].length, lineEnd).includes('`')) continue;
    const close = closingFence(text, lineEnd, marker);
    parts.push(maskInline(text.slice(pos, m.index)), blank(text, m.index, close));
    pos = close;
    FENCE_RE.lastIndex = close;
  }
  parts.push(maskInline(text.slice(pos)));
  return parts.join('');
}

function endOfLine(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl + 1;
}

/** The end of the closing fence line (same character, at least as long), or the end of the text. */
function closingFence(text: string, from: number, marker: string): number {
  const re = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`, 'gm');
  re.lastIndex = from;
  const m = re.exec(text);
  return m === null ? text.length : endOfLine(text, m.index);
}

function maskInline(segment: string): string {
  if (!segment.includes('`')) return segment;
  return segment.replace(INLINE_CODE_RE, (code) => ' '.repeat(code.length));
}

/** Spaces for text[start, end), keeping the line breaks. */
function blank(text: string, start: number, end: number): string {
  return text.slice(start, end).replace(/[^\n]+/g, (run) => ' '.repeat(run.length));
}
