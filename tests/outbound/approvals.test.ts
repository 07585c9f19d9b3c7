import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApprovalRequest, ApprovalService, AskClient } from '../../src/outbound/approval-types.js';
import { createApprovalService } from '../../src/outbound/approvals.js';
import { ApprovalStore, callHash, type ApprovalRecord } from '../../src/state/approvals.js';
import { openStore, type Store } from '../../src/state/store.js';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
const stores: Store[] = [];
const services: ApprovalService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A service on a fresh data dir; `pending()` resolves with the next record that starts waiting. */
function setup(pollMs = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'agentwall-approval-svc-'));
  dirs.push(dir);
  const store = openStore(dir);
  stores.push(store);
  const approvals = new ApprovalStore(store.root);
  const waiting: ((r: ApprovalRecord) => void)[] = [];
  const service = createApprovalService({
    store: approvals,
    log,
    pollMs,
    onPending: (r) => waiting.shift()?.(r),
  });
  services.push(service);
  const pending = () => new Promise<ApprovalRecord>((resolve) => waiting.push(resolve));
  return { dir, store, approvals, service, pending };
}

const request = (
  args: Record<string, unknown> = { path: '/tmp/x' },
  timeoutMs = 60_000,
): ApprovalRequest => ({
  server: 'files',
  tool: 'write_file',
  args,
  principal: 'alice',
  sessionId: 's1',
  rules: ['writes-need-approval'],
  message: 'writes need a person',
  revision: 'rev-7',
  timeoutMs,
});

