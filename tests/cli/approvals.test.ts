import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApprovalCommands } from '../../src/cli/approvals.js';
import { ApprovalStore, type ApprovalRecord } from '../../src/state/approvals.js';
import { openStore, type Store } from '../../src/state/store.js';

let dir: string;
let store: Store;
let approvals: ApprovalStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentwall-cli-approvals-'));
  store = openStore(dir);
  approvals = new ApprovalStore(store.root);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `agentwall approvals …` as main.ts wires it, against the test's data dir. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command('agentwall')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s.trimEnd()), writeErr: (s) => err.push(s.trimEnd()) });
  registerApprovalCommands(program, {
    openStore: (flags) => Promise.resolve(openStore(flags.dataDir ?? '')),
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    exit: (c) => (code = c),
    user: 'tester',
  });
  try {
    await program.parseAsync(['approvals', ...args, '--data-dir', dir], { from: 'user' });
  } catch (e) {
    code = (e as { exitCode?: number }).exitCode ?? 1;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const pending = (args: Record<string, unknown>, timeoutMs = 60_000): Promise<ApprovalRecord> =>
  approvals.create({
    server: 'files',
    tool: 'write_file',
    args,
    principal: 'alice',
    session_id: 's1',
    rules: ['writes-need-approval'],
    message: 'needs a person',
    revision: 'rev-1',
    timeoutMs,
  });

describe('agentwall approvals', () => {
  it('says so when there is nothing to list', async () => {
    expect(await run(['list'])).toMatchObject({ code: 0, out: 'no approvals' });
  });

  it('lists approvals as a table, filtered by --status', async () => {
    const a = await pending({ n: 1 });
    const b = await pending({ n: 2 });
    await approvals.decide(b.id, 'denied', 'admin:bob', undefined);
    const all = await run(['list']);
    expect(all.code).toBe(0);
    const lines = all.out.split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+STATUS\s+SERVER\/TOOL\s+PRINCIPAL\s+RULES\s+CREATED\s+EXPIRES\s+DECIDED BY$/,
    );
    expect(all.out).toMatch(
      new RegExp(`${a.id}\\s+pending\\s+files/write_file\\s+alice\\s+writes-need-approval`),
    );
    expect(all.out).toMatch(new RegExp(`${b.id}\\s+denied .*admin:bob$`, 'm'));
    const open = await run(['list', '--status', 'pending']);
    expect(open.out).toContain(a.id);
    expect(open.out).not.toContain(b.id);
    const bad = await run(['list', '--status', 'maybe']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('must be one of pending, approved, denied, expired');
  });

  it('shows one approval with its arguments', async () => {
    const r = await pending({ path: '/etc/hosts' });
    const shown = await run(['show', r.id]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out)).toMatchObject({ id: r.id, args: { path: '/etc/hosts' } });
    expect(await run(['show', 'nope'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('APPROVAL_NOT_FOUND'),
    });
  });

  it('approves with a reason, and refuses a second decision with exit status 1', async () => {
    const r = await pending({ n: 3 });
    const ok = await run(['approve', r.id, '--reason', 'looked at it']);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`${r.id} approved: files / write_file for alice (by cli:tester)`);
    expect(approvals.get(r.id)).toMatchObject({
      status: 'approved',
      decided_by: 'cli:tester',
      reason: 'looked at it',
    });
    const again = await run(['deny', r.id]);
    expect(again.code).toBe(1);
    expect(again.err).toContain(
      `APPROVAL_ALREADY_DECIDED: approval ${r.id} was already approved by cli:tester`,
    );
  });

  it('denies, and reports unknown and expired approvals with exit status 1', async () => {
    const r = await pending({ n: 4 });
    expect((await run(['deny', r.id])).code).toBe(0);
    expect(approvals.get(r.id)?.status).toBe('denied');
    const none = await run(['approve', 'nope']);
    expect(none).toMatchObject({
      code: 1,
      err: expect.stringContaining('APPROVAL_NOT_FOUND: no approval nope'),
    });
    const stale = await pending({ n: 5 }, 0);
    const late = await run(['approve', stale.id]);
    expect(late).toMatchObject({ code: 1, err: expect.stringContaining('APPROVAL_EXPIRED') });
  });
});
