import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RootDatabase } from 'lmdb';
import type { AuditLog, AuditRecord } from '../state/audit-log.js';
import type { DecisionFeed } from './decision-feed.js';
import { AuditReader, matches, parseFilter, parseQuery, type DecisionFilter } from './decision-query.js';
import type { AdminResponse, AdminRoute } from './router.js';

export interface DecisionRouteDeps {
  readonly root: RootDatabase;
  readonly audit: AuditLog;
  /** This process's recent verdicts: signals, messages and stage timings for the "why" panel. */
  readonly feed: DecisionFeed;
  /** How often the stream reads the log for records other processes appended (default 1000 ms). */
  readonly pollMs?: number;
  /** How often the stream sends a keep-alive comment (default 15 s). */
  readonly heartbeatMs?: number;
}

/** Records read from the log per step of the stream. */
const PAGE = 500;

function invalid(message: string): AdminResponse {
  return { status: 400, body: { error: { code: 'DECISIONS_INVALID_QUERY', message } } };
}

/**
 * The decision endpoints of the admin API (docs/admin-api.md): a query over the audit log, newest
 * first; one decision with the why (the audit record and, while this process still holds it, the
 * verdict's signals and stage timings); and a live stream of new decisions as server-sent events.
 */
export function decisionRoutes(deps: DecisionRouteDeps): AdminRoute[] {
  const reader = new AuditReader(deps.root);
  return [
    {
      method: 'GET',
      path: '/admin/decisions',
      handle({ query }) {
        const q = parseQuery(query);
        if (!q.ok) return invalid(q.message);
        return { status: 200, body: reader.query(q.value) };
      },
    },
    {
      method: 'GET',
      path: '/admin/decisions/stream',
      handle({ query }) {
        const filter = parseFilter(query);
        if (!filter.ok) return invalid(filter.message);
        const after = query.get('after');
        const from = after === null ? undefined : Number(after);
        if (from !== undefined && (!Number.isSafeInteger(from) || from < 0)) {
          return invalid('after must be a sequence number');
        }
        return {
          status: 200,
          body: undefined,
          stream: (req, res) => streamDecisions(req, res, { ...deps, reader, filter: filter.value, from }),
        };
      },
    },
    {
      method: 'GET',
      path: '/admin/decisions/:event_id',
      handle({ params }) {
        const id = params.event_id ?? '';
        const record = reader.get(id);
        const why = deps.feed.get(id);
        if (record === undefined && why === undefined) {
          return {
            status: 404,
            body: { error: { code: 'DECISION_NOT_FOUND', message: `no decision ${id}` } },
          };
        }
        return { status: 200, body: { record: record ?? null, why: why ?? null } };
      },
    },
  ];
}

interface StreamOptions extends DecisionRouteDeps {
  readonly reader: AuditReader;
  readonly filter: DecisionFilter;
  readonly from: number | undefined;
}

/**
 * Server-sent events (HTML Living Standard, "Server-sent events"): one `decision` event per audit
 * record, its `id` the sequence number, so a client that reconnects with `Last-Event-ID` (or
 * `?after=`) misses nothing. Records of this process are sent as soon as they commit (the feed says
 * when a verdict was made); other processes' records on the next poll.
 */
function streamDecisions(req: IncomingMessage, res: ServerResponse, o: StreamOptions): void {
  const lastId = Number(req.headers['last-event-id']);
  let last = Number.isSafeInteger(lastId) && lastId >= 0 ? lastId : (o.from ?? o.reader.head());
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: 2000\n: agentwall decisions after ${last}\n\n`);
  let reading = false;
  let again = false;
  const send = (r: AuditRecord) => {
    if (matches(r, o.filter)) res.write(`id: ${r.seq}\nevent: decision\ndata: ${JSON.stringify(r)}\n\n`);
    last = r.seq;
  };
  // One read at a time; a wake-up during a read reads again after it, so nothing waits for the poll.
  const read = async (flush: boolean) => {
    if (reading) return void (again = true);
    reading = true;
    try {
      if (flush) await o.audit.flushed();
      // In pages, so a client resuming far back does not load the whole log at once.
      for (let page = o.reader.after(last, PAGE); !res.writableEnded; page = o.reader.after(last, PAGE)) {
        page.forEach(send);
        if (page.length < PAGE) break;
      }
    } finally {
      reading = false;
    }
    if (again) {
      again = false;
      await read(true);
    }
  };
  const wake = (flush: boolean) => void read(flush).catch(() => res.end());
  const unsubscribe = o.feed.subscribe(() => wake(true));
  const poll = setInterval(() => wake(false), o.pollMs ?? 1000);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), o.heartbeatMs ?? 15_000);
  const stop = () => {
    unsubscribe();
    clearInterval(poll);
    clearInterval(heartbeat);
  };
  req.on('close', stop);
  res.on('close', stop);
  wake(false);
}
