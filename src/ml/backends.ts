/**
 * The configuration face of the scorer backends (docs/scorer-backends.md): one zod schema for a signal's
 * `backend` block and one factory that turns a parsed block into a `TextScorer`.
 *
 *   onnx  a model trained here (the shipped `models/<signal>.onnx`, or `model: path/x.onnx` with its
 *         `x.card.json` beside it) on onnxruntime-node, with `execution_providers` and `chunk`
 *   hf    a Hugging Face ONNX model directory through transformers.js, local files only
 *   vllm  a classification model served by vLLM (`POST /classify`)
 *
 * The config loader owns `process.env`; this module gets the environment it needs as `env`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import type { ModelCard } from './build-model.js';
import { createHfClassifier } from './hf-scorer.js';
import { modelPaths, modelsDir } from './model-files.js';
import { createOnnxScorer, DEFAULT_CHUNK } from './onnx-session.js';
import type { TextScorer } from './scorer.js';
import { isTask } from './tasks.js';
import { createVllmScorer } from './vllm-scorer.js';

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(v)} (use e.g. 250ms, 2s)` });
    return z.NEVER;
  }
  return ms;
});

const chunk = z.union([
  z.literal(false),
  z
    .strictObject({ size: z.number().int().positive(), overlap: z.number().int().nonnegative() })
    .refine((c) => c.overlap < c.size, { message: 'overlap must be smaller than size', path: ['overlap'] }),
]);

/**
 * ONNX Runtime's EP names; which of them a given onnxruntime-node build carries is checked at start.
 * No `rocm`: ONNX Runtime deleted the ROCm EP in 1.23 (microsoft/onnxruntime#25181); MIGraphX is
 * the AMD GPU EP now.
 */
export const EXECUTION_PROVIDERS = [
  'cpu',
  'cuda',
  'tensorrt',
  'migraphx',
  'dml',
  'coreml',
  'webgpu',
  'qnn',
  'xnnpack',
  'openvino',
] as const;

const probability = z.number().min(0).max(1);

export const scorerBackendSchema = z.discriminatedUnion('backend', [
  z.strictObject({
    backend: z.literal('onnx'),
    /** Path to an `.onnx` file with its `.card.json` beside it; default: the signal's shipped model. */
    model: z.string().min(1).optional(),
    execution_providers: z.array(z.enum(EXECUTION_PROVIDERS)).min(1).default(['cpu']),
    chunk: chunk.default({ ...DEFAULT_CHUNK }),
  }),
  z.strictObject({
    backend: z.literal('hf'),
    /** A Hugging Face ONNX export: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx. */
    dir: z.string().min(1),
    positive_label: z.string().min(1).optional(),
    threshold: probability.default(0.5),
    device: z.enum(['cpu', 'cuda', 'webgpu']).default('cpu'),
    chunk: chunk.default({ size: 1024, overlap: 128 }),
  }),
  z.strictObject({
    backend: z.literal('vllm'),
    /** The server's base URL, without `/v1`. */
    url: z.url({ protocol: /^https?$/ }),
    /** The served model name. */
    model: z.string().min(1),
    /** Environment variable holding the API key (`vllm serve --api-key`). */
    api_key_env: z.string().min(1).optional(),
    timeout: duration.default(2000),
    retries: z.number().int().min(0).max(5).default(1),
    positive_label: z.string().min(1).optional(),
    positive_index: z.number().int().nonnegative().optional(),
    threshold: probability.default(0.5),
    chunk: chunk.default({ ...DEFAULT_CHUNK }),
    circuit_breaker: z
      .strictObject({ failures: z.number().int().positive().default(5), cooldown: duration.default(10_000) })
      .prefault({}),
  }),
]);

export type ScorerBackendConfig = z.output<typeof scorerBackendSchema>;

/** A scorer with what the composition root logs once at start. */
export interface ConfiguredScorer extends TextScorer {
  readonly backend: ScorerBackendConfig['backend'];
  /** `cpu`/`cuda`/… for local backends, the base URL for `vllm`. */
  readonly provider: string;
  /** Why a requested execution provider or device was not used. */
  readonly fallback: string | undefined;
}

