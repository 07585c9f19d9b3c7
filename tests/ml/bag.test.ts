import { describe, expect, it } from 'vitest';
import { createBagger } from '../../src/ml/bag.js';

describe('createBagger', () => {
  it('merges duplicate ids into counts, keeping first-seen order', () => {
    const bag = createBagger(16);
    const b = bag(Int32Array.of(3, 5, 3, 0, 5, 3));
    expect(Array.from(b.ids)).toEqual([3, 5, 0]);
    expect(Array.from(b.counts)).toEqual([3, 2, 1]);
  });

  it('does not leak state between calls', () => {
    const bag = createBagger(16);
    bag(Int32Array.of(1, 2, 2));
    const b = bag(Int32Array.of(2, 7));
    expect(Array.from(b.ids)).toEqual([2, 7]);
    expect(Array.from(b.counts)).toEqual([1, 1]);
    expect(bag(new Int32Array(0)).ids.length).toBe(0);
  });
});
