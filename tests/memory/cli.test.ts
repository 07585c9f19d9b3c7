// `agentwall memory …` in-process on a data dir of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/state/memory.js';
import { openStore } from '../../src/state/store.js';
import { runMain } from '../helpers/cli.js';

const HASH = 'ab'.repeat(32);
let dir: string;
let ids: { clean: number; tainted: number; derived: number };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentwall-memory-cli-'));
  const store = openStore(dir);
  const m = new MemoryStore(store.root);
  const at = Date.parse('2026-01-01T00:00:00Z');
  const clean = await m.write({
    namespace: 'principal:a',
    key: 'clean',
    value: 'line one\nline two',
    principal: 'a',
    session: 's1',
    time: at,
  });
  await m.write({
    namespace: 'principal:a',
    key: 'clean',
    value: 'line one\nline 2',
    principal: 'a',
    session: 's1',
    time: at + 1000,
  });
  const tainted = await m.write({
    namespace: 'principal:a',
    key: 'tainted',
    value: 'from the page',
    principal: 'a',
    session: 's1',
    time: at + 2000,
    derived_from: [
      {
        type: 'content',
        kind: 'resource',
        server: 'web',
        subject: 'https://evil.example/x',
        content_hash: HASH,
        url: 'https://evil.example/x',
        labels: ['untrusted_content'],
        time: at,
      },
    ],
  });
  const derived = await m.write({
    namespace: 'team',
    key: 'derived',
    value: 'summary',
    principal: 'b',
    session: 's2',
    time: at + 3000,
    derived_from: [{ type: 'memory', id: tainted.id }],
  });
  ids = { clean: clean.id, tainted: tainted.id, derived: derived.id };
  await store.close();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => runMain(['memory', ...args, '--data-dir', dir]);

describe('agentwall memory', () => {
  it('lists namespaces and keys, gets and shows history with provenance', async () => {
    expect((await run('list')).out).toMatch(/^principal:a {2}3 versions.*\nteam {2}1 versions/);
    expect((await run('list', '--namespace', 'principal:a')).out).toMatch(
      /^clean {2}#2 .*line one line 2\ntainted {2}#1/,
    );
    const got = await run('get', 'principal:a', 'tainted');
    expect(got.code).toBe(0);
    expect(got.out).toContain(`derived from resource web/https://evil.example/x sha256:${HASH.slice(0, 16)}`);
    const history = await run('history', 'principal:a', 'clean', '--json');
    expect((JSON.parse(history.out) as { seq: number }[]).map((v) => v.seq)).toEqual([2, 1]);
    expect((await run('get', 'principal:a', 'nothing')).code).toBe(1);
  });

  it('diffs two versions of an item', async () => {
    const r = await run('diff', 'principal:a', 'clean');
    expect(r.code).toBe(0);
    expect(r.out).toContain('-  "line two"');
    expect(r.out).toContain('+  "line 2"');
  });

  it('revoke --dry-run prints exactly what revoke then does; restore undoes it', async () => {
    const dry = await run('revoke', '--url', 'https://evil.example/*', '--dry-run');
    expect(dry.code, dry.err).toBe(0);
    const real = await run('revoke', '--url', 'https://evil.example/*', '--reason', 'poisoned');
    const lines = (out: string) => out.split('\n').filter((l) => l.startsWith('*'));
    expect(lines(dry.out)).toEqual(lines(real.out));
    expect(lines(real.out).map((l) => Number(l.slice(2).split(' ')[0]))).toEqual([ids.tainted, ids.derived]);
    expect(dry.out).toMatch(/dry run: would revoke 2 \(2 versions, 0 external writes\); 2 change status/);
    expect(real.out).toMatch(/revoked 2 .*\[revocation 1; undo with: agentwall memory restore 1\]/);
    expect((await run('get', 'team', 'derived')).code).toBe(1);
    expect((await run('revocations')).out).toMatch(/^1 {2}revoke by cli:.*2 versions.*"poisoned"/);
    const restored = await run('restore', '1');
    expect(restored.out).toMatch(/restored 2 .*2 change status/);
    expect((await run('get', 'team', 'derived')).code).toBe(0);
    expect((await run('restore', '1')).err).toMatch(/already_restored/);
  });

  it('rolls a namespace back to a time, and refuses a revoke without criteria', async () => {
    const r = await run('rollback', '--namespace', 'principal:a', '--to', '2026-01-01T00:00:00.500Z');
    expect(r.out).toMatch(/rolled back 2 \(2 versions/);
    expect((await run('get', 'principal:a', 'clean')).out).toContain('#1');
    expect((await run('get', 'team', 'derived')).code).toBe(0); // rollback does not cascade unless asked
    const none = await run('revoke');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no_criteria/);
  });
});
