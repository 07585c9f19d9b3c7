import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { createBagger, type Bag } from '../src/ml/bag.js';
import { benignPool } from '../src/ml/benign-pool.js';
import { createFeaturiser, normaliseText, type FeaturiserOptions } from '../src/ml/features.js';
import { modelPaths, readCard } from '../src/ml/model-files.js';
import { activate, bagMean, logits } from '../src/ml/model.js';
import { exportHeadOnnx, importOnnx } from '../src/ml/onnx-export.js';
import { buildBatch, createOnnxScorer } from '../src/ml/onnx-session.js';
import { seededRandom } from '../src/ml/prng.js';
import { loadShippedScorer } from '../src/ml/scorer.js';
import type { BenchContext, BenchOutcome, Benchmark } from './lib/benchmark.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { measureInterleaved } from './lib/measure.js';
import { repoRoot } from './lib/paths.js';
import { writeResults } from './lib/results.js';
import { summarize, type Summary } from './lib/stats.js';
import { formatNumber, formatTable } from './lib/table.js';

/** Issue 4's targets: scored MB/s per core end to end, and p50 µs for one 200-character text. */
const MBPS_TARGET = 20;
const P50_TARGET_US = 50;
const BATCH = 32;
const TOOL_OUTPUTS = 1000;
const ROUNDS = 3;
/** Latency samples per subject = iterations × this (in-process calls take tens of µs). */
const SAMPLE_FACTOR = 5;
const BLOCK_SIZE = 100;

export const mlBenchmark: Benchmark = {
  name: 'ml',
  description:
    'injection model: MB/s and texts/s per core on 1–8 KB tool outputs, 200-char latency, stage costs',
  run: runMlBenchmark,
};

/**
 * Realistic tool outputs: the installed packages' READMEs, docs and sources (never trained on: pino
 * and fastify are left out, as for calibration), cut at seeded lengths between 1 and 8 KB.
 */
function toolOutputs(count: number): string[] {
  const { texts } = benignPool(path.join(repoRoot, 'node_modules'), { chunkChars: 8192, maxFiles: 3000 });
  const random = seededRandom(4);
  const out: string[] = [];
  for (const t of texts) {
    const len = 1024 + Math.floor(random() * 7169);
    if (t.length >= len) out.push(t.slice(0, len));
    if (out.length === count) break;
  }
  return out;
}

/** 200-character pieces of those texts, starting at different places. */
function shortTexts(from: readonly string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const t = from[i % from.length]!;
    const at = (i * 97) % Math.max(1, t.length - 200);
    return t.slice(at, at + 200);
  });
}

interface Throughput {
  readonly name: string;
  readonly texts: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly mbPerSecond: number;
  readonly textsPerSecond: number;
}

/** Median of ROUNDS passes of `fn` over all texts (one call per text or per batch). */
async function throughput(
  name: string,
  texts: readonly string[],
  pass: () => Promise<void> | void,
): Promise<Throughput> {
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  await pass(); // warm-up
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await pass();
    rounds.push((performance.now() - t0) / 1000);
  }
  const seconds = rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
  return {
    name,
    texts: texts.length,
    bytes,
    seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    textsPerSecond: texts.length / seconds,
  };
}

/** The ways to score a text that the benchmark compares; all but `scorer` are built here. */
async function scorers(onnxPath: string, features: FeaturiserOptions) {
  const production = await loadShippedScorer('injection');
  const unchunked = await createOnnxScorer({ model: onnxPath, features, chunk: false, maxIds: 1 << 20 });
  const options: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const session = await InferenceSession.create(onnxPath, options);
  const model = importOnnx(readFileSync(onnxPath));
  const head = await InferenceSession.create(exportHeadOnnx(model), options);
  const featuriser = createFeaturiser(features);
  const bag = createBagger(features.buckets);
  const mean = new Float32Array(model.dim);
  const z = new Float64Array(1);
  /** TypeScript bag mean, then ORT's Gemm + Sigmoid on [1, D]. */
  const meanThenHead = async (text: string): Promise<number> => {
    const b = bag(featuriser.featurise(text));
    bagMean(model, b.ids, b.counts, mean);
    const out = await head.run({ mean: new Tensor('float32', mean, [1, model.dim]) });
    return (out.scores!.data as Float32Array)[0]!;
  };
  /** Everything in TypeScript from the model's weights. */
  const typescript = (text: string): number => {
    const b = bag(featuriser.featurise(text));
    bagMean(model, b.ids, b.counts, mean);
    logits(model, mean, z);
    activate(model.kind, z);
    return z[0]!;
  };
  const close = async () => {
    await Promise.all([production.close(), unchunked.close(), session.release(), head.release()]);
  };
  return { production, unchunked, session, featuriser, bag, meanThenHead, typescript, close };
}

