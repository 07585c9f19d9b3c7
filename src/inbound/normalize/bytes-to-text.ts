import { Buffer } from 'node:buffer';

/**
 * Decoded bytes → text, when they are text: valid UTF-8, mostly printable, mostly letters, digits and
 * spaces. Binary that happens to decode (hashes, images, random ids) is rejected, cheaply.
 */
const FATAL_DECODER = new TextDecoder('utf-8', { fatal: true });

/** Bytes → text when they are valid UTF-8 and mostly printable; `isPrefix` tolerates a cut character. */
export function toText(bytes: Uint8Array, isPrefix: boolean): string | undefined {
  if (bytes.length < 8) return undefined;
  // Fast paths: binary shows a control byte early; plain ASCII needs no UTF-8 decoder.
  let isAsciiOnly = true;
  let controls = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b >= 0x80) isAsciiOnly = false;
    else if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) {
      if (++controls * 20 > bytes.length || i < 16) return undefined;
    }
  }
  if (isAsciiOnly) {
    const ascii = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    return isPrintableText(ascii) ? ascii : undefined;
  }
  if (!isPrefix && !isUtf8(bytes)) return undefined;
  let text: string;
  try {
    text = FATAL_DECODER.decode(isPrefix ? bytes.subarray(0, lastCharBoundary(bytes)) : bytes);
  } catch {
    return undefined;
  }
  return isPrintableText(text) ? text : undefined;
}

function lastCharBoundary(bytes: Uint8Array): number {
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back] ?? 0;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    if (b >= 0xc0) end -= back; // lead byte of a cut character
    break;
  }
  return end;
}

/** Mostly printable, and mostly letters, digits and spaces: text rather than binary that happens to decode. */
export function isPrintableText(text: string): boolean {
  if (text.length === 0) return false;
  let bad = 0;
  let wordy = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || c === 0xfffd) bad++;
    else if (
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x20 ||
      c === 0x0a ||
      c >= 0xa0
    )
      wordy++;
  }
  return (
    bad * 20 <= text.length &&
    wordy >= text.length * 0.6 &&
    /[A-Za-z\u00C0-\uFFFF].*[A-Za-z\u00C0-\uFFFF]/s.test(text)
  );
}

/** Structural UTF-8 check (lead and continuation bytes): rejects binary before the decoder is called. */
function isUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const extra =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (extra < 0 || i + extra >= bytes.length) return false;
    for (let k = 1; k <= extra; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return false;
    i += extra + 1;
  }
  return true;
}
