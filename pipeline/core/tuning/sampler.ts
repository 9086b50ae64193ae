/**
 * Trial parameters. Random search draws trial i from its own stream seeded by
 * (seed, i) alone, which is what lets shards on different machines run disjoint trials
 * and still agree with a single process. TPE (tree-structured Parzen estimator, the
 * default sampler of Optuna and Hyperopt) looks at earlier trials, so it is sequential:
 * it is only offered for unsharded runs, and its first trials are the random ones.
 */
import { deriveSeed, Rng } from '../common/random.ts';
import type { ParamValues } from '../engines/params.ts';
import type { Dimension, ParamValue, SearchSpace } from '../engines/engine.ts';

const STREAM = 303;

/** Trial i's parameters under random search: a function of (space, seed, i) only. */
export function randomParams(space: SearchSpace, seed: number, trial: number): ParamValues {
  const rng = new Rng(deriveSeed(seed, STREAM, trial));
  const out: ParamValues = {};
  for (const [key, dim] of Object.entries(space)) out[key] = drawUniform(dim, rng);
  return out;
}

function drawUniform(dim: Dimension, rng: Rng): ParamValue {
  switch (dim.type) {
    case 'fixed':
      return dim.value;
    case 'choice':
      return dim.values[rng.int(dim.values.length)];
    default:
      return fromUnit(dim, rng.next());
  }
}

/** Maps u ∈ [0, 1) onto a numeric range (log-uniform when asked). */
function fromUnit(dim: Extract<Dimension, { low: number }>, u: number): number {
  const { lo, hi } = bounds(dim);
  const x = lo + u * (hi - lo);
  return toValue(dim, x);
}

/** Working interval: log scale for log ranges; integers widened by a half so each value has equal mass. */
function bounds(dim: Extract<Dimension, { low: number }>): { lo: number; hi: number } {
  const lowV = dim.type === 'int' ? dim.low - 0.5 : dim.low;
  const highV = dim.type === 'int' ? dim.high + 0.5 : dim.high;
  if (dim.log) return { lo: Math.log(Math.max(lowV, dim.low * 0.5)), hi: Math.log(highV) };
  return { lo: lowV, hi: highV };
}

function toValue(dim: Extract<Dimension, { low: number }>, x: number): number {
  const v = dim.log ? Math.exp(x) : x;
  if (dim.type === 'int') return Math.min(dim.high, Math.max(dim.low, Math.round(v)));
  // Six significant digits: readable in reports and exact through a JSON round trip.
  return Math.min(dim.high, Math.max(dim.low, Number(v.toPrecision(6))));
}

function toWorking(dim: Extract<Dimension, { low: number }>, v: number): number {
  return dim.log ? Math.log(v) : v;
}

export interface Observation {
  params: ParamValues;
  /** Larger is better (the caller flips smaller-is-better metrics). */
  score: number;
}

export interface TpeOptions {
  /** Trials drawn at random before the model takes over. */
  startup: number;
  /** Share of observations counted as "good". */
  gamma: number;
  /** Candidates drawn from the good density per parameter; the best l/g ratio wins. */
  candidates: number;
}

const TPE_DEFAULTS: TpeOptions = { startup: 10, gamma: 0.25, candidates: 24 };

/**
 * Independent TPE: per parameter, a Parzen density l(x) over the best γ share of
 * trials and g(x) over the rest; the candidate drawn from l with the largest l/g wins.
 */
export function tpeParams(
  space: SearchSpace,
  seed: number,
  trial: number,
  history: Observation[],
  opts: TpeOptions = TPE_DEFAULTS,
): ParamValues {
  const usable = history.filter((h) => Number.isFinite(h.score));
  if (trial < opts.startup || usable.length < Math.max(2, opts.startup)) return randomParams(space, seed, trial);
  const rng = new Rng(deriveSeed(seed, STREAM, trial, 1));
  const sorted = [...usable].sort((a, b) => b.score - a.score);
  const nGood = Math.max(1, Math.ceil(opts.gamma * sorted.length));
  const good = sorted.slice(0, nGood);
  const bad = sorted.slice(nGood);
  const out: ParamValues = {};
  for (const [key, dim] of Object.entries(space)) {
    if (dim.type === 'fixed') {
      out[key] = dim.value;
      continue;
    }
    if (dim.type === 'choice') {
      const weights = (obs: Observation[]): number[] => {
        const w = dim.values.map(() => 1);
        for (const o of obs) {
          const k = dim.values.indexOf(o.params[key]);
          if (k >= 0) w[k] += 1;
        }
        const s = w.reduce((a, b) => a + b, 0);
        return w.map((x) => x / s);
      };
      const l = weights(good);
      const g = weights(bad);
      let best = 0;
      let bestRatio = -Infinity;
      for (let c = 0; c < opts.candidates; c++) {
        const k = drawIndex(l, rng);
        const ratio = l[k] / g[k];
        if (ratio > bestRatio) {
          bestRatio = ratio;
          best = k;
        }
      }
      out[key] = dim.values[best];
      continue;
    }
    const { lo, hi } = bounds(dim);
    const pts = (obs: Observation[]): number[] =>
      obs
        .map((o) => o.params[key])
        .filter((v): v is number => typeof v === 'number')
        .map((v) => toWorking(dim, v));
    const lPts = pts(good);
    const gPts = pts(bad);
    // Kernel width shrinks slowly with the number of points (Scott's n^-1/5), floored so
    // a handful of good trials cannot collapse the search onto one value.
    const bw = (n: number): number => Math.max((hi - lo) * 0.25 * Math.pow(Math.max(n, 1), -0.2), (hi - lo) * 0.03);
    const density = (x: number, p: number[]): number => {
      // A uniform prior component keeps every region reachable.
      let d = 1 / (hi - lo);
      const h = bw(p.length);
      for (const c of p) d += Math.exp(-0.5 * ((x - c) / h) ** 2) / (h * Math.sqrt(2 * Math.PI));
      return d / (p.length + 1);
    };
    let best = lo;
    let bestRatio = -Infinity;
    for (let c = 0; c < opts.candidates; c++) {
      const k = rng.int(lPts.length + 1);
      let x = lo + rng.next() * (hi - lo);
      if (k < lPts.length) {
        // Truncated rather than clipped: clipping would pile candidates onto the bounds.
        for (let tries = 0; tries < 16; tries++) {
          const z = lPts[k] + gaussian(rng) * bw(lPts.length);
          if (z >= lo && z <= hi) {
            x = z;
            break;
          }
        }
      }
      const ratio = density(x, lPts) / density(x, gPts);
      if (ratio > bestRatio) {
        bestRatio = ratio;
        best = x;
      }
    }
    out[key] = toValue(dim, best);
  }
  // A repeat of an earlier trial teaches nothing: explore at random instead.
  const key = JSON.stringify(out);
  if (history.some((h) => JSON.stringify(pick(h.params, space)) === key)) return randomParams(space, seed, trial);
  return out;
}

function pick(params: ParamValues, space: SearchSpace): ParamValues {
  const out: ParamValues = {};
  for (const k of Object.keys(space)) out[k] = params[k];
  return out;
}

function drawIndex(p: number[], rng: Rng): number {
  let u = rng.next();
  for (let k = 0; k < p.length; k++) {
    u -= p[k];
    if (u < 0) return k;
  }
  return p.length - 1;
}

function gaussian(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
