import type { SnippetKind } from './benign-pool.js';
import type { FeaturiserOptions } from './features.js';

/** What agentwall trains and ships (docs/models.md). */
export const TASKS = ['injection', 'jailbreak', 'domain', 'capability'] as const;
export type TaskName = (typeof TASKS)[number];

/** What an MCP tool can do (src/ml/capability.ts); the order is the model's output order. */
export const CAPABILITY_LABELS = [
  'read',
  'write',
  'destructive',
  'send_external',
  'financial',
  'credential',
  'execute',
] as const;
export type CapabilityLabel = (typeof CAPABILITY_LABELS)[number];

/** What `addTrainingRows` adds to a binary task's training split (docs/models.md, injection). */
export interface TrainingAdditions {
  /** Repeat benign tool results per template until they match its attacks (`balanceTemplates`). */
  readonly balanceTemplates: boolean;
  /** JSON copies of templated tool results where both labels occur (`jsonCopies`). */
  readonly jsonCopies: boolean;
  /** Short benign rows cut from the training split's own benign rows (`fragmentRows`). */
  readonly fragments: number;
  /** Recurring short values of templated tool results as benign rows (`templateValueRows`). */
  readonly templateValues: boolean;
  /** The most frequent words of the benign tool outputs, each alone (`commonWordRows`). */
  readonly commonWords: number;
  /** Rows of each kind from the `train` half of the package pool (`poolSnippets`), when one is given. */
  readonly pool: Readonly<Partial<Record<SnippetKind, number>>>;
}

export type TaskSpec =
  | {
      readonly task: TaskName;
      readonly kind: 'binary';
      /** [negative, positive]. */
      readonly labels: readonly [string, string];
      /** The false-positive budget the operating threshold is calibrated for. */
      readonly maxFpr: number;
      /**
       * Calibrate on the `calibration` half of a benign pool of installed packages' text too (tool
       * outputs: long chunks and short lines).
       */
      readonly calibrateOnPool?: boolean;
      /** Benign rows added to the training side only (src/ml/data.ts `addTrainingRows`). */
      readonly trainingAdditions?: TrainingAdditions;
    }
  /** Labels from the data, sorted. */
  | { readonly task: TaskName; readonly kind: 'multiclass'; readonly labels: 'from-data' }
  /** One sigmoid per label, a threshold per label (buildCapabilityModel in src/ml/build-model.ts). */
  | { readonly task: TaskName; readonly kind: 'multilabel'; readonly labels: readonly string[] };

/** 2^16 × 32 float32 ≈ 8.4 MB per model: under the 10 MB budget, at a small cost in collisions. */
export const SHIPPED_FEATURES: FeaturiserOptions = Object.freeze({ buckets: 1 << 16, minN: 3, maxN: 5 });
export const SHIPPED_DIM = 32;

/**
 * The capability model reads short texts (a tool's name, description and parameters) and is trained
 * on a few hundred tools: 2^15 buckets × 32 dims (4.2 MB) leave few collisions at half the size.
 */
export const CAPABILITY_FEATURES: FeaturiserOptions = Object.freeze({ buckets: 1 << 15, minN: 3, maxN: 5 });
export const CAPABILITY_DIM = 32;

export const TASK_SPECS: Readonly<Record<TaskName, TaskSpec>> = {
  injection: {
    task: 'injection',
    kind: 'binary',
    labels: ['benign', 'injection'],
    maxFpr: 0.01,
    calibrateOnPool: true,
    // About 7,900 rows on a 6,629-row training split, most of them one line long: short and JSON
    // tool outputs, seen as benign, without the pool's docs style swamping the data (docs/models.md).
    trainingAdditions: {
      balanceTemplates: true,
      jsonCopies: true,
      fragments: 1000,
      templateValues: true,
      commonWords: 300,
      pool: { line: 2500, sentence: 600, paragraph: 300, chunk: 300, json: 600, message: 1500 },
    },
  },
  jailbreak: { task: 'jailbreak', kind: 'binary', labels: ['benign', 'jailbreak'], maxFpr: 0.01 },
  domain: { task: 'domain', kind: 'multiclass', labels: 'from-data' },
  capability: { task: 'capability', kind: 'multilabel', labels: CAPABILITY_LABELS },
};

export function isTask(name: string): name is TaskName {
  return (TASKS as readonly string[]).includes(name);
}
