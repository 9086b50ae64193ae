/**
 * `engine: auto`: choose the engine and its parameters by stratified k-fold cross-validation
 * on the training rows, within a time budget, the way AutoML systems do — and deterministically.
 *
 * The budget decides the plan before anything is fitted: each engine declares what one fit
 * costs from the parameters and the data's shape (`EngineFactory.fitSeconds`), and the plan
 * takes as many random draws per engine (the `mlops tune` sampler, same streams) as the
 * successive-halving schedule can afford when the costliest candidates survive every cut.
 * The wall clock is never read to decide anything, so the same data, config and seed give
 * the same leaderboard and the same model whatever the machine's load.
 *
 * Successive halving with the folds as the resource: every candidate is scored on the
 * first fold; the best third overall, plus the best of each engine, go on to the next
 * folds (1 → 2 → 4 … → k); the finalists are scored on all k folds. Keeping each engine's
 * best to the end gives the leaderboard a fully cross-validated line per engine, which the
 * one-standard-error rule needs to be able to prefer the simpler model.
 *
 * When that rule would pass over the best finalist for a simpler one, the decision is made
 * on more evidence: the best and the simpler finalists within one standard error of it are
 * cross-validated again on fresh stratified partitions of the training rows, as many as the
 * budget left by the halving affords (estimated, up to `MAX_REPEATS` partitions in all),
 * and the rule is applied to all their folds. One partition of a few thousand rows can put
 * the difference between two candidates far from its average over partitions.
 */
import { performance } from 'node:perf_hooks';
import { configError, isMlopsError, usageError } from '../common/errors.ts';
import { deriveSeed } from '../common/random.ts';
import { num, round } from '../common/format.ts';
import type { ProgressCallbacks } from '../common/progress.ts';
import type { MlopsConfig } from '../config/types.ts';
import type { EngineFactory, FitShape, SearchSpace } from '../engines/engine.ts';
import { AUTO_ENGINE, engineFactory } from '../engines/index.ts';
import { resolveParams, type ParamValues } from '../engines/params.ts';
import { fitAndScoreFold, higherIsBetter, prepareFolds, type FoldData, type TrainingPool } from './cv.ts';
import { randomParams } from './sampler.ts';
import { orderParams } from './space.ts';
import { resolveSpace } from './tune.ts';

export type AutoMetric = 'roc_auc' | 'expected_cost';

export interface AutoConfig {
  /** Seconds of fitting the plan may spend, as estimated from the data's shape (never measured). */
  budget_seconds: number;
  engines: string[];
  folds: number;
  metric: AutoMetric;
}

/** Keep the best 1/ETA of the candidates at each cut. */
const ETA = 3;
/** Draws per engine at most, on top of its defaults: a small search, as the issue asks. */
const MAX_DRAWS = 12;
/** Partitions of the training rows into k folds at most for the final comparison. */
export const MAX_REPEATS = 5;

export interface Candidate {
  /** e.g. `gbdt #3`: draw 3 of gbdt's space (`mlops tune` trial 3 with the same seed); #0 is the defaults. */
  id: string;
  engine: string;
  draw: number;
  /** The searched parameters (the defaults' values for #0); the rest are the engine's defaults. */
  params: ParamValues;
  /** Estimated seconds of one fold's fit. */
  fold_fit_s: number;
  /** Trees (0 for a linear model): the tie-breaker between candidates within one standard error. */
  size: number;
}

export interface AutoPlan {
  candidates: Candidate[];
  /** Folds scored by the end of each rung, e.g. [1, 2, 4]. */
  rungs: number[];
  /** Estimated seconds when the costliest candidates survive every cut, refit included. */
  planned_seconds: number;
  /** Estimated seconds of the costliest refit, part of planned_seconds. */
  refit_seconds: number;
}

