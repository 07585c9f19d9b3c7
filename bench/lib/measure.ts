import { errorMessage } from './errors.js';
import { nsToUs } from './stats.js';

export interface Subject {
  readonly name: string;
  /** One operation to time; `i` numbers the call so each can carry a distinct payload. */
  readonly run: (i: number) => Promise<void>;
}

export interface InterleaveOptions {
  readonly iterations: number;
  readonly warmup: number;
  /** Calls one subject makes before the next takes its turn. */
  readonly blockSize: number;
  /** Checked before every block; when aborted, measuring stops by throwing its reason. */
  readonly signal?: AbortSignal;
}

export interface Series {
  readonly name: string;
  /** Per-call latency in µs, in call order. */
  readonly samplesUs: number[];
  /** Set when a call failed; the subject made no further calls. */
  error?: string;
}

/**
 * Times `iterations` sequential calls of every subject, taking turns in blocks of `blockSize` calls,
 * with the first turn of each round rotating, so that drift on a shared machine (another tenant, a
 * frequency change, GC of the benchmark itself) falls on every subject alike rather than on whichever
 * ran last. Warm-up is interleaved the same way and not recorded. A subject whose call fails drops out
 * with its error; the others go on.
 */
export async function measureInterleaved(
  subjects: readonly Subject[],
  options: InterleaveOptions,
): Promise<Series[]> {
  const entries = subjects.map((subject): Entry => ({
    subject,
    result: { name: subject.name, samplesUs: [] },
  }));
  await runRounds(entries, options.warmup, { ...options, isRecorded: false });
  await runRounds(entries, options.iterations, { ...options, isRecorded: true });
  return entries.map((e) => e.result);
}

interface Entry {
  readonly subject: Subject;
  readonly result: Series;
}

async function runRounds(
  entries: readonly Entry[],
  count: number,
  { blockSize, signal, isRecorded }: InterleaveOptions & { isRecorded: boolean },
) {
  for (let start = 0, round = 0; start < count; start += blockSize, round += 1) {
    const end = Math.min(count, start + blockSize);
    for (let turn = 0; turn < entries.length; turn += 1) {
      const entry = entries[(round + turn) % entries.length]!;
      signal?.throwIfAborted();
      if (entry.result.error === undefined) await runBlock(entry, start, end, isRecorded);
    }
  }
}

async function runBlock({ subject, result }: Entry, start: number, end: number, isRecorded: boolean) {
  let i = start;
  try {
    for (; i < end; i += 1) {
      const begin = process.hrtime.bigint();
      await subject.run(i);
      const elapsed = process.hrtime.bigint() - begin;
      if (isRecorded) result.samplesUs.push(nsToUs(elapsed));
    }
  } catch (err) {
    result.error = `${isRecorded ? 'call' : 'warm-up call'} ${i}: ${errorMessage(err)}`;
  }
}
