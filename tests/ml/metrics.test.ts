import { describe, expect, it } from 'vitest';
import {
  atThreshold,
  auc,
  multiClass,
  thresholdForFpr,
  tprAtFpr,
  type Scored,
} from '../../src/ml/metrics.js';

const s = (pairs: [number, boolean][]): Scored[] => pairs.map(([score, positive]) => ({ score, positive }));

describe('binary metrics, against values computed by hand', () => {
  it('AUC is the share of (positive, negative) pairs ranked right, ties counting half', () => {
    expect(
      auc(
        s([
          [0.9, true],
          [0.8, true],
          [0.3, false],
          [0.1, false],
        ]),
      ),
    ).toBe(1);
    expect(
      auc(
        s([
          [0.1, true],
          [0.9, false],
        ]),
      ),
    ).toBe(0);
    // pairs: (0.8,0.5) right, (0.8,0.9) wrong, (0.4,0.5) wrong, (0.4,0.9) wrong → 1/4
    expect(
      auc(
        s([
          [0.8, true],
          [0.4, true],
          [0.5, false],
          [0.9, false],
        ]),
      ),
    ).toBeCloseTo(0.25, 12);
    // a tie between the only positive and the only negative: 1/2
    expect(
      auc(
        s([
          [0.5, true],
          [0.5, false],
        ]),
      ),
    ).toBe(0.5);
    expect(auc(s([[0.5, true]]))).toBeNaN();
  });

  it('rates at a threshold (score >= t flags)', () => {
    const items = s([
      [0.9, true],
      [0.6, true],
      [0.2, true],
      [0.7, false],
      [0.1, false],
      [0.05, false],
      [0.0, false],
    ]);
    const r = atThreshold(items, 0.5);
    expect(r.tpr).toBeCloseTo(2 / 3, 12);
    expect(r.fpr).toBeCloseTo(1 / 4, 12);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
  });

  it('calibrates the threshold on negatives for a false-positive budget', () => {
    const negatives = Array.from({ length: 200 }, (_, i) => i / 200); // 0 … 0.995
    const t = thresholdForFpr(negatives, 0.01); // 2 of 200 may be flagged: 0.995 and 0.99
    expect(negatives.filter((x) => x >= t)).toEqual([0.99, 0.995]);
    expect(thresholdForFpr(negatives, 0)).toBeGreaterThan(0.995);
  });

  it('TPR at 1% FPR', () => {
    const items = [
      ...Array.from({ length: 100 }, (_, i) => ({ score: i / 100, positive: false })), // max 0.99
      ...[0.995, 0.999, 0.5].map((score) => ({ score, positive: true })),
    ];
    // one negative (0.99) may pass; the threshold sits just above 0.98: 0.995 and 0.999 are caught
    expect(tprAtFpr(items, 0.01)).toBeCloseTo(2 / 3, 12);
  });
});

describe('multi-class metrics', () => {
  it('accuracy, per-label precision/recall/F1, macro F1 and the confusion matrix', () => {
    const truth = ['math', 'math', 'law', 'law', 'code'];
    const pred = ['math', 'law', 'law', 'law', 'math'];
    const r = multiClass(truth, pred);
    expect(r.accuracy).toBeCloseTo(3 / 5, 12);
    expect(r.per_label.math).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r.per_label.law?.precision).toBeCloseTo(2 / 3, 12);
    expect(r.per_label.law?.recall).toBe(1);
    expect(r.per_label.code).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.macro_f1).toBeCloseTo((0.5 + 0.8 + 0) / 3, 12);
    expect(r.confusion.code?.math).toBe(1);
  });
});
