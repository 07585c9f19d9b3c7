// Reads a text/event-stream over fetch into an EventLog, so tests wait on events, never on time.
import { EventLog } from '../helpers/event-log.js';

export interface SseEvent {
  readonly event: string;
  readonly id: string;
  readonly data: string;
}

export interface SseClient {
  readonly status: number;
  readonly contentType: string | null;
  readonly events: EventLog<SseEvent>;
  /** Comment lines (`: …`), e.g. keep-alives. */
  readonly comments: EventLog<string>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const events = new EventLog<SseEvent>();
  const comments = new EventLog<string>();
  if (res.ok && res.body) void pump(res.body, events, comments).catch(() => undefined);
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    comments,
    close: () => controller.abort(),
  };
}

async function pump(
  body: ReadableStream<Uint8Array>,
  events: EventLog<SseEvent>,
  comments: EventLog<string>,
) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const ev = { event: 'message', id: '', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else if (line.startsWith('data: ')) ev.data += line.slice(6);
        else if (line.startsWith('event: ')) ev.event = line.slice(7);
        else if (line.startsWith('id: ')) ev.id = line.slice(4);
      }
      if (ev.data !== '') events.push(ev);
    }
  }
}