export interface LeaderboardEntry {
  rank: number;
  candidate: string;
  engine: string;
  params: ParamValues;
  /** Folds it was scored on (k for finalists). */
  folds: number;
  fold_scores: (number | null)[];
  mean: number | null;
  sd: number | null;
  /** Estimated fit seconds over its folds (the plan's figure: the same on every machine). */
  estimated_fit_s: number;
  /** Why it is not the winner, or why it is. */
  outcome: 'winner' | 'finalist' | 'dropped' | 'failed';
  error?: string;
}

/** What the bundle records: deterministic for a seed, so the same data gives the same bytes. */
export interface Selection {
  method: 'successive-halving';
  metric: AutoMetric;
  higher_is_better: boolean;
  /** k: folds per partition. */
  folds: number;
  /**
   * Partitions of the training rows into k folds the final comparison used: the contenders
   * have folds × repeats scores, the other finalists folds (absent: 1, as in bundles made before).
   */
  repeats?: number;
  rungs: number[];
  eta: number;
  budget_seconds: number;
  planned_seconds: number;
  winner: string;
  engine: string;
  params: ParamValues;
  reason: string;
  leaderboard: LeaderboardEntry[];
}

export interface AutoOutcome {
  selection: Selection;
  /** Measured seconds per candidate, summed over its folds (the run record's, never the bundle's). */
  fit_seconds: Record<string, number>;
  seconds: number;
}

export interface Family {
  factory: EngineFactory;
  space: SearchSpace;
  shape: FitShape;
  /** Index of the folds prepared for its encoding. */
  foldsKey: string;
}

/** Folds scored by the end of each rung: doubling from one up to k. */
export function rungsFor(k: number): number[] {
  const out: number[] = [];
  for (let f = 1; f < k; f *= 2) out.push(f);
  out.push(k);
  return out;
}

function candidatesOf(family: Family, draws: number, seed: number): Candidate[] {
  const { factory, space, shape } = family;
  const defaults = resolveParams(factory.name, factory.paramSpec, {});
  const out: Candidate[] = [];
  for (let d = 0; d <= draws; d++) {
    const drawn = d === 0 ? {} : randomParams(space, seed, d);
    const searched: ParamValues = {};
    for (const k of Object.keys(space)) searched[k] = Object.hasOwn(drawn, k) ? drawn[k] : defaults[k];
    const resolved = resolveParams(factory.name, factory.paramSpec, searched);
    out.push({
      id: `${factory.name} #${d}`,
      engine: factory.name,
      draw: d,
      params: orderParams(space, searched),
      fold_fit_s: factory.fitSeconds!(resolved, shape),
      size: factory.size?.(resolved) ?? 0,
    });
  }
  return out;
}

/** Estimated seconds of a schedule when the costliest candidates survive every cut. */
function scheduleCost(candidates: Candidate[], rungs: number[], families: number, refit: number): number {
  const costs = candidates.map((c) => c.fold_fit_s).sort((a, b) => b - a);
  let alive = candidates.length;
  let total = 0;
  let done = 0;
  for (const folds of rungs) {
    for (let i = 0; i < alive; i++) total += costs[i] * (folds - done);
    done = folds;
    alive = Math.min(alive, Math.ceil(alive / ETA) + families);
  }
  return total + refit;
}

/**
 * The plan a budget affords: the most draws per engine (the same for each) whose schedule
 * fits; below the engines' defaults alone, the cheapest engines' defaults; below the
 * cheapest candidate, an error naming `auto.budget_seconds`.
 */
