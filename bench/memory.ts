import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MemoryStore } from '../src/state/memory.js';
import type { NewVersion } from '../src/state/memory-types.js';
import { openStore, type Store } from '../src/state/store.js';
import type { BenchContext, BenchOutcome, Benchmark } from './lib/benchmark.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { formatNumber, formatTable } from './lib/table.js';

/** Issue 6's targets: versioned writes per second, and the time to revoke a lineage of 10,000 writes. */
const WRITES_TARGET = 20_000;
const REVOKE_TARGET_MS = 100;
const LINEAGE = 10_000;
/** Writes issued at once: lmdb-js batches the transactions of one event turn into one synced commit. */
const CONCURRENCY = 1_000;
const ROUNDS = 5;
const HASH = 'ab'.repeat(32);

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  description: 'memory store: versioned writes/s, reads/s, and the time to revoke a 10k-write lineage',
  run: runMemoryBenchmark,
};

const versionOf = (i: number, extra: Partial<NewVersion> = {}): NewVersion => ({
  namespace: `principal:p${i % 8}`,
  key: `note-${i % 5000}`,
  value: `remembered fact number ${i}: the build server is at 10.0.${i % 256}.1`,
  principal: `p${i % 8}`,
  session: `s${i % 64}`,
  labels: i % 10 === 0 ? ['summary'] : [],
  derived_from: [
    {
      type: 'content',
      kind: 'tool_result',
      server: 'web',
      subject: 'fetch',
      content_hash: (i % 97).toString(16).padStart(64, '0'),
      labels: ['untrusted_content'],
      time: 0,
    },
  ],
  ...extra,
});

/**
 * Wall-clock seconds, and the CPU seconds this process spent meanwhile (the main thread, lmdb-js's
 * write thread and the GC): on a shared machine the second shows what the work costs when the first
 * is inflated by waiting for a core.
 */
interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

