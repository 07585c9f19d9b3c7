/**
 * Collapses a text's feature ids into (unique id, count) pairs before they go to ONNX Runtime.
 *
 * The exported graph takes the mask as per-position weights, so Σ count·row / Σ count equals the
 * plain mean over all occurrences: the scores are unchanged, while the [N, L, D] Gather the runtime
 * materialises shrinks by the repetition factor (tool outputs repeat many character n-grams).
 */
export interface Bag {
  readonly ids: Int32Array;
  readonly counts: Float32Array;
}

export type Bagger = (ids: Int32Array) => Bag;

/** One per scorer: it owns two tables of `buckets` ints, reused via a generation stamp (no clearing). */
export function createBagger(buckets: number): Bagger {
  const stamp = new Int32Array(buckets);
  const slot = new Int32Array(buckets);
  let generation = 0;
  return function bag(ids: Int32Array): Bag {
    generation = generation === 0x7fffffff ? 1 : generation + 1;
    if (generation === 1) stamp.fill(0); // after wrap-around old stamps could collide
    const unique = new Int32Array(ids.length);
    const counts = new Float32Array(ids.length);
    let u = 0;
    for (const id of ids) {
      if (stamp[id] !== generation) {
        stamp[id] = generation;
        slot[id] = u;
        unique[u] = id;
        counts[u++] = 1;
      } else {
        const s = slot[id] as number;
        counts[s] = (counts[s] as number) + 1;
      }
    }
    return { ids: unique.subarray(0, u), counts: counts.subarray(0, u) };
  };
}
