import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApprovalStore, callHash, type NewApproval } from '../../src/state/approvals.js';
import { openStore, type Store } from '../../src/state/store.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir?: string): { dir: string; store: Store; approvals: ApprovalStore } {
  const at = dir ?? mkdtempSync(join(tmpdir(), 'agentwall-approvals-'));
  if (dir === undefined) dirs.push(at);
  const store = openStore(at);
  stores.push(store);
  return { dir: at, store, approvals: new ApprovalStore(store.root) };
}

const T0 = 1_700_000_000_000;

const call = (args: Record<string, unknown> = { path: '/etc/passwd' }, timeoutMs = 60_000): NewApproval => ({
  server: 'files',
  tool: 'write_file',
  args,
  principal: 'alice',
  session_id: 's1',
  rules: ['destructive-needs-approval'],
  message: 'destructive tool',
  revision: 'rev-1',
  timeoutMs,
});

describe('callHash', () => {
  it('is the same for the same call whatever the key order (RFC 8785), different otherwise', () => {
    const a = callHash({ server: 's', tool: 't', args: { a: 1, b: [1, 2], c: { x: 1, y: 2 } } });
    const b = callHash({ server: 's', tool: 't', args: { c: { y: 2, x: 1 }, b: [1, 2], a: 1 } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(callHash({ server: 's', tool: 't', args: { a: 2, b: [1, 2], c: { x: 1, y: 2 } } })).not.toBe(a);
    expect(callHash({ server: 's', tool: 'u', args: { a: 1, b: [1, 2], c: { x: 1, y: 2 } } })).not.toBe(a);
  });
});

describe('ApprovalStore', () => {
  it('creates a pending record bound to the call hash, the revision and an expiry', async () => {
    const { approvals } = open();
    const r = await approvals.create(call(), T0);
    expect(r).toMatchObject({
      status: 'pending',
      server: 'files',
      tool: 'write_file',
      principal: 'alice',
      session_id: 's1',
      revision: 'rev-1',
      created_at: T0,
      expires_at: T0 + 60_000,
      call_hash: callHash({ server: 'files', tool: 'write_file', args: { path: '/etc/passwd' } }),
    });
    expect(r).not.toHaveProperty('timeoutMs');
    expect(approvals.get(r.id)).toEqual(r);
  });

  it.each([
    ['approved', 'looks fine'],
    ['denied', 'not today'],
  ] as const)('decides a pending record as %s, once', async (decision, reason) => {
    const { approvals } = open();
    const r = await approvals.create(call(), T0);
    const first = await approvals.decide(r.id, decision, 'admin:bob', reason, T0 + 1);
    expect(first).toEqual({
      ok: true,
      record: { ...r, status: decision, decided_at: T0 + 1, decided_by: 'admin:bob', reason },
    });
    expect(approvals.get(r.id)?.status).toBe(decision);
    const again = await approvals.decide(r.id, 'approved', 'admin:eve', undefined, T0 + 2);
    expect(again).toMatchObject({ ok: false, code: 'already_decided' });
    expect(!again.ok && again.message).toContain('admin:bob');
    expect(approvals.get(r.id)?.decided_by).toBe('admin:bob');
  });

  it('reports an unknown id as not_found', async () => {
    const { approvals } = open();
    expect(await approvals.decide('nope', 'approved', 'cli', undefined)).toMatchObject({
      ok: false,
      code: 'not_found',
    });
  });

  it('refuses to decide a record past its expiry, and marks it expired', async () => {
    const { approvals } = open();
    const r = await approvals.create(call(undefined, 1000), T0);
    const late = await approvals.decide(r.id, 'approved', 'cli', undefined, T0 + 1000);
    expect(late).toMatchObject({ ok: false, code: 'expired', record: { status: 'expired' } });
    expect(approvals.get(r.id)).toMatchObject({ status: 'expired', decided_at: T0 + 1000 });
    expect(approvals.get(r.id)).not.toHaveProperty('decided_by');
    expect(await approvals.decide(r.id, 'denied', 'cli', undefined, T0)).toMatchObject({ code: 'expired' });
  });

  it('expires one record on request, and never one already decided', async () => {
    const { approvals } = open();
    const a = await approvals.create(call(), T0);
    const b = await approvals.create(call(), T0);
    await approvals.decide(b.id, 'approved', 'cli', undefined, T0 + 1);
    expect(await approvals.expire(a.id, T0 + 2)).toMatchObject({ ok: true, record: { status: 'expired' } });
    expect(await approvals.expire(b.id, T0 + 2)).toMatchObject({ ok: false, code: 'already_decided' });
    expect(approvals.get(b.id)?.status).toBe('approved');
  });

  it('expireDue marks only pending records whose expiry has passed', async () => {
    const { approvals } = open();
    const soon = await approvals.create(call({ n: 1 }, 10), T0);
    const later = await approvals.create(call({ n: 2 }, 10_000), T0);
    const decided = await approvals.create(call({ n: 3 }, 10), T0);
    await approvals.decide(decided.id, 'denied', 'cli', undefined, T0 + 1);
    const expired = await approvals.expireDue(T0 + 10);
    expect(expired.map((r) => r.id)).toEqual([soon.id]);
    expect(approvals.get(later.id)?.status).toBe('pending');
    expect(approvals.get(decided.id)?.status).toBe('denied');
  });

  it('lists oldest first, optionally by status', async () => {
    const { approvals } = open();
    const b = await approvals.create(call({ n: 2 }), T0 + 5);
    const a = await approvals.create(call({ n: 1 }), T0);
    await approvals.decide(b.id, 'approved', 'cli', undefined, T0 + 6);
    expect(approvals.list().map((r) => r.id)).toEqual([a.id, b.id]);
    expect(approvals.list({ status: 'pending' }).map((r) => r.id)).toEqual([a.id]);
    expect(approvals.list({ status: 'approved' }).map((r) => r.id)).toEqual([b.id]);
    expect(approvals.list({ status: 'denied' })).toEqual([]);
  });

  it('tells listeners of the records this instance changes', async () => {
    const { approvals } = open();
    const r = await approvals.create(call());
    const heard: string[] = [];
    const stop = approvals.watch(r.id, (rec) => heard.push(rec.status));
    await approvals.decide(r.id, 'denied', 'cli', undefined);
    stop();
    expect(heard).toEqual(['denied']);
  });

  it('keeps a pending record pending, and decidable, after the store is reopened', async () => {
    const first = open();
    const r = await first.approvals.create(call());
    await first.store.close();
    stores.splice(stores.indexOf(first.store), 1);
    const second = open(first.dir);
    expect(second.approvals.get(r.id)).toEqual(r);
    expect(await second.approvals.decide(r.id, 'approved', 'cli', 'after restart')).toMatchObject({
      ok: true,
      record: { status: 'approved', reason: 'after restart' },
    });
  });
});
