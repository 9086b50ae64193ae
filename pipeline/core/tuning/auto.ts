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
import { AUTO_ENGINE, ENSEMBLE_ENGINE, engineFactory } from '../engines/index.ts';
import { resolveParams, type ParamValues } from '../engines/params.ts';
import { fitAndScoreFold, higherIsBetter, prepareFolds, type FoldData, type TrainingPool } from './cv.ts';
import { randomParams } from './sampler.ts';
import { orderParams } from './space.ts';
import { resolveSpace } from './tune.ts';
import type { Costs } from '../evaluation/metrics.ts';
import { decodeHeldOut, encodeHeldOut, ensembleOf, type EnsembleChoice, type HeldOut } from './auto-ensemble.ts';
import { foldStats, pairedGap } from './fold-scores.ts';

export type AutoMetric = 'roc_auc' | 'expected_cost';

export interface AutoConfig {
  /** Seconds of fitting the plan may spend, as estimated from the data's shape (never measured). */
  budget_seconds: number;
  engines: string[];
  folds: number;
  metric: AutoMetric;
  /** Also score a soft-voting ensemble of the top finalists (auto-ensemble.ts); absent: false. */
  ensemble?: boolean;
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
  /** With `auto.ensemble`: the soft-voting ensemble of the top finalists, kept (then the winner) or not. */
  ensemble?: EnsembleChoice;
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
  /** Fits done of the current stage's. */
  onProgress?: ProgressCallbacks['onProgress'];
}

export function autoConfigOf(config: MlopsConfig): AutoConfig {
  return config.auto as AutoConfig;
}

/**
 * What every process of one search shares: the engines, the folds of partition 0 (their
 * shapes price the plan) and the plan itself, a function of the data, config and seed only.
 */
export interface AutoSearch {
  config: MlopsConfig;
  cfg: AutoConfig;
  pool: TrainingPool;
  families: Family[];
  plan: AutoPlan;
  /** Prepared folds by encoding key, partition after partition (k folds each). */
  foldSets: Map<string, FoldData[]>;
}

/** Checks the config, prepares partition 0's folds and decides the plan: nothing is fitted yet. */
export function prepareAutoSearch(opts: Pick<AutoOptions, 'config' | 'pool' | 'onStage'>): AutoSearch {
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
  return { config, cfg, pool, families, plan, foldSets };
}

/**
 * The search as a sequence of stages, each a set of independent fits: one stage per rung of
 * the halving, then one for the repeats of a close call (empty when there is none). A stage's
 * fits depend on the scores of the stages before it only, never on each other, so a stage can
 * be spread over processes (fit j to shard j mod N) and merged before the next is decided.
 */
export interface AutoState {
  plan: AutoPlan;
  /** Stages applied so far. */
  stages: number;
  scores: Map<string, number[]>;
  errors: Map<string, string>;
  /** Measured seconds per candidate: the run record's, never part of a decision. */
  seconds: Map<string, number>;
  /** With `auto.ensemble`: per candidate, its held-out rows' probabilities and labels on the first partition's folds. */
  oof: Map<string, { p: Float64Array; y: Uint8Array }[]>;
  /** Candidates of the next rung. */
  alive: Candidate[];
  /** Fixed after the last rung: partitions for the close call, and who is compared on them. */
  repeats: number;
  contenders: Candidate[];
}

/** One fit of a stage: candidate on fold `fold` (partition ⌊fold / k⌋, fold fold mod k of it). */
export interface AutoFit {
  fit: number;
  candidate: string;
  fold: number;
}

export interface AutoFitResult extends AutoFit {
  /** The fold's score; null when it is undefined (e.g. ROC AUC of a one-class fold) or the fit failed. */
  score: number | null;
  /** Why the engine refused the candidate's parameters. */
  error?: string;
  seconds: number;
  /** With `auto.ensemble`, on the first partition's folds: what the ensemble is scored from. */
  held_out?: HeldOut;
}

export function startState(plan: AutoPlan): AutoState {
  return {
    plan,
    stages: 0,
    scores: new Map(plan.candidates.map((c) => [c.id, []])),
    errors: new Map(),
    seconds: new Map(plan.candidates.map((c) => [c.id, 0])),
    oof: new Map(),
    alive: plan.candidates,
    repeats: 1,
    contenders: [],
  };
}

/** Stages of a plan: its rungs, then the repeats of a close call. */
export const stageCount = (plan: AutoPlan): number => plan.rungs.length + 1;

/** The fits of the next stage, numbered in the order one process runs them (none past the last stage). */
export function stageFits(state: AutoState, cfg: AutoConfig): AutoFit[] {
  const { plan, stages: s } = state;
  const out: AutoFit[] = [];
  const add = (c: Candidate, fold: number): number => out.push({ fit: out.length, candidate: c.id, fold });
  if (s < plan.rungs.length) {
    const done = s === 0 ? 0 : plan.rungs[s - 1];
    for (const c of state.alive) for (let f = done; f < plan.rungs[s]; f++) add(c, f);
  } else if (s === plan.rungs.length) {
    for (let r = 1; r < state.repeats; r++)
      for (const c of state.contenders) for (let f = 0; f < cfg.folds; f++) add(c, r * cfg.folds + f);
  }
  return out;
}