describe('ApprovalService', () => {
  it('holds a call until it is approved (same-process decision, heard without polling)', async () => {
    const { approvals, service, pending } = setup();
    const held = pending();
    const outcome = service.decide(request());
    const record = await held;
    expect(approvals.get(record.id)).toMatchObject({
      status: 'pending',
      revision: 'rev-7',
      call_hash: callHash({ server: 'files', tool: 'write_file', args: { path: '/tmp/x' } }),
    });
    await approvals.decide(record.id, 'approved', 'admin:bob', 'ok');
    expect(await outcome).toEqual({ id: record.id, decision: 'approved', by: 'admin:bob', reason: 'ok' });
  });

  it('holds a call until it is denied', async () => {
    const { approvals, service, pending } = setup();
    const held = pending();
    const outcome = service.decide(request());
    await approvals.decide((await held).id, 'denied', 'admin:bob', 'no');
    expect(await outcome).toMatchObject({ decision: 'denied', by: 'admin:bob', reason: 'no' });
  });

  it('expires the call when nobody decides in time, and records it', async () => {
    const { approvals, service } = setup();
    const outcome = await service.decide(request(undefined, 50));
    expect(outcome.decision).toBe('expired');
    expect(outcome).not.toHaveProperty('by');
    expect(approvals.get(outcome.id)?.status).toBe('expired');
    expect(await approvals.decide(outcome.id, 'approved', 'cli', undefined)).toMatchObject({
      code: 'expired',
    });
  });

  it('sees a decision made by another process on the same data file', async () => {
    const { dir, approvals, service, pending } = setup(50);
    const held = pending();
    const outcome = service.decide(request());
    const { id } = await held;
    const worker = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'decide-worker.ts'), dir, 'approve', id],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exitCode = await new Promise<number | null>((resolve) => worker.on('exit', resolve));
    expect(exitCode).toBe(0);
    expect(await outcome).toEqual({ id, decision: 'approved', by: 'cli:worker' });
    expect(approvals.get(id)?.decided_by).toBe('cli:worker');
  });

  it('approves through elicitation and records who answered', async () => {
    const { approvals, service } = setup();
    const asked: string[] = [];
    const ask: AskClient = (message) => {
      asked.push(message);
      return Promise.resolve('approved');
    };
    const outcome = await service.decide(request(), ask);
    expect(outcome).toMatchObject({ decision: 'approved', by: 'elicitation:alice' });
    expect(approvals.get(outcome.id)).toMatchObject({ status: 'approved', decided_by: 'elicitation:alice' });
    expect(asked[0]).toContain('writes need a person');
    expect(asked[0]).toContain('files / write_file with {"path":"/tmp/x"}');
    expect(asked[0]).toContain(outcome.id);
  });

  it('denies through elicitation', async () => {
    const { service } = setup();
    const outcome = await service.decide(request(), () => Promise.resolve('denied'));
    expect(outcome).toMatchObject({ decision: 'denied', by: 'elicitation:alice' });
  });

  it.each([
    ['declines to answer', () => Promise.resolve(undefined)],
    ['fails', () => Promise.reject(new Error('client went away'))],
  ] as const)('keeps waiting on the other channels when the client %s', async (_name, ask) => {
    const { approvals, service, pending } = setup();
    const held = pending();
    const outcome = service.decide(request(), ask);
    const { id } = await held;
    await approvals.decide(id, 'denied', 'admin:bob', undefined);
    expect(await outcome).toMatchObject({ decision: 'denied', by: 'admin:bob' });
  });

  it('withdraws the question put to the client once an admin decides', async () => {
    const { approvals, service, pending } = setup();
    let asked: AbortSignal | undefined;
    const withdrawn = new Promise<void>((resolve) => {
      void service.decide(request(), (_message, signal) => {
        asked = signal;
        signal.addEventListener('abort', () => resolve());
        return new Promise(() => undefined); // the person never answers
      });
    });
    const { id } = await pending();
    expect(asked?.aborted).toBe(false);
    await approvals.decide(id, 'approved', 'admin:bob', undefined);
    await withdrawn;
    expect(asked?.aborted).toBe(true);
  });

  it('keeps the first decision when elicitation answers after the admin', async () => {
    const { approvals, service, pending } = setup();
    let answer: (a: 'approved') => void = () => undefined;
    const late = new Promise<'approved'>((resolve) => (answer = resolve));
    const held = pending();
    const outcome = service.decide(request(), () => late);
    const { id } = await held;
    await approvals.decide(id, 'denied', 'admin:bob', undefined);
    expect(await outcome).toMatchObject({ decision: 'denied', by: 'admin:bob' });
    answer('approved');
    await late;
    expect(approvals.get(id)).toMatchObject({ status: 'denied', decided_by: 'admin:bob' });
  });

  it('an approval covers its own call only: a different call, or the same call again, waits anew', async () => {
    const { approvals, service, pending } = setup();
    const firstHeld = pending();
    const first = service.decide(request({ path: '/tmp/x' }));
    const a = await firstHeld;
    await approvals.decide(a.id, 'approved', 'admin:bob', undefined);
    expect((await first).decision).toBe('approved');

    for (const args of [{ path: '/etc/shadow' }, { path: '/tmp/x' }]) {
      const held = pending();
      const next = service.decide(request(args, 50));
      const b = await held;
      expect(b.id).not.toBe(a.id);
      expect(b.status).toBe('pending');
      expect(b.call_hash === a.call_hash).toBe(args.path === '/tmp/x');
      expect(await next).toMatchObject({ id: b.id, decision: 'expired' });
    }
    expect(approvals.get(a.id)?.status).toBe('approved');
  });

  it('releases nothing when the decided record no longer matches the held call', async () => {
    const { store, service, pending } = setup(20);
    const held = pending();
    const outcome = service.decide(request());
    const record = await held;
    // Written behind agentwall's back, as someone with file access could: approve a different call.
    const raw = store.root.openDB<ApprovalRecord, string>({ name: 'approvals' });
    await raw.put(record.id, { ...record, status: 'approved', call_hash: '0'.repeat(64), decided_by: 'x' });
    expect(await outcome).toMatchObject({ decision: 'denied', reason: expect.stringContaining('not match') });
  });

  it('refuses held calls on close but leaves their records pending and decidable', async () => {
    const { dir, store, service, pending } = setup();
    const held = pending();
    const outcome = service.decide(request());
    const { id } = await held;
    await service.close();
    expect(await outcome).toMatchObject({ id, decision: 'expired' });
    await store.close();
    stores.splice(stores.indexOf(store), 1);
    const reopened = openStore(dir);
    stores.push(reopened);
    const approvals = new ApprovalStore(reopened.root);
    expect(approvals.get(id)?.status).toBe('pending');
    expect(await approvals.decide(id, 'approved', 'cli', undefined)).toMatchObject({ ok: true });
    await expect(service.decide(request())).rejects.toThrow('closed');
  });
});
