/**
 * Leaves reached by rows of binned data, the predictor side of growing (scikit-learn's
 * `predict_binned`): a booster updates the rows left out of a round's sample, and a
 * forest votes for the rows left out of a tree's bootstrap, without the raw values.
 *
 * `load` copies one tree into flat per-node arrays that hold each split's byte offset
 * into the buckets (saving a dependent load per level of a walk). The grower gives every
 * right child the id after its left sibling, so the child is picked arithmetically;
 * bucket 0 (missing) is never above a threshold and so follows the node's missing
 * direction.
 */
import { flatBuckets, type BinnedMatrix } from './binning.ts';
import type { CompactTree } from './compact.ts';

export class BinnedWalk {
  private readonly flat: Uint8Array;
  private readonly colStart: Int32Array;
  private feature: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private offset = new Int32Array(0);
  private threshold = new Int32Array(0);
  private missingRight = new Int32Array(0);
  private left = new Int32Array(0);

  constructor(data: BinnedMatrix) {
    [this.flat, this.colStart] = flatBuckets(data);
  }

  /** Prepares walks through `tree`, whose splits as buckets are `binThreshold` (go left when 0 < bin ≤ it). */
  load(tree: CompactTree, binThreshold: Int32Array): this {
    const { feature, left, missingLeft } = tree;
    const m = feature.length;
    if (this.offset.length < m) {
      const size = Math.max(m, 2 * this.offset.length);
      this.offset = new Int32Array(size);
      this.threshold = new Int32Array(size);
      this.missingRight = new Int32Array(size);
      this.left = new Int32Array(size);
    }
    for (let i = 0; i < m; i++) {
      this.offset[i] = feature[i] >= 0 ? this.colStart[feature[i]] : 0;
      this.threshold[i] = binThreshold[i];
      this.missingRight[i] = missingLeft[i] ^ 1;
      this.left[i] = left[i];
    }
    this.feature = feature;
    return this;
  }

  /** The leaf row `r` reaches in the loaded tree. */
  leaf(r: number): number {
    const { feature, offset, threshold, missingRight, left, flat } = this;
    let node = 0;
    while (feature[node] >= 0) {
      const b = flat[offset[node] + r];
      node = left[node] + (+(b > threshold[node]) | (+(b === 0) & missingRight[node]));
    }
    return node;
  }
}
