// The decision endpoints of the admin API: the audit-log query, one decision with its why, and the
// live SSE stream, served by the real admin handler on loopback over a real LMDB audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionFeed } from '../../src/admin/decision-feed.js';
import { decisionRoutes } from '../../src/admin/decision-routes.js';
import type { Verdict } from '../../src/core/verdict.js';
import type { AuditEntry, AuditRecord } from '../../src/state/audit-log.js';
import { openStore, type Store } from '../../src/state/store.js';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { openSse, type SseClient } from './sse-client.js';

const TOKEN = 'admin-token-for-decision-routes';
const AUTH = { authorization: `Bearer ${TOKEN}` };
let dir: TempDir;
let store: Store;
let feed: DecisionFeed;
let admin: AdminServer;
/** The same routes with a poll too slow to matter: what it streams came from the feed's notice. */
let pushOnly: AdminServer;
let n = 0;

beforeAll(async () => {
  dir = await makeTempDir('agentwall-decisions-');
  store = openStore(dir.path);
  feed = new DecisionFeed({ capacity: 50 });
  const routes = decisionRoutes({ root: store.root, audit: store.audit, feed, pollMs: 50, heartbeatMs: 100 });
  admin = await startAdminServer(routes, TOKEN);
  const noPoll = decisionRoutes({ root: store.root, audit: store.audit, feed, pollMs: 3_600_000 });
  pushOnly = await startAdminServer(noPoll, TOKEN);
  // Ten records: two sessions, three servers, every fifth denied by `no-rm`.
  for (let i = 1; i <= 10; i++) {
    await append({
      time: 1_000 * i,
      session: i % 2 === 0 ? 'even' : 'odd',
      server: ['files', 'web', 'shell'][i % 3] as string,
      action: i % 5 === 0 ? 'deny' : 'allow',
      rules: i % 5 === 0 ? [{ id: 'no-rm', action: 'deny', mode: 'enforce' }] : [],
    });
  }
});
afterAll(async () => {
  await admin.close();
  await pushOnly.close();
  await store.close();
  await dir.remove();
});

function append(over: Partial<AuditEntry> = {}): Promise<AuditRecord> {
  n += 1;
  return store.audit.append({
    time: Date.now(),
    event_id: `ev-${n}`,
    kind: 'tool_call',
    session: 's',
    principal: 'alice',
    server: 'files',
    subject: 'write_file',
    action: 'allow',
    rules: [],
    latency_ms: 0.5,
    detail: { args: { n } },
    ...over,
  });
}

function verdict(eventId: string, over: Partial<Verdict> = {}): Verdict {
  return {
    eventId,
    action: 'deny',
    rules: [{ id: 'no-rm', action: 'deny', mode: 'enforce', message: 'rm is not allowed' }],
    signals: { injection: 0.91, read_only: false },
    findings: [{ slot: 'args.path', kind: 'secret', type: 'aws_access_key', start: 0, end: 4, detail: 'x' }],
    message: 'rm is not allowed',
    timings: [
      { stage: 'policy', ms: 0.25 },
      { stage: 'score:injection', ms: 1.5 },
    ],
    latencyMs: 1.75,
    ...over,
  };
}

/** The fields these tests read of the answers. */
interface Body {
  error?: { code: string };
  decisions?: AuditRecord[];
  next_before?: number;
  record?: AuditRecord | null;
  why?: unknown;
}