type Scorers = Awaited<ReturnType<typeof scorers>>;

/** Every variant must give the production scorer's score on texts short enough not to be chunked. */
async function checkAgreement(s: Scorers, texts: readonly string[]): Promise<void> {
  for (const t of texts) {
    const want = (await s.production.score([t]))[0]!;
    const got = [(await s.unchunked.score([t]))[0]![0]!, await s.meanThenHead(t), s.typescript(t)];
    for (const g of got)
      if (!(Math.abs(g - want) < 1e-4))
        throw new Error(`variants disagree: ${g} vs ${want} on ${JSON.stringify(t)}`);
  }
}

/** Each stage of the scorer alone, on inputs the previous stage produced beforehand. */
async function stageCosts(s: Scorers, texts: readonly string[]): Promise<Throughput[]> {
  const normalised = texts.map(normaliseText);
  const ids = normalised.map((t) => s.featuriser.featuriseNormalised(t));
  const bags: Bag[] = ids.map((f) => s.bag(f));
  const batches = bags.map((b) => buildBatch([b]));
  // Every occurrence as its own position (weight 1): what the runtime would gather without the bag.
  const unbagged = ids.map((f) => buildBatch([{ ids: f, counts: new Float32Array(f.length).fill(1) }]));
  const run = (list: typeof batches) => async () => {
    for (const b of list) await s.session.run({ ids: b.ids, mask: b.mask });
  };
  return [
    await throughput('normalise (NFKC, lowercase, spaces)', texts, () =>
      texts.forEach((t) => normaliseText(t)),
    ),
    await throughput('hash n-grams (normalised text)', texts, () =>
      normalised.forEach((t) => s.featuriser.featuriseNormalised(t)),
    ),
    await throughput('featuriser = normalise + hash', texts, () =>
      texts.forEach((t) => s.featuriser.featurise(t)),
    ),
    await throughput('bag (merge duplicate ids)', texts, () => ids.forEach((f) => s.bag(f))),
    await throughput('buildBatch (int64/float tensors)', texts, () => bags.forEach((b) => buildBatch([b]))),
    await throughput('ORT session.run, bagged ids', texts, run(batches)),
    await throughput('ORT session.run, every id (no bag)', texts, run(unbagged)),
  ];
}

async function endToEnd(s: Scorers, texts: readonly string[]): Promise<Throughput[]> {
  const out: Throughput[] = [];
  out.push(
    await throughput('scorer, one text per call (production: chunks of 2048)', texts, async () => {
      for (const t of texts) await s.production.score([t]);
    }),
  );
  out.push(
    await throughput(`scorer, ${BATCH} texts per call (production)`, texts, async () => {
      for (let i = 0; i < texts.length; i += BATCH) await s.production.score(texts.slice(i, i + BATCH));
    }),
  );
  out.push(
    await throughput('scorer without chunking, one per call', texts, async () => {
      for (const t of texts) await s.unchunked.score([t]);
    }),
  );
  out.push(
    await throughput('TS bag mean + ORT head, one per call', texts, async () => {
      for (const t of texts) await s.meanThenHead(t);
    }),
  );
  out.push(
    await throughput('all TypeScript (no ORT), one per call', texts, () =>
      texts.forEach((t) => s.typescript(t)),
    ),
  );
  return out;
}

interface LatencyRow {
  readonly name: string;
  readonly texts: number;
  readonly summary: Summary;
}

async function latency(
  s: Scorers,
  short: readonly string[],
  o: BenchContext['options'],
  signal: AbortSignal,
) {
  const batches = Array.from({ length: 16 }, (_, b) => short.slice(b * BATCH, (b + 1) * BATCH));
  const subjects = [
    {
      name: 'scorer, 1 text',
      texts: 1,
      run: async (i: number) => void (await s.production.score([short[i % short.length]!])),
    },
    {
      name: `scorer, batch of ${BATCH}`,
      texts: BATCH,
      run: async (i: number) => void (await s.production.score(batches[i % batches.length]!)),
    },
    {
      name: 'TS bag mean + ORT head, 1 text',
      texts: 1,
      run: async (i: number) => void (await s.meanThenHead(short[i % short.length]!)),
    },
    {
      name: 'all TypeScript, 1 text',
      texts: 1,
      run: (i: number) => Promise.resolve(void s.typescript(short[i % short.length]!)),
    },
  ];
  const series = await measureInterleaved(subjects, {
    iterations: o.iterations * SAMPLE_FACTOR,
    warmup: o.warmup * SAMPLE_FACTOR,
    blockSize: BLOCK_SIZE,
    signal,
  });
  return series.map((x, i): LatencyRow => {
    if (x.error !== undefined) throw new Error(`${x.name}: ${x.error}`);
    return { name: x.name, texts: subjects[i]!.texts, summary: summarize(x.samplesUs) };
  });
}

