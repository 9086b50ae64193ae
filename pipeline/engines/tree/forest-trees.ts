/**
 * Growing forest trees, shared by the in-process path and the worker threads. A tree
 * depends only on the job and its index (its seed is derived from the index), which
 * is what makes forests identical for any number of workers.
 */
import { deriveSeed, Rng } from '../../random.ts';
import type { BinnedMatrix } from './binning.ts';
import { TreeBuilder, type BuiltTree, type TreeParams } from './builder.ts';
import type { CompactTree } from './compact.ts';

export interface ForestJob {
  rows: number;
  /** Feature-major buckets: feature f occupies bytes [f·rows, (f+1)·rows). */
  bins: SharedArrayBuffer | ArrayBuffer;
  edges: Float64Array[];
  y: Uint8Array;
  /** Per-row weight (class and sample weights combined). */
  weight: Float64Array;
  seed: number;
  /** `bootstrap`: draw rows with replacement; `subsample`: keep each row with probability sampleFraction. */
  sampling: 'bootstrap' | 'subsample';
  sampleFraction: number;
  tree: TreeParams;
}

/**
 * Out-of-bag votes are summed as integers (probabilities scaled by 2^30) so that the
 * totals are exact and do not depend on which worker grew which tree.
 */
export const OOB_SCALE = 2 ** 30;

export function jobMatrix(job: ForestJob): BinnedMatrix {
  const bins = job.edges.map((_, f) => new Uint8Array(job.bins, f * job.rows, job.rows));
  return { rows: job.rows, bins, edges: job.edges };
}

/** Grows trees one at a time with reusable buffers; also collects out-of-bag votes. */
export class ForestGrower {
  private readonly job: ForestJob;
  private readonly data: BinnedMatrix;
  private readonly builder: TreeBuilder;
  private readonly counts: Uint32Array;
  private readonly rowIdx: Uint32Array;
  private readonly grad: Float64Array;
  private readonly hess: Float64Array;
  private readonly features: Int32Array;
  readonly oobSum: Float64Array;
  readonly oobCount: Uint32Array;
  private readonly oobRows: Uint32Array;
  private readonly oobAt: Int32Array;
  private walk = new LevelTree(1024);

  constructor(job: ForestJob) {
    this.job = job;
    this.data = jobMatrix(job);
    this.builder = new TreeBuilder(this.data);
    const n = job.rows;
    this.counts = new Uint32Array(n);
    this.rowIdx = new Uint32Array(n);
    this.grad = new Float64Array(n);
    this.hess = new Float64Array(n);
    this.features = Int32Array.from({ length: job.edges.length }, (_, f) => f);
    this.oobSum = new Float64Array(n);
    this.oobCount = new Uint32Array(n);
    this.oobRows = new Uint32Array(n);
    this.oobAt = new Int32Array(n);
  }

  grow(index: number): CompactTree {
    const { job, counts, rowIdx, grad, hess } = this;
    const n = job.rows;
    const rng = new Rng(deriveSeed(job.seed, index));
    counts.fill(0);
    if (job.sampling === 'bootstrap') {
      const draws = Math.max(1, Math.round(n * job.sampleFraction));
      for (let k = 0; k < draws; k++) counts[rng.int(n)]++;
    } else {
      for (let i = 0; i < n; i++) if (rng.next() < job.sampleFraction) counts[i] = 1;
    }
    const { y, weight } = job;
    let m = 0;
    let o = 0;
    for (let i = 0; i < n; i++) {
      const c = counts[i];
      if (c === 0) {
        this.oobRows[o++] = i;
        continue;
      }
      rowIdx[m++] = i;
      const w = weight[i] * c;
      hess[i] = w;
      grad[i] = y[i] === 1 ? -w : 0;
    }
    const built = this.builder.build(rowIdx, m, grad, hess, this.features, job.tree, rng);
    if (o > 0) this.voteOutOfBag(built, o);
    return built.tree;
  }

  /**
   * Sends the first `o` out-of-bag rows down the tree one level at a time: rows are
   * independent within a level and the child is picked arithmetically, which beats a
   * branchy row-by-row walk even though every row descends the tree's full depth.
   */
  private voteOutOfBag(built: BuiltTree, o: number): void {
    const m = built.tree.feature.length;
    if (this.walk.capacity < m) this.walk = new LevelTree(2 * m);
    const w = this.walk;
    const depth = w.load(built);
    const { feature, threshold, missingRight, left } = w;
    const rows = this.oobRows;
    const at = this.oobAt;
    const bins = this.data.bins;
    at.fill(0, 0, o);
    for (let level = 0; level < depth; level++) {
      for (let j = 0; j < o; j++) {
        const node = at[j];
        const b = bins[feature[node]][rows[j]];
        at[j] = left[node] + (+(b > threshold[node]) | (+(b === 0) & missingRight[node]));
      }
    }
    const value = built.tree.value;
    for (let j = 0; j < o; j++) {
      const r = rows[j];
      this.oobSum[r] += Math.round(value[at[j]] * OOB_SCALE);
      this.oobCount[r]++;
    }
  }
}

/** A built tree in walk-friendly form: leaves point to themselves and never move a row. */
class LevelTree {
  readonly capacity: number;
  readonly feature: Int32Array;
  readonly threshold: Int32Array;
  readonly missingRight: Int32Array;
  readonly left: Int32Array;
  private readonly depth: Int32Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.feature = new Int32Array(capacity);
    this.threshold = new Int32Array(capacity);
    this.missingRight = new Int32Array(capacity);
    this.left = new Int32Array(capacity);
    this.depth = new Int32Array(capacity);
  }

  /** Copies the tree in and returns its depth. */
  load(built: BuiltTree): number {
    const t = built.tree;
    const m = t.feature.length;
    let deepest = 0;
    this.depth[0] = 0;
    for (let i = 0; i < m; i++) {
      const f = t.feature[i];
      if (f >= 0) {
        this.feature[i] = f;
        this.threshold[i] = built.binThreshold[i];
        this.missingRight[i] = t.missingLeft[i] ^ 1;
        this.left[i] = t.left[i];
        // Children always get higher ids than their parent, so depths fill in one pass.
        const d = this.depth[i] + 1;
        this.depth[t.left[i]] = d;
        this.depth[t.right[i]] = d;
        if (d > deepest) deepest = d;
      } else {
        this.feature[i] = 0;
        this.threshold[i] = 255;
        this.missingRight[i] = 0;
        this.left[i] = i;
      }
    }
    return deepest;
  }
}

/** The typed arrays of a tree, in a fixed order, for posting between threads. */
export function treeBuffers(t: CompactTree): ArrayBuffer[] {
  return [t.feature, t.threshold, t.missingLeft, t.left, t.right, t.value, t.cover, t.gain].map((a) => a.buffer as ArrayBuffer);
}
