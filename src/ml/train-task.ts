/**
 * Glue from labelled text rows (e.g. `DataRow`s already split into train and dev by group) to
 * `trainClassifier`: featurises with one featuriser and maps label names to indices.
 */
import { createFeaturiser, DEFAULT_FEATURISER, type FeaturiserOptions } from './features.js';
import { trainClassifier, type Example, type TrainOptions, type TrainResult } from './train.js';

export interface LabelledText {
  readonly text: string;
  readonly label: string;
}

export interface TaskOptions extends Omit<TrainOptions, 'kind' | 'labels' | 'features'> {
  /** Class names; two means a binary model scoring labels[1] (e.g. ['benign', 'injection']). */
  readonly labels: readonly string[];
  readonly features?: FeaturiserOptions;
}

export function trainTask(
  train: readonly LabelledText[],
  dev: readonly LabelledText[],
  o: TaskOptions,
): TrainResult {
  const features = o.features ?? DEFAULT_FEATURISER;
  const featuriser = createFeaturiser(features);
  const index = new Map(o.labels.map((l, i) => [l, i]));
  const toExamples = (rows: readonly LabelledText[]): Example[] =>
    rows.map((r) => {
      const label = index.get(r.label);
      if (label === undefined)
        throw new RangeError(`label ${JSON.stringify(r.label)} is not one of ${o.labels.join(', ')}`);
      return { ids: featuriser.featurise(r.text), label };
    });
  return trainClassifier(toExamples(train), toExamples(dev), {
    ...o,
    kind: o.labels.length === 2 ? 'binary' : 'multiclass',
    features,
  });
}
