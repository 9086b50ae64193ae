/**
 * Percentile bootstrap confidence intervals of test metrics: resample the test rows
 * with replacement (seeded, so a report regenerates identically) and take the 2.5 and
 * 97.5 percentiles of each metric. Tells a reader whether a 0.005 AUC difference means
 * anything on 900 rows (usually not).
 */
import {
  computeMetrics,
  METRIC_NAMES,
  type Costs,
  type ProgressCallbacks,
  type SplitMetrics,
  Rng,
  deriveSeed,
} from '../../core/index.ts';

export interface MetricInterval {
  metric: keyof SplitMetrics;
  value: number | null;
  lo: number | null;
  hi: number | null;
}

/** Every metric the core computes, in its order. */
export const CI_METRICS = METRIC_NAMES as (keyof SplitMetrics)[];

export function bootstrapIntervals(
  y: Uint8Array,
  p: Float64Array,
  threshold: number,
  costs: Costs,
  opts: { resamples?: number; seed?: number; level?: number } & Pick<ProgressCallbacks, 'onProgress'> = {},
): MetricInterval[] {
  const B = opts.resamples ?? 500;
  const level = opts.level ?? 0.95;
  const n = y.length;
  const point = computeMetrics(y, p, threshold, costs);
  const samples = new Map<keyof SplitMetrics, number[]>(CI_METRICS.map((m) => [m, []]));
  const rng = new Rng(deriveSeed(opts.seed ?? 0, 404));
  const yb = new Uint8Array(n);
  const pb = new Float64Array(n);
  for (let b = 0; b < B && n > 0; b++) {
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      yb[i] = y[k];
      pb[i] = p[k];
    }
    const m = computeMetrics(yb, pb, threshold, costs);
    opts.onProgress?.(b + 1, B, 'resamples');
    for (const name of CI_METRICS) {
      const v = m[name];
      if (typeof v === 'number' && Number.isFinite(v)) samples.get(name)!.push(v);
    }
  }
  const q = (sorted: number[], f: number): number => {
    const pos = (sorted.length - 1) * f;
    const lo = Math.floor(pos);
    return sorted[lo] + (sorted[Math.ceil(pos)] - sorted[lo]) * (pos - lo);
  };
  return CI_METRICS.map((metric) => {
    const s = samples.get(metric)!.sort((a, b) => a - b);
    const value = point[metric] as number | null;
    if (s.length < 10) return { metric, value, lo: null, hi: null };
    return { metric, value, lo: q(s, (1 - level) / 2), hi: q(s, 1 - (1 - level) / 2) };
  });
}
