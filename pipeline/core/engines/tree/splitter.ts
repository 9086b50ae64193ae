/**
 * Split search (the role of scikit-learn's `splitting.pyx`): the candidate features drawn
 * for a node, and the best split of a node over one feature's histogram. Gains and leaf
 * values follow XGBoost (L2 `lambda`, L1 `alpha`); with a forest's gradients (g = -y·w,
 * h = w) the gain is the weighted variance reduction, which on a 0/1 target is the Gini
 * decrease. Missing values (bucket 0) are tried on either side of every threshold.
 */
import type { Rng } from '../../common/random.ts';
import { STRIDE } from './histogram.ts';

export interface SplitParams {
  /** Fewest training rows in a child. */
  minSamplesLeaf: number;
  /** Smallest hessian sum in a child. */
  minChildWeight: number;
  lambda: number;
  alpha: number;
  /** A split must reduce the loss by more than this. */
  minSplitGain: number;
  /** Candidate features drawn per split from the tree's features; 0 = all of them. */
  featuresPerSplit: number;
}

/** A node's gradient, hessian and row totals, and the best split found for it so far (feature -1: none). */
export interface SplitNode {
  G: number;
  H: number;
  C: number;
  gain: number;
  feature: number;
  /** Rows go left when 0 < bucket ≤ bin (bucket 0, missing, goes as `missingLeft` says). */
  bin: number;
  missingLeft: number;
  /** The left child's totals. */
  GL: number;
  HL: number;
  CL: number;
}

export class Splitter {
  /** The candidate features of the current split, in `drawn[0..k)` (see `drawFeatures`). */
  readonly drawn: Int32Array;
  private p!: SplitParams;
  private features!: Int32Array;
  private rng!: Rng;
  private minGainFloor = 0;

  /** @param offset each feature's first bucket in a histogram (see histogram.ts) */
  constructor(
    nFeatures: number,
    private readonly offset: Int32Array,
  ) {
    this.drawn = new Int32Array(nFeatures);
  }

  /** Starts a tree: its parameters, the features it may split on and its random stream. */
  reset(p: SplitParams, features: Int32Array, rng: Rng): void {
    this.p = p;
    this.features = features;
    this.rng = rng;
    this.minGainFloor = Math.max(p.minSplitGain, 0);
  }

  /** Draws this split's candidate features into `drawn[0..k)`; returns k. */
  drawFeatures(): number {
    const feats = this.features;
    const F = feats.length;
    const k = this.p.featuresPerSplit > 0 ? Math.min(this.p.featuresPerSplit, F) : F;
    const d = this.drawn;
    for (let i = 0; i < F; i++) d[i] = feats[i];
    if (k < F) this.rng.pickFront(d, F, k);
    return k;
  }

  /** Scans buckets lo..hi of feature f's histogram, updating the node's best split. */
  scan(hist: Float64Array, n: SplitNode, f: number, lo: number, hi: number): void {
    const { lambda, alpha, minChildWeight } = this.p;
    const minLeaf = Math.max(1, this.p.minSamplesLeaf);
    const G = n.G;
    const H = n.H;
    const C = n.C;
    const parentScore = score(G, H, lambda, alpha);
    let best = Math.max(n.gain, this.minGainFloor + 1e-12 * (Math.abs(parentScore) + 1));
    let bestBin = -1;
    let bestMl = 0;
    let bGL = 0;
    let bHL = 0;
    let bCL = 0;
    const base = this.offset[f] * STRIDE;
    const gm = hist[base];
    const hm = hist[base + 1];
    const cm = hist[base + 2];
    // Missing rows alone on the left, every value on the right.
    if (cm >= minLeaf && C - cm >= minLeaf && hm >= minChildWeight && H - hm >= minChildWeight) {
      const gain = 0.5 * (score(gm, hm, lambda, alpha) + score(G - gm, H - hm, lambda, alpha) - parentScore);
      if (gain > best) {
        best = gain;
        bestBin = 0;
        bestMl = 1;
        bGL = gm;
        bHL = hm;
        bCL = cm;
      }
    }
    let gl = 0;
    let hl = 0;
    let cl = 0;
    let prev = -1;
    for (let b = lo < 1 ? 1 : lo; b <= hi; b++) {
      const at = base + b * STRIDE;
      const c = hist[at + 2];
      if (c === 0) continue;
      if (prev > 0) {
        // Any edge between the last filled bucket and this one splits the rows alike; take the middle one.
        const t = prev + ((b - 1 - prev) >> 1);
        if (cl >= minLeaf && C - cl >= minLeaf && hl >= minChildWeight && H - hl >= minChildWeight) {
          const gain = 0.5 * (score(gl, hl, lambda, alpha) + score(G - gl, H - hl, lambda, alpha) - parentScore);
          if (gain > best) {
            best = gain;
            bestBin = t;
            // Without missing rows here, unseen missing values follow the heavier side.
            bestMl = cm > 0 ? 0 : hl >= H - hl ? 1 : 0;
            bGL = gl;
            bHL = hl;
            bCL = cl;
          }
        }
        if (cm > 0) {
          const gL = gl + gm;
          const hL = hl + hm;
          const cL = cl + cm;
          if (cL >= minLeaf && C - cL >= minLeaf && hL >= minChildWeight && H - hL >= minChildWeight) {
            const gain = 0.5 * (score(gL, hL, lambda, alpha) + score(G - gL, H - hL, lambda, alpha) - parentScore);
            if (gain > best) {
              best = gain;
              bestBin = t;
              bestMl = 1;
              bGL = gL;
              bHL = hL;
              bCL = cL;
            }
          }
        }
      }
      gl += hist[at];
      hl += hist[at + 1];
      cl += c;
      prev = b;
    }
    if (bestBin >= 0) {
      n.gain = best;
      n.feature = f;
      n.bin = bestBin;
      n.missingLeft = bestMl;
      n.GL = bGL;
      n.HL = bHL;
      n.CL = bCL;
    }
  }
}

function score(g: number, h: number, lambda: number, alpha: number): number {
  let t = g;
  if (alpha > 0) t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
  const den = h + lambda;
  return den > 0 ? (t * t) / den : 0;
}

/** XGBoost's leaf weight: -T_alpha(G) / (H + lambda). */
export function leafWeight(g: number, h: number, lambda: number, alpha: number): number {
  let t = g;
  if (alpha > 0) t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
  const den = h + lambda;
  return den > 0 ? -t / den : 0;
}
