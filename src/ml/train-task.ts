/**
 * Glue from labelled text rows (e.g. `DataRow`s already split into train and dev by group) to
 * `trainClassifier`: featurises with one featuriser and maps label names to indices.
 */
import { createFeaturiser, DEFAULT_FEATURISER, type FeaturiserOptions } from './features.js';
import { trainClassifier, type Example, type TrainOptions, type TrainResult } from './train.js';

export interface LabelledText {
  readonly text: string;
  /** One class name, or for a multi-label task every label that applies (possibly none). */
  readonly label: string | readonly string[];
}

export interface TaskOptions extends Omit<TrainOptions, 'kind' | 'labels' | 'features'> {
  /**
   * Label names; two means a binary model scoring labels[1] (e.g. ['benign', 'injection']) unless
   * `multiLabel` is set.
   */
  readonly labels: readonly string[];
  /** One independent sigmoid per label; rows then give lists of labels. */
  readonly multiLabel?: boolean;
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
  const indexOf = (name: string): number => {
    const k = index.get(name);
    if (k === undefined)
      throw new RangeError(`label ${JSON.stringify(name)} is not one of ${o.labels.join(', ')}`);
    return k;
  };
  const toExamples = (rows: readonly LabelledText[]): Example[] =>
    rows.map((r) => {
      if ((o.multiLabel ?? false) !== (typeof r.label !== 'string'))
        throw new RangeError(
          o.multiLabel ? 'a multi-label row needs a list of labels' : 'a row needs exactly one label',
        );
      const label = typeof r.label === 'string' ? indexOf(r.label) : r.label.map(indexOf);
      return { ids: featuriser.featurise(r.text), label };
    });
  const { multiLabel: _, ...rest } = o;
  return trainClassifier(toExamples(train), toExamples(dev), {
    ...rest,
    kind: o.multiLabel ? 'multilabel' : o.labels.length === 2 ? 'binary' : 'multiclass',
    features,
  });
}
