/**
 * All trees of an ensemble packed into shared arrays for scoring. Nodes are relaid so
 * that a right child always follows its left sibling, and leaves point to themselves.
 * A block of rows then descends one level at a time for a tree's full depth: the child
 * is picked arithmetically, rows are independent of each other, and there is no
 * unpredictable branch per node, which is several times faster than walking row by row
 * (block-walk.ts). Large batches are split between threads (parallel-scoring.ts).
 */
import type { FeatureMatrix } from '../engine.ts';
import { BLOCK_ROWS, LEAF_KEY, blockScratch, rankBelow, rankInto, scoreBlock, type BlockModel } from './block-walk.ts';
import type { CompactTree } from './compact.ts';
import { addScoresInParallel } from './parallel-scoring.ts';
import { defaultScoring, type ScoringRuntime } from './threads.ts';

/** Batches smaller than this walk each row's trees side by side instead (see `rowScore`). */
const FEW_ROWS = 4;

export class PackedEnsemble {
  readonly nTrees: number;
  private readonly roots: Int32Array;
  private readonly depth: Int32Array;
  private readonly feature: Int32Array;
  /**
   * Per node, the rank of its threshold among its feature's distinct thresholds (`cuts`);
   * at a leaf, a rank above any row's so that it always goes "left" (to itself).
   */
  private readonly key: Int32Array;
  /** Every feature's distinct thresholds, ascending, feature after feature (see `cutStart`). */
  private readonly cuts: Float64Array;
  /** Feature f's thresholds are `cuts[cutStart[f] .. cutStart[f + 1])`. */
  private readonly cutStart: Int32Array;
  private readonly missingRight: Int32Array;
  private readonly left: Int32Array;
  private readonly value: Float64Array;
  private row = new Int32Array(0);
  /** A lone row's running sum (see `rowScore`). */
  private readonly acc = new Float64Array(1);
  /** Walk tables (see `walkTable`) for blocks of BLOCK_ROWS rows and of one row, built on first use, and the column count they are for. */
  private readonly blockWalk = { at: new Int32Array(0), d: -1 };
  private readonly rowWalk = { at: new Int32Array(0), d: -1 };
  /** The block model in shared memory for helper threads, built on first use. */
  private shared: { model: BlockModel; d: number } | null = null;

  /** `scoring`: whether and how large batches are shared with helper threads. */
  constructor(
    trees: readonly CompactTree[],
    private readonly scoring: ScoringRuntime = defaultScoring,
  ) {
    this.nTrees = trees.length;
    let total = 0;
    for (const t of trees) total += t.feature.length;
    this.roots = new Int32Array(trees.length);
    this.depth = new Int32Array(trees.length);
    this.feature = new Int32Array(total);
    const threshold = new Float64Array(total);
    this.key = new Int32Array(total);
    this.missingRight = new Int32Array(total);
    this.left = new Int32Array(total);
    this.value = new Float64Array(total);
    let at = 0;
    const order: number[] = [];
    const maxNodes = trees.reduce((a, t) => Math.max(a, t.feature.length), 1);
    const slot = new Int32Array(maxNodes);
    const level = new Int32Array(maxNodes);
    trees.forEach((t, k) => {
      this.roots[k] = at;
      // Breadth-first relabelling: children of a node get consecutive slots.
      order.length = 0;
      order.push(0);
      slot[0] = 0;
      level[0] = 0;
      let deepest = 0;
      for (let q = 0; q < order.length; q++) {
        const i = order[q];
        if (t.feature[i] >= 0) {
          for (const c of [t.left[i], t.right[i]]) {
            slot[c] = order.length;
            level[c] = level[i] + 1;
            if (level[c] > deepest) deepest = level[c];
            order.push(c);
          }
        }
      }
      this.depth[k] = deepest;
      for (let q = 0; q < order.length; q++) {
        const i = order[q];
        const j = at + q;
        if (t.feature[i] >= 0) {
          this.feature[j] = t.feature[i];
          threshold[j] = t.threshold[i];
          this.missingRight[j] = t.missingLeft[i] === 1 ? 0 : 1;
          this.left[j] = at + slot[t.left[i]];
        } else {
          // A leaf stays put: no row's rank exceeds LEAF_KEY, so every row goes "left", to itself.
          this.feature[j] = 0;
          this.key[j] = LEAF_KEY;
          this.missingRight[j] = 0;
          this.left[j] = j;
        }
        this.value[j] = t.value[i];
      }
      at += order.length;
    });
    ({ cuts: this.cuts, start: this.cutStart } = this.rankThresholds(threshold));
  }