async function get(path: string, headers: Record<string, string> = AUTH) {
  const res = await fetch(`${admin.base}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Body };
}

const seqs = (body: Body) => (body.decisions ?? []).map((r) => r.seq);

describe('GET /admin/decisions', () => {
  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer not-the-admin-token-xxxx' }],
  ])('refuses %s with 401 on every decision route', async (_name, headers) => {
    for (const path of ['/admin/decisions', '/admin/decisions/stream', '/admin/decisions/ev-1']) {
      const r = await get(path, headers);
      expect({ path, status: r.status, code: r.body.error?.code }).toEqual({
        path,
        status: 401,
        code: 'UNAUTHORIZED',
      });
    }
  });

  it('lists newest first, pages with limit and before', async () => {
    const first = await get('/admin/decisions?limit=4');
    expect(first.status).toBe(200);
    expect(seqs(first.body)).toEqual([10, 9, 8, 7]);
    expect(first.body.next_before).toBe(7);
    const next = await get('/admin/decisions?limit=4&before=7');
    expect(seqs(next.body)).toEqual([6, 5, 4, 3]);
    const last = await get('/admin/decisions?limit=4&before=3');
    expect(seqs(last.body)).toEqual([2, 1]);
    expect(last.body.next_before).toBeUndefined();
  });

  it.each([
    ['session=even', [10, 8, 6, 4, 2]],
    ['server=web', [10, 7, 4, 1]],
    ['action=deny', [10, 5]],
    ['rule=no-rm', [10, 5]],
    ['session=odd&action=deny', [5]],
    ['since=3000&until=5000', [5, 4, 3]],
    [`since=${new Date(9_000).toISOString()}`, [10, 9]],
    ['principal=bob', []],
    ['tool=write_file&kind=tool_call&limit=2', [10, 9]],
    ['tool=read_file', []],
  ])('filters by %s', async (query, expected) => {
    const r = await get(`/admin/decisions?${query}`);
    expect(r.status).toBe(200);
    expect(seqs(r.body)).toEqual(expected);
  });

  it.each(['limit=0', 'limit=1001', 'limit=x', 'before=-1', 'since=yesterday', 'until=soon'])(
    'answers 400 to %s',
    async (query) => {
      const r = await get(`/admin/decisions?${query}`);
      expect(r).toMatchObject({ status: 400, body: { error: { code: 'DECISIONS_INVALID_QUERY' } } });
    },
  );
});

describe('GET /admin/decisions/:event_id', () => {
  it('shows the record with the why of this process: signals, rules with messages, findings, stage timings', async () => {
    const rec = await append({
      event_id: 'why-1',
      action: 'deny',
      rules: [{ id: 'no-rm', action: 'deny', mode: 'enforce' }],
    });
    feed.record('tool_call', verdict('why-1'));
    const r = await get('/admin/decisions/why-1');
    expect(r.status).toBe(200);
    expect(r.body.record).toMatchObject({ seq: rec.seq, event_id: 'why-1', action: 'deny' });
    expect(r.body.why).toEqual({
      event_id: 'why-1',
      kind: 'tool_call',
      action: 'deny',
      message: 'rm is not allowed',
      signals: { injection: 0.91, read_only: false },
      rules: [{ id: 'no-rm', action: 'deny', mode: 'enforce', message: 'rm is not allowed' }],
      findings: [{ slot: 'args.path', kind: 'secret', type: 'aws_access_key' }],
      timings: [
        { stage: 'policy', ms: 0.25 },
        { stage: 'score:injection', ms: 1.5 },
      ],
      latency_ms: 1.75,
    });
  });

  it('answers a record without a why (another process, or long ago) and 404 for an unknown id', async () => {
    const r = await get('/admin/decisions/ev-1');
    expect(r.status).toBe(200);
    expect(r.body.record?.event_id).toBe('ev-1');
    expect(r.body.why).toBeNull();
    const none = await get('/admin/decisions/no-such-event');
    expect(none).toMatchObject({ status: 404, body: { error: { code: 'DECISION_NOT_FOUND' } } });
  });

  it('forgets the oldest whys beyond its capacity', () => {
    const small = new DecisionFeed({ capacity: 2 });
    for (const id of ['a', 'b', 'c']) small.record('tool_call', verdict(id));
    expect([small.get('a'), small.get('b')?.event_id, small.get('c')?.event_id]).toEqual([
      undefined,
      'b',
      'c',
    ]);
  });
});

describe('GET /admin/decisions/stream', () => {
  const streams: SseClient[] = [];
  afterAll(() => streams.forEach((s) => s.close()));
  const open = async (query = '', headers: Record<string, string> = AUTH, base = admin.base) => {
    const s = await openSse(`${base}/admin/decisions/stream${query}`, headers);
    streams.push(s);
    return s;
  };

  it('sends each new decision of this process as a `decision` event with the sequence number as id', async () => {
    const s = await open('', AUTH, pushOnly.base);
    expect(s.status).toBe(200);
    expect(s.contentType).toMatch(/^text\/event-stream/);
    await s.comments.waitFor((c) => c.startsWith('agentwall decisions after'));
    const rec = await append({ event_id: 'live-1', subject: 'delete_file', action: 'deny' });
    feed.record('tool_call', verdict('live-1'));
    const ev = await s.events.waitFor((e) => e.id === String(rec.seq));
    expect(ev.event).toBe('decision');
    expect(JSON.parse(ev.data)).toMatchObject({ event_id: 'live-1', subject: 'delete_file', action: 'deny' });
  });

  it('sends records other processes appended (no feed notice) on its poll, and keeps the line alive', async () => {
    const s = await open();
    await s.comments.waitFor((c) => c.startsWith('agentwall decisions after'));
    const rec = await append({ event_id: 'other-process' });
    const ev = await s.events.waitFor((e) => e.id === String(rec.seq));
    expect((JSON.parse(ev.data) as AuditRecord).event_id).toBe('other-process');
    await s.comments.waitFor((c) => c === 'keep-alive');
  });

  it('filters like the query, and replays from ?after= and Last-Event-ID', async () => {
    const denied = await open('?action=deny&after=0');
    const replayed = await denied.events.waitFor((e) => e.id === '10');
    expect(denied.events.entries.map((e) => (JSON.parse(e.data) as AuditRecord).action)).toEqual(
      expect.arrayContaining(['deny']),
    );
    expect(denied.events.entries.every((e) => (JSON.parse(e.data) as AuditRecord).action === 'deny')).toBe(
      true,
    );
    expect(denied.events.entries.map((e) => e.id).slice(0, 2)).toEqual(['5', replayed.id]);
    const resumed = await open('', { ...AUTH, 'last-event-id': '9' });
    const first = await resumed.events.waitFor(() => true);
    expect(first.id).toBe('10');
  });

  it('answers 400 to a bad filter before it starts streaming', async () => {
    for (const q of ['?since=never', '?after=-3']) {
      const r = await get(`/admin/decisions/stream${q}`);
      expect(r).toMatchObject({ status: 400, body: { error: { code: 'DECISIONS_INVALID_QUERY' } } });
    }
  });
});
