import type { FeaturiserOptions } from './features.js';

/** What agentwall trains and ships (docs/models.md). */
export const TASKS = ['injection', 'jailbreak', 'domain'] as const;
export type TaskName = (typeof TASKS)[number];

export interface TaskSpec {
  readonly task: TaskName;
  /** Binary: [negative, positive]. Multiclass: from the data, sorted. */
  readonly labels: 'from-data' | readonly [string, string];
  /** Binary tasks: the false-positive budget the operating threshold is calibrated for. */
  readonly maxFpr?: number;
  /** Binary tasks: calibrate on a benign pool of installed packages' docs too (tool outputs). */
  readonly calibrateOnPool?: boolean;
}

/** 2^16 × 32 float32 ≈ 8.4 MB per model: under the 10 MB budget, at a small cost in collisions. */
export const SHIPPED_FEATURES: FeaturiserOptions = Object.freeze({ buckets: 1 << 16, minN: 3, maxN: 5 });
export const SHIPPED_DIM = 32;

export const TASK_SPECS: Readonly<Record<TaskName, TaskSpec>> = {
  injection: { task: 'injection', labels: ['benign', 'injection'], maxFpr: 0.01, calibrateOnPool: true },
  jailbreak: { task: 'jailbreak', labels: ['benign', 'jailbreak'], maxFpr: 0.01 },
  domain: { task: 'domain', labels: 'from-data' },
};

export function isTask(name: string): name is TaskName {
  return (TASKS as readonly string[]).includes(name);
}