/** What the next stage does, for progress lines and the merge's report. */
export function describeStage(state: AutoState, cfg: AutoConfig): string {
  const { plan, stages: s } = state;
  if (s < plan.rungs.length) {
    const done = s === 0 ? 0 : plan.rungs[s - 1];
    const n = state.alive.length;
    return `rung ${s + 1}/${plan.rungs.length}, ${n} candidate${n === 1 ? '' : 's'} on fold${plan.rungs[s] - done === 1 ? '' : 's'} ${done + 1}${plan.rungs[s] - done > 1 ? `–${plan.rungs[s]}` : ''} of ${cfg.folds}`;
  }
  if (s === plan.rungs.length) {
    return state.repeats > 1
      ? `${state.contenders.map((c) => c.id).join(', ')} within one standard error: partitions 2–${state.repeats} of the training rows into ${cfg.folds} folds`
      : 'no close call: nothing to repeat';
  }
  return 'the search is finished';
}

/**
 * Applies a stage's results (every fit of `stageFits`, in any order) and decides the next
 * stage: the cut after a rung, the close call's repeats after the last. A candidate keeps its
 * scores up to its first failed fold, as if its folds had been fitted one after another.
 */
export function applyStage(state: AutoState, cfg: AutoConfig, results: AutoFitResult[], higher: boolean): void {
  for (const r of [...results].sort((a, b) => a.fit - b.fit)) {
    if (state.errors.has(r.candidate)) continue;
    state.seconds.set(r.candidate, state.seconds.get(r.candidate)! + r.seconds);
    if (r.error !== undefined) state.errors.set(r.candidate, r.error);
    else state.scores.get(r.candidate)!.push(r.score ?? NaN);
    if (r.held_out !== undefined && r.error === undefined) {
      const list = state.oof.get(r.candidate) ?? [];
      list[r.fold] = decodeHeldOut(r.held_out);
      state.oof.set(r.candidate, list);
    }
  }
  state.stages++;
  const { plan } = state;
  if (state.stages < plan.rungs.length) state.alive = survivors(state.alive, state.scores, state.errors, higher);
  else if (state.stages === plan.rungs.length) {
    // The rule would pass over the best for a simpler finalist: decide on more partitions, as
    // many as the estimated budget left affords (the estimates, never the clock, so the same
    // data and seed give the same repeats on any machine). The number is fixed before any of
    // them is scored: stopping once the answer changed would bias the choice.
    state.contenders = contendersOf(plan.candidates, state.scores, cfg.folds, higher);
    if (state.contenders.length > 1) {
      const spent = plan.candidates.reduce((t, c) => t + c.fold_fit_s * state.scores.get(c.id)!.length, 0);
      const perRepeat = state.contenders.reduce((t, c) => t + c.fold_fit_s * cfg.folds, 0);
      const left = cfg.budget_seconds - plan.refit_seconds - spent;
      state.repeats = Math.max(1, Math.min(MAX_REPEATS, 1 + Math.floor(left / perRepeat)));
    }
  }
}

/** Runs fits in this process; a candidate's folds after one it failed are not fitted (their result is that failure). */
export async function runFits(
  search: AutoSearch,
  fits: AutoFit[],
  opts: Pick<AutoOptions, 'workers' | 'onStage' | 'onProgress'> & { onResult?: (r: AutoFitResult) => void } = {},
): Promise<AutoFitResult[]> {
  const { config, cfg } = search;
  const failed = new Map<string, string>();
  const out: AutoFitResult[] = [];
  for (const [i, fit] of fits.entries()) {
    const c = search.plan.candidates.find((x) => x.id === fit.candidate)!;
    const family = search.families.find((f) => f.factory.name === c.engine)!;
    const had = failed.get(c.id);
    if (had !== undefined) {
      out.push({ ...fit, score: null, error: had, seconds: 0 });
      opts.onResult?.(out[out.length - 1]);
      continue;
    }
    const start = performance.now();
    let result: AutoFitResult;
    try {
      const fd = foldOf(search, family, fit.fold, opts.onStage);
      const s = await fitAndScoreFold(
        family.factory,
        resolveParams(c.engine, family.factory.paramSpec, c.params),
        fd,
        cfg.metric,
        config.costs,
        config.seed,
        opts.workers,
      );
      result = { ...fit, score: Number.isFinite(s.score) ? s.score : null, seconds: 0 };
      // Held-out rows depend on the labels, k and the partition's seed only, so every encoding's fold f holds the same rows.
      if (cfg.ensemble === true && fit.fold < cfg.folds) result.held_out = encodeHeldOut(s.p, fd.heldOut.y);
    } catch (e) {
      // A parameter combination the engine refuses is a result, not a reason to lose the search.
      if (!isMlopsError(e)) throw e;
      failed.set(c.id, e.message);
      result = { ...fit, score: null, error: e.message, seconds: 0 };
    }
    result.seconds = round((performance.now() - start) / 1000, 3);
    out.push(result);
    opts.onResult?.(result);
    opts.onProgress?.(i + 1, fits.length, 'fits');
  }
  return out;
}

