/**
 * Growing forest trees, shared by the in-process path and the worker threads. A tree
 * depends only on the job and its index (its seed is derived from the index), which
 * is what makes forests identical for any number of workers.
 */
import { deriveSeed, Rng } from '../../common/random.ts';
import type { BinnedMatrix } from './binning.ts';
import { BinnedWalk } from './binned-walk.ts';
import { TreeGrower, type GrownTree, type TreeParams } from './grower.ts';
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

function jobMatrix(job: ForestJob): BinnedMatrix {
  const bins = job.edges.map((_, f) => new Uint8Array(job.bins, f * job.rows, job.rows));
  return { rows: job.rows, bins, edges: job.edges };
}

/** Grows trees one at a time with reusable buffers; also collects out-of-bag votes. */
export class ForestGrower {
  private readonly job: ForestJob;
  private readonly data: BinnedMatrix;
  private readonly grower: TreeGrower;
  private readonly counts: Uint32Array;
  private readonly rowIdx: Uint32Array;
  private readonly grad: Float64Array;
  private readonly hess: Float64Array;
  private readonly features: Int32Array;
  readonly oobSum: Float64Array;
  readonly oobCount: Uint32Array;
  private readonly oobRows: Uint32Array;
  private readonly walk: BinnedWalk;

  constructor(job: ForestJob) {
    this.job = job;
    this.data = jobMatrix(job);
    this.grower = new TreeGrower(this.data);
    const n = job.rows;
    this.counts = new Uint32Array(n);
    this.rowIdx = new Uint32Array(n);
    this.grad = new Float64Array(n);
    this.hess = new Float64Array(n);
    this.features = Int32Array.from({ length: job.edges.length }, (_, f) => f);
    this.oobSum = new Float64Array(n);
    this.oobCount = new Uint32Array(n);
    this.oobRows = new Uint32Array(n);
    this.walk = new BinnedWalk(this.data);
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
    const grown = this.grower.grow(rowIdx, m, grad, hess, this.features, job.tree, rng);
    if (o > 0) this.voteOutOfBag(grown, o);
    return grown.tree;
  }

  /** Adds this tree's votes for the first `o` out-of-bag rows. */
  private voteOutOfBag(grown: GrownTree, o: number): void {
    const walk = this.walk.load(grown.tree, grown.binThreshold);
    const value = grown.tree.value;
    const rows = this.oobRows;
    for (let j = 0; j < o; j++) {
      const r = rows[j];
      this.oobSum[r] += Math.round(value[walk.leaf(r)] * OOB_SCALE);
      this.oobCount[r]++;
    }
  }
}

/** The typed arrays of a tree, in a fixed order, for posting between threads. */
export function treeBuffers(t: CompactTree): ArrayBuffer[] {
  return [t.feature, t.threshold, t.missingLeft, t.left, t.right, t.value, t.cover, t.gain].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
