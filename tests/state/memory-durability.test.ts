// Durability and concurrency of the memory store with real processes: a writer killed with SIGKILL
// under load loses no acknowledged write, and two processes writing one data file lose nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linesOf } from '../helpers/child.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { MemoryStore } from '../../src/state/memory.js';
import { openStore, type Store } from '../../src/state/store.js';

const WORKER = join(import.meta.dirname, 'memory-worker.ts');
const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentwall-memory-durable-'));
  dirs.push(dir);
  return dir;
}

interface Ack {
  readonly id: number;
  readonly key: string;
  readonly seq: number;
  readonly value: string;
}

function parseAck(line: string): Ack | undefined {
  const m = /^ack (\d+) (\S+) (\d+) (.*)$/.exec(line);
  return m ? { id: Number(m[1]), key: m[2] ?? '', seq: Number(m[3]), value: m[4] ?? '' } : undefined;
}

function worker(dir: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, dir, ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout = linesOf(child.stdout);
  const stderr = linesOf(child.stderr);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout, stderr, exited };
}

function reopen(dir: string): MemoryStore {
  const store = openStore(dir);
  stores.push(store);
  return new MemoryStore(store.root);
}

function expectAllThere(memory: MemoryStore, acks: readonly Ack[]): void {
  const missing = acks.filter((a) => {
    const v = memory.version(a.id);
    return v?.key !== a.key || v.seq !== a.seq || v.value !== a.value;
  });
  expect(missing).toEqual([]);
}

describe('memory store durability', () => {
  it('keeps every acknowledged write when the writer is killed with SIGKILL under load', async () => {
    const dir = tempDir();
    const w = worker(dir, ['load', 'k']);
    // Kill it once it has acknowledged a good number of writes, with 64 more in flight.
    await w.stdout.waitFor((line) => (parseAck(line)?.id ?? 0) >= 2000, { timeoutMs: 60_000 });
    w.child.kill('SIGKILL');
    const { signal } = await w.exited;
    expect(signal).toBe('SIGKILL');
    const acks = w.stdout.entries.flatMap((l) => parseAck(l) ?? []);
    expect(acks.length).toBeGreaterThanOrEqual(2000);

    const memory = reopen(dir);
    expectAllThere(memory, acks);
    const check = memory.verify();
    expect(check.problems).toEqual([]);
    expect(check.versions).toBeGreaterThanOrEqual(acks.length);
    // Each item's versions are numbered 1…n without a gap.
    for (const key of new Set(acks.map((a) => a.key))) {
      const seqs = memory.history('shared', key).map((v) => v.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs.length - i));
    }
    // And the store takes writes again.
    const after = await memory.write({
      namespace: 'shared',
      key: 'k-0',
      value: 'after',
      principal: 'p',
      session: 's',
    });
    expect(after.id).toBeGreaterThan(Math.max(...acks.map((a) => a.id)));
  });

  it('loses no write when two processes write one data file at once', async () => {
    const dir = tempDir();
    const a = worker(dir, ['count', 'a', '600']);
    const b = worker(dir, ['count', 'b', '600']);
    await Promise.all([a, b].map((w) => w.stdout.waitFor((l) => l === 'ready', { timeoutMs: 30_000 })));
    for (const w of [a, b]) w.child.stdin?.end('go\n');
    const [ea, eb] = await Promise.all([a.exited, b.exited]);
    expect([ea.code, eb.code], [...a.stderr.entries, ...b.stderr.entries].join('\n')).toEqual([0, 0]);
    const acks = [...a.stdout.entries, ...b.stdout.entries].flatMap((l) => parseAck(l) ?? []);
    expect(acks).toHaveLength(1200);
    expect(new Set(acks.map((x) => x.id)).size).toBe(1200);
    // The two really wrote at the same time: their ids interleave.
    const ids = (w: typeof a) => w.stdout.entries.flatMap((l) => parseAck(l)?.id ?? []);
    expect(Math.min(...ids(b))).toBeLessThan(Math.max(...ids(a)));
    expect(Math.min(...ids(a))).toBeLessThan(Math.max(...ids(b)));
    const memory = reopen(dir);
    expectAllThere(memory, acks);
    expect(memory.verify()).toMatchObject({ ok: true, versions: 1200 });
    // Per key, the two processes never gave two versions the same number.
    for (const key of new Set(acks.map((x) => x.key))) {
      const seqs = memory.history('shared', key).map((v) => v.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
    }
  });
});
