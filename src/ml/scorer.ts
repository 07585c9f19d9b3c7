import { AgentwallError, ErrorCode } from '../core/errors.js';
import { modelPaths, readCard } from './model-files.js';
import { createOnnxScorer } from './onnx-session.js';
import type { TaskName } from './tasks.js';

/**
 * One scorer per signal: text in, P(positive) out. Backends (ONNX Runtime here; Hugging Face and vLLM
 * endpoints later) sit behind this one interface.
 */
export interface TextScorer {
  readonly name: string;
  /** The operating threshold from the model card (P ≥ threshold flags the text). */
  readonly threshold: number;
  score(texts: readonly string[]): Promise<number[]>;
  close(): Promise<void>;
}

/** A multi-class or multi-label classifier: one probability per label, per text. */
export interface TextClassifier {
  readonly name: string;
  readonly labels: readonly string[];
  classify(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** A sentence embedder: one L2-normalised vector of `dim` floats per text. */
export interface TextEmbedder {
  readonly name: string;
  readonly dim: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Loads a shipped binary model (`models/<task>.onnx` and its card) into an ONNX Runtime session. */
export async function loadShippedScorer(task: TaskName, dir?: string): Promise<TextScorer> {
  try {
    const card = await readCard(task, dir);
    if (card.threshold === undefined) throw new Error(`${task} is not a binary model`);
    const onnx = await createOnnxScorer({ model: modelPaths(task, dir).onnx, features: card.features });
    return {
      name: task,
      threshold: card.threshold,
      score: async (texts) => (await onnx.score(texts)).map((s) => s[0] ?? 0),
      close: () => onnx.close(),
    };
  } catch (err) {
    throw new AgentwallError(
      ErrorCode.MODEL_LOAD,
      `cannot load the ${task} model: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