/** Fold `fold` of the family's encoding, preparing its partition of the training rows on first use. */
function foldOf(search: AutoSearch, family: Family, fold: number, onStage?: AutoOptions['onStage']): FoldData {
  const set = search.foldSets.get(family.foldsKey)!;
  const k = search.cfg.folds;
  while (set.length <= fold) {
    const r = set.length / k;
    onStage?.(`auto: partition ${r + 1} of the training rows into ${k} folds (${family.factory.encoding} encoding)`);
    for (const fd of foldsOf(search.pool, k, partitionSeed(search.config.seed, r), family.factory)) set.push(fd);
  }
  return set[fold];
}

/** Runs the plan and returns the selection; the caller refits the winner on all training rows. */
export async function selectModel(opts: AutoOptions): Promise<AutoOutcome> {
  const t0 = performance.now();
  return runAutoSearch(prepareAutoSearch(opts), opts, t0);
}

/** Every stage of a prepared search in this process, one after another; its seconds count from `t0`. */
export async function runAutoSearch(
  search: AutoSearch,
  opts: Pick<AutoOptions, 'workers' | 'onStage' | 'onProgress'> = {},
  t0 = performance.now(),
): Promise<AutoOutcome> {
  const higher = higherIsBetter(search.cfg.metric);
  const state = startState(search.plan);
  while (state.stages < stageCount(search.plan)) {
    const fits = stageFits(state, search.cfg);
    if (fits.length > 0) opts.onStage?.(`auto: ${describeStage(state, search.cfg)}`);
    applyStage(state, search.cfg, await runFits(search, fits, opts), higher);
  }
  return outcomeOf(state, search.cfg, search.config.costs, (performance.now() - t0) / 1000);
}

/** The selection of a finished search, with the measured seconds beside it. */
export function outcomeOf(state: AutoState, cfg: AutoConfig, costs: Costs, seconds: number): AutoOutcome {
  const higher = higherIsBetter(cfg.metric);
  const selection = select(state.plan, cfg, state.repeats, state.scores, state.errors, higher);
  return {
    selection: cfg.ensemble === true ? withEnsemble(selection, state, cfg, costs) : selection,
    fit_seconds: Object.fromEntries([...state.seconds].map(([id, s]) => [id, round(s, 3)])),
    seconds: round(seconds, 3),
  };
}

/**
 * With `auto.ensemble`: the soft-voting ensemble of the top finalists, scored from their
 * out-of-fold probabilities; kept (it heads the leaderboard and is the winner) only when it
 * beats the winner by more than one paired standard error, else listed after the finalists.
 */
function withEnsemble(sel: Selection, state: AutoState, cfg: AutoConfig, costs: Costs): Selection {
  const { choice, why } = ensembleOf({
    folds: cfg.folds,
    metric: cfg.metric,
    higher: sel.higher_is_better,
    costs,
    candidates: state.plan.candidates,
    scores: state.scores,
    oof: state.oof,
    winner: sel.winner,
  });
  if (!choice) return { ...sel, reason: `${sel.reason}; ${why}` };
  const entry: LeaderboardEntry = {
    rank: 0,
    candidate: choice.id,
    engine: ENSEMBLE_ENGINE,
    params: Object.fromEntries(choice.members.map((m) => [m.candidate, round(m.weight, 6)])),
    folds: cfg.folds,
    fold_scores: choice.fold_scores,
    mean: choice.mean,
    sd: choice.sd,
    // No fits of its own: it averages the members' out-of-fold probabilities.
    estimated_fit_s: 0,
    outcome: choice.kept ? 'winner' : 'finalist',
  };
  const rest = sel.leaderboard.map((e) =>
    choice.kept && e.outcome === 'winner' ? { ...e, outcome: 'finalist' as const } : e,
  );
  const at = choice.kept ? 0 : rest.filter((e) => e.folds >= cfg.folds && e.mean !== null).length;
  return {
    ...sel,
    ...(choice.kept ? { winner: choice.id, engine: ENSEMBLE_ENGINE, params: {} } : {}),
    reason: `${sel.reason}; ${why}`,
    leaderboard: [...rest.slice(0, at), entry, ...rest.slice(at)].map((e, i) => ({ ...e, rank: i + 1 })),
    ensemble: choice,
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
    .map((c) => ({ c, ...foldStats(scores.get(c.id)!) }))
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
    .map((c) => ({ c, ...foldStats(scores.get(c.id)!), size: c.size, scores: scores.get(c.id)! }))
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
  const all: Scored[] = plan.candidates.map((c) => ({ c, ...foldStats(scores.get(c.id)!) }));
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