/** The round with the median wall time, of ROUNDS. */
async function median(fn: () => Promise<Timing>): Promise<Timing> {
  const rounds: Timing[] = [];
  for (let r = 0; r < ROUNDS; r += 1) rounds.push(await fn());
  return rounds.sort((a, b) => a.wall - b.wall)[Math.floor(ROUNDS / 2)]!;
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

/** Operations per second of wall time and per CPU-second. */
interface Rate {
  readonly perSecond: number;
  readonly perCpuSecond: number;
}

const rateOf = (ops: number, t: Timing): Rate => ({ perSecond: ops / t.wall, perCpuSecond: ops / t.cpu });

interface Figures {
  readonly rawPuts: Rate;
  readonly writes: Rate;
  readonly batchedWrites: Rate;
  readonly sequentialWrites: Rate;
  readonly reads: Rate;
  /** Milliseconds, wall and CPU, of the median round. */
  readonly revoke: Timing;
  readonly dryRun: Timing;
  readonly restore: Timing;
}

async function measure(store: Store, memory: MemoryStore, n: number, signal: AbortSignal): Promise<Figures> {
  // Baseline in the same run: plain LMDB puts of the same records (no versioning, no index), batched alike.
  const raw = store.root.openDB<unknown, number>({ name: 'bench.raw', keyEncoding: 'uint32' });
  let rawKey = 0;
  const rawPuts = await median(() =>
    timed(async () => {
      for (let b = 0; b < n; b += CONCURRENCY) {
        await Promise.all(Array.from({ length: CONCURRENCY }, (_, j) => raw.put(++rawKey, versionOf(b + j))));
      }
      await store.root.flushed;
    }),
  );
  signal.throwIfAborted();
  let i = 0;
  const concurrent = await median(() =>
    timed(async () => {
      for (let b = 0; b < n; b += CONCURRENCY) {
        await Promise.all(Array.from({ length: CONCURRENCY }, () => memory.write(versionOf(i++))));
      }
    }),
  );
  const batched = await median(() =>
    timed(async () => {
      for (let b = 0; b < n; b += CONCURRENCY) {
        await memory.writeMany(Array.from({ length: CONCURRENCY }, () => versionOf(i++)));
      }
    }),
  );
  const SEQUENTIAL = 200;
  const sequential = await median(() =>
    timed(async () => {
      for (let k = 0; k < SEQUENTIAL; k += 1) await memory.write(versionOf(i++));
    }),
  );
  signal.throwIfAborted();
  const READS = 100_000;
  const reads = await median(() =>
    timed(() => {
      let found = 0;
      for (let k = 0; k < READS; k += 1)
        if (memory.get(`principal:p${k % 8}`, `note-${k % 5000}`)) found += 1;
      if (found === 0) throw new Error('reads found nothing');
      return Promise.resolve();
    }),
  );
  signal.throwIfAborted();
  const lineage = await writeLineage(memory);
  const revoke = await revokeRounds(memory, lineage);
  return {
    rawPuts: rateOf(n, rawPuts),
    writes: rateOf(n, concurrent),
    batchedWrites: rateOf(n, batched),
    sequentialWrites: rateOf(SEQUENTIAL, sequential),
    reads: rateOf(READS, reads),
    ...revoke,
  };
}

/** A chain of LINEAGE versions: the first from a poisoned page, each next one derived from the one before. */
async function writeLineage(memory: MemoryStore): Promise<number[]> {
  const ids: number[] = [];
  const first = await memory.write(
    versionOf(0, {
      namespace: 'lineage',
      key: 'root',
      derived_from: [
        {
          type: 'content',
          kind: 'resource',
          server: 'web',
          subject: 'page',
          content_hash: HASH,
          labels: [],
          time: 0,
        },
      ],
    }),
  );
  ids.push(first.id);
  for (let b = 1; b < LINEAGE; b += CONCURRENCY) {
    // Within a batch each version names the previous id; ids are dense inside one transaction.
    const base = ids[ids.length - 1]!;
    const size = Math.min(CONCURRENCY, LINEAGE - b);
    const written = await memory.writeMany(
      Array.from({ length: size }, (_, j) =>
        versionOf(b + j, {
          namespace: 'lineage',
          key: `step-${b + j}`,
          derived_from: [{ type: 'memory', id: base + j }],
        }),
      ),
    );
    ids.push(...written.map((v) => v.id));
  }
  return ids;
}

async function revokeRounds(
  memory: MemoryStore,
  lineage: readonly number[],
): Promise<{ revoke: Timing; dryRun: Timing; restore: Timing }> {
  const rounds: { revoke: Timing; dryRun: Timing; restore: Timing }[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    let dry: Awaited<ReturnType<MemoryStore['revoke']>> | undefined;
    let real: Awaited<ReturnType<MemoryStore['revoke']>> | undefined;
    const dryRun = await timed(
      async () => (dry = await memory.revoke({ content_hash: HASH }, { by: 'bench', dryRun: true })),
    );
    const revoke = await timed(
      async () => (real = await memory.revoke({ content_hash: HASH }, { by: 'bench' })),
    );
    if (
      !dry?.ok ||
      !real?.ok ||
      real.versions.length !== lineage.length ||
      real.changed.length !== lineage.length
    ) {
      throw new Error(
        `revoke covered ${real?.ok ? real.versions.length : 0} versions, not ${lineage.length}`,
      );
    }
    const rid = real.revocation?.id ?? 0;
    let released = 0;
    const restore = await timed(async () => {
      const out = await memory.restore(rid, { by: 'bench' });
      released = out.ok ? out.changed.length : 0;
    });
    if (released !== lineage.length) throw new Error('restore did not release the lineage');
    rounds.push({ revoke, dryRun, restore });
  }
  const mid = (pick: (x: (typeof rounds)[number]) => Timing) =>
    rounds.map(pick).sort((a, b) => a.wall - b.wall)[Math.floor(ROUNDS / 2)]!;
  return { revoke: mid((x) => x.revoke), dryRun: mid((x) => x.dryRun), restore: mid((x) => x.restore) };
}

async function runMemoryBenchmark({ options, cleanup, signal }: BenchContext): Promise<BenchOutcome> {
  const machine = machineInfo();
  const date = new Date().toISOString();
  const dir = mkdtempSync(path.join(tmpdir(), 'agentwall-bench-memory-'));
  cleanup.defer('memory bench data dir', () => rmSync(dir, { recursive: true, force: true }));
  const store = openStore(dir);
  cleanup.defer('memory bench store', () => store.close());
  const memory = new MemoryStore(store.root);
  // --iterations scales the write rounds: 20 × iterations writes per round (20,000 by default).
  const n = Math.max(CONCURRENCY, Math.ceil((options.iterations * 20) / CONCURRENCY) * CONCURRENCY);
  console.log(`memory benchmark — ${date}\n${describeMachine(machine)}`);
  console.log(
    `LMDB at ${dir} (durable: every commit flushed); ${n} writes per round, ${CONCURRENCY} in flight; ` +
      `median of ${ROUNDS} rounds; lineage of ${LINEAGE}`,
  );
  const f = await measure(store, memory, n, signal);
  printReport(f);
  const file = await writeResults('memory', {
    benchmark: 'memory',
    date,
    machine,
    options: { ...options, writesPerRound: n, concurrency: CONCURRENCY, rounds: ROUNDS, lineage: LINEAGE },
    figures: f,
    targets: { writesPerSecond: WRITES_TARGET, revokeMs: REVOKE_TARGET_MS },
    verdicts: {
      writes: f.writes.perSecond >= WRITES_TARGET ? 'PASS' : 'MISS',
      revoke: f.revoke.wall * 1000 <= REVOKE_TARGET_MS ? 'PASS' : 'MISS',
    },
  });
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
  return { ok: true };
}

function printReport(f: Figures): void {
  const right = { align: 'right' as const };
  const rate = (label: string, r: Rate, target: string, verdict: string) => [
    label,
    formatNumber(r.perSecond, 0),
    formatNumber(r.perCpuSecond, 0),
    formatNumber(r.perSecond / f.rawPuts.perSecond, 2),
    target,
    verdict,
  ];
  const writesOk = f.writes.perSecond >= WRITES_TARGET;
  console.log(
    `\n${formatTable(
      [
        { header: 'operation' },
        { header: 'per second', ...right },
        { header: 'per CPU-second', ...right },
        { header: '× raw put', ...right },
        { header: 'target' },
        { header: 'result' },
      ],
      [
        rate('raw LMDB put (baseline, same records)', f.rawPuts, '', 'INFO'),
        rate(
          `versioned write, ${CONCURRENCY} in flight`,
          f.writes,
          `≥ ${WRITES_TARGET} (${formatNumber(f.writes.perSecond / WRITES_TARGET, 2)}× target)`,
          writesOk ? 'PASS' : 'MISS',
        ),
        rate(`versioned writeMany(${CONCURRENCY})`, f.batchedWrites, '', 'INFO'),
        rate('versioned write, one at a time (latency-bound)', f.sequentialWrites, '', 'INFO'),
        rate('read (newest visible version)', f.reads, '', 'INFO'),
      ],
    )}\n`,
  );
  const ms = (t: Timing) => [formatNumber(t.wall * 1000, 1), formatNumber(t.cpu * 1000, 1)];
  const revokeMs = f.revoke.wall * 1000;
  console.log(
    formatTable(
      [
        { header: `lineage of ${LINEAGE}` },
        { header: 'ms', ...right },
        { header: 'CPU ms', ...right },
        { header: 'target' },
        { header: 'result' },
      ],
      [
        [
          'revoke by source hash, cascading',
          ...ms(f.revoke),
          `≤ ${REVOKE_TARGET_MS} ms (${formatNumber(revokeMs / REVOKE_TARGET_MS, 2)}× target)`,
          revokeMs <= REVOKE_TARGET_MS ? 'PASS' : 'MISS',
        ],
        ['dry run of the same', ...ms(f.dryRun), '', 'INFO'],
        ['restore', ...ms(f.restore), '', 'INFO'],
      ],
    ),
  );
}