export function planAuto(
  families: Family[],
  cfg: AutoConfig,
  seed: number,
  refitShape: (f: Family) => FitShape,
): AutoPlan {
  const rungs = rungsFor(cfg.folds);
  const refit = (cs: Candidate[]): number =>
    cs.reduce((most, c) => {
      const f = families.find((x) => x.factory.name === c.engine)!;
      return Math.max(
        most,
        f.factory.fitSeconds!(resolveParams(c.engine, f.factory.paramSpec, c.params), refitShape(f)),
      );
    }, 0);
  const plan = (cs: Candidate[], n: number): AutoPlan => {
    const r = refit(cs);
    return { candidates: cs, rungs, planned_seconds: round(scheduleCost(cs, rungs, n, r), 3), refit_seconds: r };
  };
  for (let draws = MAX_DRAWS; draws >= 0; draws--) {
    const p = plan(
      families.flatMap((f) => candidatesOf(f, draws, seed)),
      families.length,
    );
    if (p.planned_seconds <= cfg.budget_seconds) return p;
  }
  // Too little for every engine's defaults: the cheapest engines first.
  const defaults = families
    .map((f) => candidatesOf(f, 0, seed)[0])
    .sort((a, b) => a.fold_fit_s - b.fold_fit_s || (a.engine < b.engine ? -1 : 1));
  for (let n = defaults.length - 1; n >= 1; n--) {
    const p = plan(defaults.slice(0, n), n);
    if (p.planned_seconds <= cfg.budget_seconds) return p;
  }
  const cheapest = plan(defaults.slice(0, 1), 1);
  throw configError(
    `auto.budget_seconds is ${cfg.budget_seconds} s, too small for even one candidate: the cheapest, ${defaults[0].id} (${defaults[0].engine}'s defaults), needs about ${cheapest.planned_seconds} s for ${cfg.folds}-fold cross-validation and the refit; raise auto.budget_seconds to at least ${Math.ceil(cheapest.planned_seconds * 10) / 10}`,
  );
}

export interface AutoOptions {
  config: MlopsConfig;
  /** The training rows: cross-validation never sees the validation or test rows. */
  pool: TrainingPool;
  workers?: number;
  onStage?: ProgressCallbacks['onStage'];
  /** Candidates done of the current rung's. */
  onProgress?: ProgressCallbacks['onProgress'];
}

export function autoConfigOf(config: MlopsConfig): AutoConfig {
  return config.auto as AutoConfig;
}