  /**
   * Replaces each split's raw threshold by its rank among the distinct thresholds of its
   * feature. A value x then goes right at a split of rank k exactly when more than k of
   * those thresholds are below x (x > cuts[k]), so once a row's values are ranked, every
   * step of a walk is an integer subtraction and a shift: no floating-point compare, no
   * branch.
   */
  private rankThresholds(threshold: Float64Array): { cuts: Float64Array; start: Int32Array } {
    const { feature, key } = this;
    let nf = 0;
    for (let j = 0; j < feature.length; j++) if (key[j] !== LEAF_KEY && feature[j] + 1 > nf) nf = feature[j] + 1;
    const perFeature: number[][] = Array.from({ length: nf }, () => []);
    for (let j = 0; j < feature.length; j++) if (key[j] !== LEAF_KEY) perFeature[feature[j]].push(threshold[j]);
    const start = new Int32Array(nf + 1);
    const all: number[] = [];
    for (let f = 0; f < nf; f++) {
      const sorted = perFeature[f].sort((a, b) => a - b).filter((v, i, a) => i === 0 || v !== a[i - 1]);
      for (const v of sorted) all.push(v);
      start[f + 1] = all.length;
    }
    const cuts = Float64Array.from(all);
    for (let j = 0; j < feature.length; j++) {
      if (key[j] !== LEAF_KEY)
        key[j] = rankBelow(cuts, start[feature[j]], start[feature[j] + 1], threshold[j]) - start[feature[j]];
    }
    return { cuts, start };
  }

  /**
   * Adds the sum of the trees `[from, to)` outputs for every row of X to `out` (trees
   * summed in order, so results do not depend on blocking or threads).
   */
  addScores(X: FeatureMatrix, out: Float64Array, from = 0, to = this.nTrees): void {
    const n = X.rows;
    if (n < FEW_ROWS && from === 0 && to === this.nTrees) {
      for (let r = 0; r < n; r++) out[r] = this.rowScore(X, r, out[r]);
      return;
    }
    const d = X.columns.length;
    const helpers = this.scoring.helpersFor(n, to - from);
    if (helpers > 0) {
      addScoresInParallel(this.scoring, this.sharedModel(d), X, out, from, to, helpers);
      return;
    }
    const model = this.blockModel(d);
    const scratch = blockScratch(d);
    for (let r0 = 0; r0 < n; r0 += BLOCK_ROWS)
      scoreBlock(model, X.columns, r0, Math.min(BLOCK_ROWS, n - r0), out, out, from, to, scratch);
  }

  private blockModel(d: number): BlockModel {
    const { roots, depth, value, cuts, cutStart } = this;
    return { roots, depth, walk: this.walkTable(d), value, cuts, cutStart };
  }

  /** The block model copied once into SharedArrayBuffers, which threads share without copying. */
  private sharedModel(d: number): BlockModel {
    if (this.shared?.d !== d) {
      const m = this.blockModel(d);
      this.shared = {
        d,
        model: {
          roots: toShared(m.roots),
          depth: toShared(m.depth),
          walk: toShared(m.walk),
          value: toShared(m.value),
          cuts: toShared(m.cuts),
          cutStart: toShared(m.cutStart),
        },
      };
    }
    return this.shared.model;
  }

