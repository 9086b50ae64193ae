/**
 * `auto.ensemble`: a soft-voting ensemble of the top finalists, scored from the out-of-fold
 * probabilities the search already made (no extra fits), on the folds every finalist was
 * scored on (the first partition's k), with the search's metric — and kept only when it
 * beats the single winner by more than one paired standard error, the noise the selection
 * rule itself uses. A credit team's default is one explainable model; the ensemble has to
 * earn its place on the same evidence.
 *
 * The out-of-fold probabilities travel with each fit's result (base64 of little-endian
 * doubles, exact), so a sharded search merged from its stage files scores the ensemble
 * on exactly the numbers one process has.
 */
import { num, round } from '../common/format.ts';
import type { Costs } from '../evaluation/metrics.ts';
import type { ParamValues } from '../engines/params.ts';
import { scoreFold, type TuneMetric } from './cv.ts';
import { foldStats, pairedGap } from './fold-scores.ts';

/** Finalists, the best by cross-validated mean first, that vote. */
export const ENSEMBLE_SIZE = 3;

/** One fit's held-out rows: probabilities (base64 of float64 little-endian) and labels ('0'/'1' per row). */
export interface HeldOut {
  p: string;
  y: string;
}

export interface EnsembleMember {
  candidate: string;
  engine: string;
  params: ParamValues;
  weight: number;
}

/** What the selection records of the ensemble, kept or not. */
export interface EnsembleChoice {
  /** e.g. `ensemble of gbdt #3, logistic #1, forest #0`. */
  id: string;
  members: EnsembleMember[];
  /** Its scores on the first partition's folds, against the single winner's on the same folds. */
  fold_scores: (number | null)[];
  mean: number | null;
  sd: number | null;
  /** How far it is ahead of the winner (positive: better) and the paired standard error of that. */
  gap: number | null;
  se: number | null;
  kept: boolean;
}

export function encodeHeldOut(p: Float64Array, y: Uint8Array): HeldOut {
  const bytes = Buffer.alloc(p.length * 8);
  for (let i = 0; i < p.length; i++) bytes.writeDoubleLE(p[i], i * 8);
  let labels = '';
  for (let i = 0; i < y.length; i++) labels += y[i] === 1 ? '1' : '0';
  return { p: bytes.toString('base64'), y: labels };
}

export function decodeHeldOut(h: HeldOut): { p: Float64Array; y: Uint8Array } {
  const bytes = Buffer.from(h.p, 'base64');
  const p = new Float64Array(bytes.length / 8);
  for (let i = 0; i < p.length; i++) p[i] = bytes.readDoubleLE(i * 8);
  return { p, y: Uint8Array.from(h.y, (c) => (c === '1' ? 1 : 0)) };
}

/** What the search knows that the ensemble is decided from. */
export interface EnsembleEvidence {
  folds: number;
  metric: TuneMetric;
  higher: boolean;
  costs: Costs;
  /** In the plan's order (the tie-breaker). */
  candidates: readonly { id: string; engine: string; params: ParamValues }[];
  scores: ReadonlyMap<string, number[]>;
  oof: ReadonlyMap<string, { p: Float64Array; y: Uint8Array }[]>;
  /** The single winner the selection rule chose. */
  winner: string;
}

/**
 * Scores the ensemble of the top finalists against the single winner: the choice (null when
 * there are not two finalists to vote) and why it is kept or not, in words.
 */
export function ensembleOf(ev: EnsembleEvidence): { choice: EnsembleChoice | null; why: string } {
  const { folds: k, higher } = ev;
  const order = new Map(ev.candidates.map((c, i) => [c.id, i]));
  const first = (id: string): number[] => ev.scores.get(id)!.slice(0, k);
  // Ranked on the first partition's folds, which every finalist has (repeats add folds for some only).
  const ranked = ev.candidates
    .filter((c) => {
      const s = first(c.id);
      return s.length === k && s.every(Number.isFinite) && (ev.oof.get(c.id)?.length ?? 0) >= k;
    })
    .map((c) => ({ c, mean: foldStats(first(c.id)).mean! }))
    .sort((a, b) => (higher ? b.mean - a.mean : a.mean - b.mean) || order.get(a.c.id)! - order.get(b.c.id)!);
  if (ranked.length < 2)
    return {
      choice: null,
      why: `no ensemble: it needs two finalists cross-validated on every fold, and there ${ranked.length === 1 ? 'is one' : 'are none'}`,
    };
  const voters = ranked.slice(0, ENSEMBLE_SIZE);
  const weight = 1 / voters.length;
  const members: EnsembleMember[] = voters.map(({ c }) => ({
    candidate: c.id,
    engine: c.engine,
    params: c.params,
    weight,
  }));
  const scores: number[] = [];
  for (let f = 0; f < k; f++) {
    const y = ev.oof.get(voters[0].c.id)![f].y;
    const p = new Float64Array(y.length);
    for (const { c } of voters) {
      const m = ev.oof.get(c.id)![f].p;
      for (let i = 0; i < p.length; i++) p[i] += weight * m[i];
    }
    scores.push(scoreFold(y, p, ev.metric, ev.costs).score);
  }
  const winner = first(ev.winner);
  const ok = scores.every(Number.isFinite);
  const st = ok ? foldStats(scores) : null;
  const w = foldStats(winner);
  // gap > 0: the ensemble is better (the winner is "behind" it); the noise is the standard error of the paired fold differences.
  const { gap, se } = ok ? pairedGap(scores, winner, higher) : { gap: null, se: null };
  const kept = gap !== null && se !== null && gap > se;
  const names = members.map((m) => m.candidate);
  const list = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const its = st ? `${num(st.mean)} ± ${num(st.sd)}` : 'n/a';
  const vs = `${ev.winner} (${num(w.mean)} ± ${num(w.sd)}) on the ${k} folds of the first partition`;
  const why = !ok
    ? `the soft-voting ensemble of ${list} could not be scored on every fold, so ${ev.winner} is kept`
    : kept
      ? `the soft-voting ensemble of ${list} (equal weights; ${its}) beats ${vs} by ${num(gap)}, more than the standard error of ${num(se)} on the paired fold differences, so the model is the ensemble`
      : `the soft-voting ensemble of ${list} (equal weights; ${its}) is ${gap! >= 0 ? `${num(gap)} ahead of` : `${num(-gap!)} behind`} ${vs}, not more than the standard error of ${num(se)} on the paired fold differences, so ${ev.winner} is kept`;
  return {
    choice: {
      id: `ensemble of ${names.join(', ')}`,
      members,
      fold_scores: scores.map((x) => (Number.isFinite(x) ? round(x, 6) : null)),
      mean: st ? round(st.mean!, 6) : null,
      sd: st ? round(st.sd!, 6) : null,
      gap: gap === null ? null : round(gap, 6),
      se: se === null ? null : round(se, 6),
      kept,
    },
    why,
  };
}
