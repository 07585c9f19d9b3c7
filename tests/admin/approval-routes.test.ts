import { mkdtempSync, rmSync } from 'node:fs';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalRoutes } from '../../src/admin/approval-routes.js';
import { createApprovalService } from '../../src/outbound/approvals.js';
import { ApprovalStore, type ApprovalRecord, type NewApproval } from '../../src/state/approvals.js';
import { openStore, type Store } from '../../src/state/store.js';

const TOKEN = 'test-admin-token-0123456789';
let dir: string;
let store: Store;
let approvals: ApprovalStore;
let admin: AdminServer;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentwall-admin-approvals-'));
  store = openStore(dir);
  approvals = new ApprovalStore(store.root);
  admin = await startAdminServer(approvalRoutes(approvals), TOKEN);
  base = admin.base;
});

afterAll(async () => {
  await admin.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The shapes the endpoints answer with, loosely: each test reads the one it expects. */
interface Body {
  approvals: ApprovalRecord[];
  approval: ApprovalRecord;
  error: { code: string; message: string };
}

async function call(
  method: string,
  path: string,
  options: { body?: string; token?: string | null } = {},
): Promise<{ status: number; body: Body }> {
  const token = options.token === undefined ? TOKEN : options.token;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

const pending = (args: Record<string, unknown>, timeoutMs = 60_000): Promise<ApprovalRecord> =>
  approvals.create({
    server: 'files',
    tool: 'write_file',
    args,
    principal: 'alice',
    session_id: 's1',
    rules: ['r1'],
    message: 'needs a person',
    revision: 'rev-1',
    timeoutMs,
  } satisfies NewApproval);

describe('admin approval routes', () => {
  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-token-at-all-xxxxxxx'],
  ])('refuses %s with 401', async (_name, token) => {
    const r = await call('GET', '/admin/approvals', { token });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHORIZED');
    const post = await call('POST', '/admin/approvals/x/approve', { token });
    expect(post.status).toBe(401);
  });

  it('lists approvals, filtered by status, and rejects an unknown status', async () => {
    const a = await pending({ n: 'list-a' });
    const b = await pending({ n: 'list-b' });
    await approvals.decide(b.id, 'denied', 'cli', undefined);
    const all = await call('GET', '/admin/approvals');
    expect(all.status).toBe(200);
    const ids = all.body.approvals.map((r: ApprovalRecord) => r.id);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
    const open = await call('GET', '/admin/approvals?status=pending');
    expect(open.body.approvals.map((r: ApprovalRecord) => r.id)).toContain(a.id);
    expect(open.body.approvals.map((r: ApprovalRecord) => r.id)).not.toContain(b.id);
    const bad = await call('GET', '/admin/approvals?status=maybe');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'APPROVAL_INVALID_STATUS' } } });
  });

  it('lists a pending record past its expiry as expired', async () => {
    const r = await pending({ n: 'stale' }, 0); // due the moment it is created
    expect(approvals.get(r.id)?.status).toBe('pending');
    const list = await call('GET', '/admin/approvals?status=expired');
    expect(list.body.approvals.map((x: ApprovalRecord) => x.id)).toContain(r.id);
  });

  it('shows one approval with its arguments, 404 for an unknown id', async () => {
    const r = await pending({ n: 'show' });
    const one = await call('GET', `/admin/approvals/${r.id}`);
    expect(one).toMatchObject({ status: 200, body: { approval: { id: r.id, args: { n: 'show' } } } });
    const none = await call('GET', '/admin/approvals/nope');
    expect(none).toMatchObject({ status: 404, body: { error: { code: 'APPROVAL_NOT_FOUND' } } });
  });

  it('approves with a reason, then answers 409 to a second decision', async () => {
    const r = await pending({ n: 'approve' });
    const ok = await call('POST', `/admin/approvals/${r.id}/approve`, { body: '{"reason":"checked"}' });
    expect(ok).toMatchObject({
      status: 200,
      body: { approval: { status: 'approved', decided_by: 'admin:admin', reason: 'checked' } },
    });
    const again = await call('POST', `/admin/approvals/${r.id}/deny`);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'APPROVAL_ALREADY_DECIDED' } } });
    expect(approvals.get(r.id)?.status).toBe('approved');
  });

  it('denies without a body', async () => {
    const r = await pending({ n: 'deny' });
    const ok = await call('POST', `/admin/approvals/${r.id}/deny`);
    expect(ok).toMatchObject({
      status: 200,
      body: { approval: { status: 'denied', decided_by: 'admin:admin' } },
    });
    expect(ok.body.approval).not.toHaveProperty('reason');
  });

  it('answers 409 for an expired approval, 404 for an unknown one, 400 for a bad body', async () => {
    const r = await pending({ n: 'late' }, 1);
    await approvals.expire(r.id);
    const late = await call('POST', `/admin/approvals/${r.id}/approve`);
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'APPROVAL_EXPIRED' } } });
    const none = await call('POST', '/admin/approvals/nope/approve');
    expect(none).toMatchObject({ status: 404, body: { error: { code: 'APPROVAL_NOT_FOUND' } } });
    const fresh = await pending({ n: 'bad-body' });
    const bad = await call('POST', `/admin/approvals/${fresh.id}/approve`, { body: '{"reason":5}' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'APPROVAL_INVALID_BODY' } } });
    expect(approvals.get(fresh.id)?.status).toBe('pending');
  });

  it('releases a call held by the service when approved over HTTP', async () => {
    let held: (r: ApprovalRecord) => void = () => undefined;
    const waiting = new Promise<ApprovalRecord>((resolve) => (held = resolve));
    const service = createApprovalService({
      store: approvals,
      log: pino({ level: 'silent' }),
      pollMs: 60_000, // the in-process listener, not the poll, must carry the decision
      onPending: held,
    });
    const outcome = service.decide({
      server: 'files',
      tool: 'write_file',
      args: { n: 'held' },
      principal: 'alice',
      sessionId: 's1',
      rules: ['r1'],
      message: 'needs a person',
      revision: 'rev-1',
      timeoutMs: 60_000,
    });
    const { id } = await waiting;
    expect((await call('POST', `/admin/approvals/${id}/approve`)).status).toBe(200);
    expect(await outcome).toEqual({ id, decision: 'approved', by: 'admin:admin' });
    await service.close();
  });
});