export interface ScorerFactoryOptions {
  /** Relative paths in the block are resolved from here (the configuration file's directory). */
  readonly baseDir: string;
  /** Read for `api_key_env`; the caller passes `process.env` (only `config/` reads it). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where shipped models live (default: the package's `models/`). */
  readonly modelsDir?: string;
}

async function readCardAt(path: string): Promise<ModelCard> {
  return JSON.parse(await readFile(path, 'utf8')) as ModelCard;
}

async function onnxScorer(
  signal: string,
  cfg: Extract<ScorerBackendConfig, { backend: 'onnx' }>,
  o: ScorerFactoryOptions,
): Promise<ConfiguredScorer> {
  let paths: { onnx: string; card: string };
  if (cfg.model !== undefined) {
    const onnx = resolve(o.baseDir, cfg.model);
    paths = { onnx, card: onnx.replace(/\.onnx$/, '') + '.card.json' };
  } else if (isTask(signal)) {
    paths = modelPaths(signal, o.modelsDir ?? modelsDir());
  } else {
    throw new AgentwallError(ErrorCode.MODEL_LOAD, `${signal}: no shipped model for this signal; set model`);
  }
  try {
    const card = await readCardAt(paths.card);
    if (card.threshold === undefined) throw new Error(`${paths.card} is not a binary model's card`);
    const onnx = await createOnnxScorer({
      model: paths.onnx,
      features: card.features,
      executionProviders: cfg.execution_providers,
      chunk: cfg.chunk,
    });
    return {
      name: signal,
      threshold: card.threshold,
      backend: 'onnx',
      provider: onnx.provider,
      fallback: onnx.fallback,
      score: async (texts) => (await onnx.score(texts)).map((s) => s[0] ?? 0),
      close: () => onnx.close(),
    };
  } catch (err) {
    throw new AgentwallError(
      ErrorCode.MODEL_LOAD,
      `${signal}: cannot load ${paths.onnx}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function apiKey(cfg: Extract<ScorerBackendConfig, { backend: 'vllm' }>, o: ScorerFactoryOptions) {
  if (cfg.api_key_env === undefined) return undefined;
  const key = o.env?.[cfg.api_key_env];
  if (key === undefined || key === '') {
    throw new AgentwallError(ErrorCode.CONFIG_ENV_MISSING, `api_key_env: ${cfg.api_key_env} is not set`);
  }
  return key;
}

/** Builds the signal's scorer from its parsed `backend` block; throws `MODEL_LOAD` (or a config code). */
export async function createScorerFromConfig(
  signal: string,
  cfg: ScorerBackendConfig,
  o: ScorerFactoryOptions,
): Promise<ConfiguredScorer> {
  switch (cfg.backend) {
    case 'onnx':
      return onnxScorer(signal, cfg, o);
    case 'hf': {
      const hf = await createHfClassifier({
        dir: resolve(o.baseDir, cfg.dir),
        name: signal,
        positiveLabel: cfg.positive_label,
        threshold: cfg.threshold,
        device: cfg.device,
        chunk: cfg.chunk,
      });
      return { ...hf, backend: 'hf', score: (t) => hf.score(t), close: () => hf.close() };
    }
    case 'vllm': {
      const vllm = createVllmScorer({
        url: cfg.url,
        model: cfg.model,
        name: signal,
        apiKey: apiKey(cfg, o),
        timeoutMs: cfg.timeout,
        retries: cfg.retries,
        positiveLabel: cfg.positive_label,
        positiveIndex: cfg.positive_index,
        threshold: cfg.threshold,
        chunk: cfg.chunk,
        breaker: { failureThreshold: cfg.circuit_breaker.failures, cooldownMs: cfg.circuit_breaker.cooldown },
      });
      return {
        name: signal,
        threshold: vllm.threshold,
        backend: 'vllm',
        provider: vllm.client.url,
        fallback: undefined,
        score: (t) => vllm.score(t),
        close: () => vllm.close(),
      };
    }
  }
}