  /**
   * What a walk reads at each node, for scoring blocks of B rows × d columns, four
   * entries per node so that one cache line serves a step: at 4i, 4 × the left child's
   * index (the right child follows it); at 4i + 1, where the node's feature's ranks start
   * in the block (in the copy for its missing-value direction); at 4i + 2, its key.
   */
  private walkTable(d: number, B = BLOCK_ROWS): Int32Array {
    const cache = B === 1 ? this.rowWalk : this.blockWalk;
    if (cache.d !== d) {
      const { feature, missingRight, left, key } = this;
      if (cache.at.length === 0) cache.at = new Int32Array(4 * feature.length);
      const w = cache.at;
      for (let i = 0; i < feature.length; i++) {
        w[4 * i] = 4 * left[i];
        w[4 * i + 1] = feature[i] * B + (missingRight[i] === 1 ? 0 : B * d);
        w[4 * i + 2] = key[i];
      }
      cache.d = d;
    }
    return cache.at;
  }

  /**
   * `start` plus all trees' outputs for row r, added in tree order. Unlike a block, a lone
   * row stops at its leaf instead of descending to the tree's full depth, which on deep
   * forests saves most of the steps. Trees are walked four at a time, in step, until all
   * four stand on a leaf (a leaf points to itself, so a walk that is done stays put): each
   * step is a chain of dependent loads, and four independent chains keep the processor
   * busy while one waits, with one hard-to-predict loop exit per four trees instead of one
   * per tree.
   */
  private rowScore(X: FeatureMatrix, r: number, start: number): number {
    const { roots, value, cuts, cutStart } = this;
    const cols = X.columns;
    const d = cols.length;
    // The row's ranks twice, as in the block path.
    if (this.row.length < 2 * d) this.row = new Int32Array(2 * d);
    const row = this.row;
    for (let f = 0; f < d; f++) rankInto(cuts, cutStart, row, f, d, f, cols[f][r]);
    const walk = this.walkTable(d, 1);
    const k = this.nTrees;
    // The sum lives in a Float64Array: kept in a local, V8 (Node 20) allocated a fresh heap
    // number for it after every tree, garbage the service made on every request.
    const acc = this.acc;
    acc[0] = start;
    let t = 0;
    for (; t + 4 <= k; t += 4) {
      let a = roots[t] << 2;
      let b = roots[t + 1] << 2;
      let c = roots[t + 2] << 2;
      let e = roots[t + 3] << 2;
      let ka = walk[a + 2];
      let kb = walk[b + 2];
      let kc = walk[c + 2];
      let ke = walk[e + 2];
      while (ka !== LEAF_KEY || kb !== LEAF_KEY || kc !== LEAF_KEY || ke !== LEAF_KEY) {
        a = walk[a] + (((ka - row[walk[a + 1]]) >>> 31) << 2);
        b = walk[b] + (((kb - row[walk[b + 1]]) >>> 31) << 2);
        c = walk[c] + (((kc - row[walk[c + 1]]) >>> 31) << 2);
        e = walk[e] + (((ke - row[walk[e + 1]]) >>> 31) << 2);
        ka = walk[a + 2];
        kb = walk[b + 2];
        kc = walk[c + 2];
        ke = walk[e + 2];
      }
      acc[0] += value[a >> 2];
      acc[0] += value[b >> 2];
      acc[0] += value[c >> 2];
      acc[0] += value[e >> 2];
    }
    for (; t < k; t++) {
      let w = roots[t] << 2;
      let key: number;
      while ((key = walk[w + 2]) !== LEAF_KEY) w = walk[w] + (((key - row[walk[w + 1]]) >>> 31) << 2);
      acc[0] += value[w >> 2];
    }
    return acc[0];
  }
}

function toShared<T extends Int32Array | Float64Array>(a: T): T {
  const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(Math.max(8, a.byteLength)));
  copy.set(a);
  return (a.length === copy.length ? copy : copy.subarray(0, a.length)) as T;
}
