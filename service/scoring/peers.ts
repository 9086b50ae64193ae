/**
 * "Compare with similar clients": the reference applicants (a labelled sample the
 * service is given) who share the chosen attributes with an applicant — the same
 * category, or the same quartile band for a numeric attribute — with their default rate
 * and, for the model's top features, where the applicant sits among them.
 */
import { type Dataset, type DataSchema, inputError, num, percentileOf } from '../../pipeline/core/index.ts';

export interface Reference {
  ds: Dataset;
  /** Model probability for every reference row. */
  scores: Float64Array;
}

export interface Band {
  attribute: string;
  /** e.g. "Age 30–37" or "Home = rent"; "missing" when the applicant's value is missing. */
  label: string;
}

export interface FeatureSpread {
  feature: string;
  kind: 'numeric' | 'categorical';
  applicant: number | string | null;
  /** Numeric: p10, p25, p50, p75, p90 of the group. */
  quantiles?: [number, number, number, number, number];
  /** Numeric: share of the group below the applicant's value, ties counted half (0–100). */
  percentile?: number;
  /** Categorical: share of the group in each category, most common first (top 6). */
  shares?: { category: string; share: number }[];
}

export interface PeerGroup {
  bands: Band[];
  size: number;
  /** Share of the group that defaulted (null when the sample has no labels). */
  default_rate: number | null;
  /** Mean model probability in the group. */
  mean_score: number;
  /** Histogram of the group's model probabilities: 20 equal-width buckets over [0, 1]. */
  score_counts: number[];
  features: FeatureSpread[];
}

export interface ScorePosition {
  /** Histogram of reference scores: `bins` equal-width buckets over [0, 1]. */
  counts: number[];
  bins: number;
  /** Share of reference applicants with a lower score (0–100). */
  percentile: number;
}

const QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9];
const SCORE_BINS = 20;

export function scorePosition(reference: Reference, probability: number, bins = 20): ScorePosition {
  const counts = new Array<number>(bins).fill(0);
  let below = 0;
  for (const s of reference.scores) {
    counts[Math.min(bins - 1, Math.floor(s * bins))]++;
    if (s < probability) below++;
  }
  return { counts, bins, percentile: reference.scores.length ? (100 * below) / reference.scores.length : 0 };
}

export function peerGroup(
  reference: Reference,
  schema: DataSchema,
  applicant: Record<string, unknown>,
  attributes: string[],
  topFeatures: string[],
): PeerGroup {
  const { ds } = reference;
  const known = new Map(schema.features.map((f) => [f.name, f]));
  for (const a of attributes)
    if (!known.has(a))
      throw inputError(`"${a}" is not an attribute of this model (attributes: ${[...known.keys()].join(', ')})`);
  if (attributes.length === 0 || attributes.length > 2) throw inputError('choose one or two attributes to compare on');
  let members = Array.from({ length: ds.rows }, (_, i) => i);
  const bands: Band[] = [];
  for (const a of attributes) {
    const f = known.get(a)!;
    const v = applicant[a];
    if (f.kind === 'numeric') {
      const col = ds.numeric.get(a)!;
      const x = typeof v === 'number' ? v : v === null || v === undefined || v === '' ? NaN : Number(v);
      if (Number.isNaN(x)) {
        members = members.filter((i) => Number.isNaN(col[i]));
        bands.push({ attribute: a, label: `${a} missing` });
        continue;
      }
      const sorted = Float64Array.from(col.filter((c) => !Number.isNaN(c))).sort();
      const edges = [0.25, 0.5, 0.75].map((q) => quantile(sorted, q));
      const band = edges.filter((e) => x > e).length;
      const lo = band === 0 ? -Infinity : edges[band - 1];
      const hi = band === 3 ? Infinity : edges[band];
      members = members.filter((i) => col[i] > lo && col[i] <= hi);
      const label =
        band === 0 ? `${a} ≤ ${num(hi, 1)}` : band === 3 ? `${a} > ${num(lo, 1)}` : `${a} ${num(lo, 1)}–${num(hi, 1)}`;
      bands.push({ attribute: a, label });
    } else {
      const col = ds.categorical.get(a)!;
      const c = v === null || v === undefined || v === '' ? null : String(v);
      members = members.filter((i) => col[i] === c);
      bands.push({ attribute: a, label: c === null ? `${a} missing` : `${a} = ${c}` });
    }
  }
  const y = ds.y;
  const size = members.length;
  const defaultRate = y && size ? members.reduce((s, i) => s + y[i], 0) / size : null;
  const meanScore = size ? members.reduce((s, i) => s + reference.scores[i], 0) / size : 0;
  const scoreCounts = new Array<number>(SCORE_BINS).fill(0);
  for (const i of members) scoreCounts[Math.min(SCORE_BINS - 1, Math.floor(reference.scores[i] * SCORE_BINS))]++;
  const features: FeatureSpread[] = topFeatures
    .filter((t) => known.has(t))
    .map((name) => {
      const f = known.get(name)!;
      const v = applicant[name];
      if (f.kind === 'numeric') {
        const col = ds.numeric.get(name)!;
        const vals = Float64Array.from(members.map((i) => col[i]).filter((x) => !Number.isNaN(x))).sort();
        const x = typeof v === 'number' ? v : v === null || v === undefined || v === '' ? null : Number(v);
        const spread: FeatureSpread = { feature: name, kind: 'numeric', applicant: x };
        if (vals.length) {
          spread.quantiles = QUANTILES.map((q) => quantile(vals, q)) as FeatureSpread['quantiles'];
          if (x !== null && Number.isFinite(x)) spread.percentile = percentileOf(vals, x);
        }
        return spread;
      }
      const col = ds.categorical.get(name)!;
      const counts = new Map<string, number>();
      for (const i of members) {
        const c = col[i] ?? '(missing)';
        counts.set(c, (counts.get(c) ?? 0) + 1);
      }
      const shares = [...counts.entries()]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 6)
        .map(([category, n]) => ({ category, share: n / Math.max(1, size) }));
      return {
        feature: name,
        kind: 'categorical',
        applicant: v === null || v === undefined ? null : String(v),
        shares,
      };
    });
  return { bands, size, default_rate: defaultRate, mean_score: meanScore, score_counts: scoreCounts, features };
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