async function runMlBenchmark({ options, signal }: BenchContext): Promise<BenchOutcome> {
  const machine = machineInfo();
  const date = new Date().toISOString();
  const card = await readCard('injection');
  const onnxPath = modelPaths('injection').onnx;
  const texts = toolOutputs(TOOL_OUTPUTS);
  const short = shortTexts(texts, 512);
  const mb = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / 1e6;
  console.log(`ml benchmark — ${date}\n${describeMachine(machine)}`);
  console.log(
    `injection model (${card.features.buckets} buckets × ${card.dim}), ORT intraOpNumThreads 1; ` +
      `${texts.length} tool outputs of 1–8 KB (${mb.toFixed(2)} MB, installed packages' docs and sources), ` +
      `throughput = median of ${ROUNDS} passes`,
  );
  const s = await scorers(onnxPath, card.features);
  try {
    await checkAgreement(s, short.slice(0, 50));
    const stages = await stageCosts(s, texts);
    signal.throwIfAborted();
    const e2e = await endToEnd(s, texts);
    signal.throwIfAborted();
    const lat = await latency(s, short, options, signal);
    printReport(stages, e2e, lat);
    const file = await writeResults('ml', {
      benchmark: 'ml',
      date,
      machine,
      options: {
        ...options,
        rounds: ROUNDS,
        batch: BATCH,
        latencySamples: options.iterations * SAMPLE_FACTOR,
      },
      model: { task: 'injection', features: card.features, dim: card.dim, onnx_sha256: card.onnx.sha256 },
      corpus: { texts: texts.length, megabytes: mb, short_texts: short.length },
      targets: { mb_per_second_per_core: MBPS_TARGET, p50_us_200_chars: P50_TARGET_US },
      stages,
      end_to_end: e2e.map((t) => ({ ...t, ratio_to_target: t.mbPerSecond / MBPS_TARGET })),
      latency: lat.map((l) => ({ ...l, p50_ratio_to_target: l.summary.p50 / l.texts / P50_TARGET_US })),
    });
    console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
  } finally {
    await s.close();
  }
  return { ok: true };
}

function printReport(
  stages: readonly Throughput[],
  e2e: readonly Throughput[],
  lat: readonly LatencyRow[],
): void {
  const right = { align: 'right' } as const;
  const rows = (list: readonly Throughput[], withTarget: boolean) =>
    list.map((t) => [
      t.name,
      formatNumber(t.mbPerSecond, 1),
      formatNumber(t.textsPerSecond, 0),
      formatNumber((t.seconds * 1e6) / t.texts, 1),
      withTarget
        ? `${formatNumber(t.mbPerSecond / MBPS_TARGET, 2)}× ${t.mbPerSecond >= MBPS_TARGET ? 'PASS' : 'MISS'}`
        : '',
    ]);
  const cols = (first: string, target: string) => [
    { header: first },
    { header: 'MB/s', ...right },
    { header: 'texts/s', ...right },
    { header: 'µs/text', ...right },
    { header: target },
  ];
  console.log(`\n${formatTable(cols('stage (one core)', ''), rows(stages, false))}\n`);
  console.log(`${formatTable(cols('end to end (one core)', `vs ≥ ${MBPS_TARGET} MB/s`), rows(e2e, true))}\n`);
  console.log(
    formatTable(
      [
        { header: '200-character texts' },
        { header: 'n', ...right },
        { header: 'p50 µs', ...right },
        { header: 'p99 µs', ...right },
        { header: 'p50 µs/text', ...right },
        { header: `vs ≤ ${P50_TARGET_US} µs p50` },
      ],
      lat.map((l) => {
        const perText = l.summary.p50 / l.texts;
        return [
          l.name,
          String(l.summary.count),
          formatNumber(l.summary.p50, 1),
          formatNumber(l.summary.p99, 1),
          formatNumber(perText, 1),
          `${formatNumber(perText / P50_TARGET_US, 2)}× ${perText <= P50_TARGET_US ? 'PASS' : 'MISS'}`,
        ];
      }),
    ),
  );
}