/** Runs the plan and returns the selection; the caller refits the winner on all training rows. */
export async function selectModel(opts: AutoOptions): Promise<AutoOutcome> {
  const t0 = performance.now();
  const { config, pool } = opts;
  const cfg = autoConfigOf(config);
  if (Object.keys(config.engine.params).length > 0) {
    throw usageError(
      `engine "auto" chooses the parameters itself; remove engine.params (got ${Object.keys(config.engine.params).join(', ')}) or name an engine`,
    );
  }
  const factories = cfg.engines.map((name) => {
    if (name === AUTO_ENGINE) throw configError('auto.engines cannot name "auto" itself');
    const f = engineFactory(name);
    if (!f.fitSeconds)
      throw configError(`auto.engines: engine "${name}" declares no fit-cost estimate, so "auto" cannot plan for it`);
    return f;
  });
  const foldSets = new Map<string, FoldData[]>();
  const families: Family[] = [];
  for (const factory of factories) {
    const key = `${factory.encoding}/${factory.usesValidation}`;
    if (!foldSets.has(key)) {
      opts.onStage?.(
        `auto: preparing ${cfg.folds} stratified folds (${factory.encoding} encoding${factory.usesValidation ? ', early-stopping rows set aside' : ''})`,
      );
      foldSets.set(key, foldsOf(pool, cfg.folds, partitionSeed(config.seed, 0), factory));
    }
    const fd = foldSets.get(key)![0];
    families.push({
      factory,
      space: resolveSpace(factory, config),
      shape: { rows: fd.train.X.rows, columns: fd.train.X.columns.length },
      foldsKey: key,
    });
  }
  const plan = planAuto(families, cfg, config.seed, (f) => ({
    rows: pool.pool.rows,
    columns: foldSets.get(f.foldsKey)![0].train.X.columns.length,
  }));
  const higher = higherIsBetter(cfg.metric);
  const scores = new Map<string, number[]>(plan.candidates.map((c) => [c.id, []]));
  const errors = new Map<string, string>();
  const seconds = new Map<string, number>(plan.candidates.map((c) => [c.id, 0]));
  /** Scores candidate c on folds [from, to) of the partitions prepared so far. */
  const score = async (c: Candidate, from: number, to: number): Promise<void> => {
    const family = families.find((f) => f.factory.name === c.engine)!;
    const resolved = resolveParams(c.engine, family.factory.paramSpec, c.params);
    for (let f = from; f < to && !errors.has(c.id); f++) {
      const start = performance.now();
      try {
        const s = await fitAndScoreFold(
          family.factory,
          resolved,
          foldSets.get(family.foldsKey)![f],
          cfg.metric,
          config.costs,
          config.seed,
          opts.workers,
        );
        scores.get(c.id)!.push(s.score);
      } catch (e) {
        // A parameter combination the engine refuses is a result, not a reason to lose the search.
        if (!isMlopsError(e)) throw e;
        errors.set(c.id, e.message);
      }
      seconds.set(c.id, seconds.get(c.id)! + (performance.now() - start) / 1000);
    }
  };
  let alive = plan.candidates;
  let done = 0;
  for (const [r, folds] of plan.rungs.entries()) {
    opts.onStage?.(
      `auto: rung ${r + 1}/${plan.rungs.length}, ${alive.length} candidate${alive.length === 1 ? '' : 's'} on fold${folds - done === 1 ? '' : 's'} ${done + 1}${folds - done > 1 ? `–${folds}` : ''} of ${cfg.folds}`,
    );
    for (const [i, c] of alive.entries()) {
      await score(c, done, folds);
      opts.onProgress?.(i + 1, alive.length, 'candidates');
    }
    done = folds;
    if (r < plan.rungs.length - 1) alive = survivors(alive, scores, errors, higher);
  }
  // The rule would pass over the best for a simpler finalist: decide on more partitions, as
  // many as the estimated budget left affords (the estimates, never the clock, so the same
  // data and seed give the same repeats on any machine). The number is fixed before any of
  // them is scored: stopping once the answer changed would bias the choice.
  const contenders = contendersOf(plan.candidates, scores, cfg.folds, higher);
  let repeats = 1;
  if (contenders.length > 1) {
    const spent = plan.candidates.reduce((t, c) => t + c.fold_fit_s * scores.get(c.id)!.length, 0);
    const perRepeat = contenders.reduce((t, c) => t + c.fold_fit_s * cfg.folds, 0);
    const left = cfg.budget_seconds - plan.refit_seconds - spent;
    repeats = Math.max(1, Math.min(MAX_REPEATS, 1 + Math.floor(left / perRepeat)));
    for (let r = 1; r < repeats; r++) {
      opts.onStage?.(
        `auto: ${contenders.map((c) => c.id).join(', ')} within one standard error: partition ${r + 1}/${repeats} of the training rows into ${cfg.folds} folds`,
      );
      for (const key of new Set(contenders.map((c) => families.find((f) => f.factory.name === c.engine)!.foldsKey))) {
        const factory = families.find((f) => f.foldsKey === key)!.factory;
        for (const fd of foldsOf(pool, cfg.folds, partitionSeed(config.seed, r), factory)) foldSets.get(key)!.push(fd);
      }
      for (const c of contenders) await score(c, r * cfg.folds, (r + 1) * cfg.folds);
    }
  }
  const selection = select(plan, cfg, repeats, scores, errors, higher);
  return {
    selection,
    fit_seconds: Object.fromEntries([...seconds].map(([id, s]) => [id, round(s, 3)])),
    seconds: round((performance.now() - t0) / 1000, 3),
  };
}

/** Partition r's fold seed: the first is `mlops tune`'s, so one repeat is plain k-fold cross-validation. */
function partitionSeed(seed: number, r: number): number {
  return r === 0 ? seed : deriveSeed(seed, 606, r);
}

function foldsOf(pool: TrainingPool, k: number, seed: number, factory: EngineFactory): FoldData[] {
  return prepareFolds(pool, {
    k,
    seed,
    encoding: factory.encoding,
    sampling: { method: 'none' },
    earlyStopping: factory.usesValidation,
  });
}

interface Scored {
  c: Candidate;
  mean: number | null;
  sd: number | null;
}

