import { StringDecoder } from 'node:string_decoder';

/**
 * Server-sent events as vLLM sends them (reference §3: `data: <json>` lines, a blank line after each
 * event, `: keep-alive` comments), parsed across TCP chunk boundaries: an event, a line or a UTF-8
 * character may be split anywhere. Per the SSE spec (HTML §9.2.6), lines end in CRLF, LF or CR, the
 * `data` lines of one event are joined by LF, and lines starting with `:` are comments.
 */
export interface SseDecoder {
  /** The `data` of every event completed by this chunk, in order. */
  push(chunk: Buffer | string): string[];
  /** The upstream ended: an event not closed by a blank line is incomplete and dropped. */
  end(): void;
}

export function createSseDecoder(): SseDecoder {
  const utf8 = new StringDecoder('utf8');
  let pending = '';
  let data: string[] = [];
  return {
    push(chunk) {
      pending += typeof chunk === 'string' ? chunk : utf8.write(chunk);
      const out: string[] = [];
      let start = 0;
      for (;;) {
        const nl = nextLineEnd(pending, start);
        if (nl === undefined) break;
        const line = pending.slice(start, nl.at);
        start = nl.at + nl.width;
        if (line === '') {
          if (data.length > 0) out.push(data.join('\n'));
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line[5] === ' ' ? 6 : 5));
        }
        // Other fields (`event:`, `id:`, `retry:`) and comments (`:`) carry nothing for chat chunks.
      }
      pending = pending.slice(start);
      return out;
    },
    end() {
      pending = '';
      data = [];
    },
  };
}

/** The next line end at or after `from`; a CR at the very end may be the first half of a CRLF. */
function nextLineEnd(s: string, from: number): { at: number; width: number } | undefined {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) return { at: i, width: 1 };
    if (c === 13) {
      if (i + 1 === s.length) return undefined;
      return { at: i, width: s.charCodeAt(i + 1) === 10 ? 2 : 1 };
    }
  }
  return undefined;
}

/** One SSE event carrying `data`. */
export function sseEvent(data: string): string {
  return `data: ${data}\n\n`;
}