function stats(xs: number[]): { mean: number | null; sd: number | null } {
  if (xs.length === 0 || !xs.every(Number.isFinite)) return { mean: null, sd: null };
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** Better first; failed last; ties keep the plan's order (engine order, then draw). */
function byScore(higher: boolean, order: Map<string, number>) {
  return (a: Scored, b: Scored): number => {
    if (a.mean === null || b.mean === null) return (a.mean === null ? 1 : 0) - (b.mean === null ? 1 : 0);
    const d = higher ? b.mean - a.mean : a.mean - b.mean;
    return d !== 0 ? d : order.get(a.c.id)! - order.get(b.c.id)!;
  };
}

function survivors(
  alive: Candidate[],
  scores: Map<string, number[]>,
  errors: Map<string, string>,
  higher: boolean,
): Candidate[] {
  const order = new Map(alive.map((c, i) => [c.id, i]));
  const ranked = alive
    .filter((c) => !errors.has(c.id))
    .map((c) => ({ c, ...stats(scores.get(c.id)!) }))
    .filter((s) => s.mean !== null)
    .sort(byScore(higher, order));
  const keep = new Set(ranked.slice(0, Math.ceil(alive.length / ETA)).map((s) => s.c.id));
  const engines = new Set<string>();
  for (const s of ranked) {
    if (engines.has(s.c.engine)) continue;
    engines.add(s.c.engine);
    keep.add(s.c.id);
  }
  return alive.filter((c) => keep.has(c.id));
}

/**
 * How far `other` is behind `best` and the noise of that gap. Every candidate is scored on the
 * same folds, and folds differ in difficulty for every candidate alike, so the noise is the
 * standard error of the per-fold differences (paired), not that of either mean: with few
 * folds the spread of each mean is mostly the folds' difficulty, which cancels in the
 * difference. A positive gap means `other` is worse.
 */
export function pairedGap(best: number[], other: number[], higher: boolean): { gap: number; se: number } {
  if (best.length !== other.length || best.length < 2)
    throw new Error(`paired fold scores must have the same length ≥ 2 (got ${best.length} and ${other.length})`);
  const st = stats(best.map((b, i) => (higher ? b - other[i] : other[i] - b)));
  return { gap: st.mean!, se: st.sd! / Math.sqrt(best.length) };
}

export interface RuleInput {
  /** Trees (0 for a linear model). */
  size: number;
  /** Fold scores, on the same folds as every other input's. */
  scores: number[];
}

/**
 * The one-standard-error rule over finalists ranked best first, all scored on the same
 * folds: those within one paired standard error of the best cannot be told apart from it by
 * the data, and among them the simplest wins (a linear model, then fewer trees), then the
 * better rank.
 */
export function oneSeRule<T extends RuleInput>(ranked: T[], higher: boolean): { best: T; close: T[]; winner: T } {
  const best = ranked[0];
  const close = ranked.filter(
    (s) => s === best || pairedGap(best.scores, s.scores, higher).gap <= pairedGap(best.scores, s.scores, higher).se,
  );
  const winner = close.reduce((w, s) => (s.size < w.size ? s : w));
  return { best, close, winner };
}

interface Ranked extends Scored, RuleInput {}

/** Finalists on `folds` folds or more, the most folds first, then the better mean. */
function rankFinalists(
  candidates: Candidate[],
  scores: Map<string, number[]>,
  folds: number,
  higher: boolean,
): Ranked[] {
  const order = new Map(candidates.map((c, i) => [c.id, i]));
  return candidates
    .map((c) => ({ c, ...stats(scores.get(c.id)!), size: c.size, scores: scores.get(c.id)! }))
    .filter((s) => s.scores.length >= folds && s.mean !== null)
    .sort((a, b) => b.scores.length - a.scores.length || byScore(higher, order)(a, b));
}

/** After the halving: the best and the simpler finalists within one standard error of it, when the rule would pass over the best. */
function contendersOf(candidates: Candidate[], scores: Map<string, number[]>, k: number, higher: boolean): Candidate[] {
  const ranked = rankFinalists(candidates, scores, k, higher);
  if (ranked.length === 0) return [];
  const { best, close, winner } = oneSeRule(ranked, higher);
  return winner === best ? [] : [best, ...close.filter((s) => s.size < best.size)].map((s) => s.c);
}

function select(
  plan: AutoPlan,
  cfg: AutoConfig,
  repeats: number,
  scores: Map<string, number[]>,
  errors: Map<string, string>,
  higher: boolean,
): Selection {
  const k = cfg.folds;
  const order = new Map(plan.candidates.map((c, i) => [c.id, i]));
  const all: Scored[] = plan.candidates.map((c) => ({ c, ...stats(scores.get(c.id)!) }));
  const finalists = rankFinalists(plan.candidates, scores, k, higher);
  if (finalists.length === 0) {
    throw configError(
      `engine "auto": no candidate could be cross-validated (${[...errors.values()][0] ?? 'every fold score was undefined'})`,
    );
  }
  // The rule compares those scored on the most folds: every finalist, or, after repeats, the contenders.
  const top = finalists.filter((s) => s.scores.length === finalists[0].scores.length);
  const { best, close, winner } = oneSeRule(top, higher);
  const metricName = cfg.metric === 'roc_auc' ? 'ROC AUC' : 'expected cost';
  const meanSd = (s: Scored): string => `${num(s.mean)} ± ${num(s.sd)}`;
  const vs = pairedGap(best.scores, winner.scores, higher);
  const cv = repeats > 1 ? `${repeats} × ${k}-fold` : `${k}-fold`;
  const again =
    repeats > 1
      ? `; ${k} folds could not tell ${top.map((s) => s.c.id).join(', ')} apart, so they were cross-validated on ${repeats - 1} more partition${repeats > 2 ? 's' : ''} of the training rows`
      : '';
  const reason =
    winner === best
      ? `${best.c.id} has the best ${cv} cross-validated ${metricName} (${meanSd(best)})${close.length > 1 ? `; ${close.length - 1} other finalist${close.length > 2 ? 's are' : ' is'} within one standard error of it but none is simpler` : ''}${again}`
      : `${winner.c.id} (${meanSd(winner)}) is within one standard error of the best, ${best.c.id} (${meanSd(best)}), on ${cv} cross-validation: ${vs.gap.toFixed(4)} behind, with a standard error of ${vs.se.toFixed(4)} on the paired fold differences; it is simpler (${winner.c.size === 0 ? 'a linear model' : `${winner.c.size} trees against ${best.c.size}`}), so it is preferred${again}`;
  const finalIds = new Set(finalists.map((s) => s.c.id));
  const rest = all.filter((s) => !finalIds.has(s.c.id));
  rest.sort((a, b) => scores.get(b.c.id)!.length - scores.get(a.c.id)!.length || byScore(higher, order)(a, b));
  const leaderboard = [...finalists, ...rest].map((s, i): LeaderboardEntry => ({
    rank: i + 1,
    candidate: s.c.id,
    engine: s.c.engine,
    params: s.c.params,
    folds: scores.get(s.c.id)!.length,
    fold_scores: scores.get(s.c.id)!.map((x) => (Number.isFinite(x) ? round(x, 6) : null)),
    mean: s.mean === null ? null : round(s.mean, 6),
    sd: s.sd === null ? null : round(s.sd, 6),
    estimated_fit_s: round(s.c.fold_fit_s * scores.get(s.c.id)!.length, 3),
    outcome: s === winner ? 'winner' : errors.has(s.c.id) ? 'failed' : finalIds.has(s.c.id) ? 'finalist' : 'dropped',
    ...(errors.has(s.c.id) ? { error: errors.get(s.c.id) } : {}),
  }));
  return {
    method: 'successive-halving',
    metric: cfg.metric,
    higher_is_better: higher,
    folds: k,
    repeats,
    rungs: plan.rungs,
    eta: ETA,
    budget_seconds: cfg.budget_seconds,
    planned_seconds: plan.planned_seconds,
    winner: winner.c.id,
    engine: winner.c.engine,
    params: winner.c.params,
    reason,
    leaderboard,
  };
}
