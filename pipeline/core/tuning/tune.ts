/**
 * Hyperparameter search: plan the trials, prepare the cross-validation folds once,
 * then run this shard's trials, recording each to the runs file as it finishes.
 * Trial 0 is the baseline — the parameters the config already has — so every search
 * reports how much it really gains over doing nothing.
 */
import { performance } from 'node:perf_hooks';
import type { ProgressCallbacks } from '../common/progress.ts';
import { Worker } from 'node:worker_threads';
import { engineFactory } from '../engines/index.ts';
import type { EngineFactory, SearchSpace } from '../engines/engine.ts';
import { resolveParams, type ParamValues } from '../engines/params.ts';
import type { MlopsConfig } from '../config/types.ts';
import { isMlopsError, usageError } from '../common/errors.ts';
import {
  crossValidate,
  higherIsBetter,
  readTrainingPool,
  prepareFolds,
  type FoldData,
  type FoldScores,
  type TrainingPool,
  type TuneMetric,
} from './cv.ts';
import type { TrialRequest, TrialResponse, WorkerInit } from './trial-protocol.ts';
import { samplingLabel, type Sampling } from './imbalance.ts';
import { randomParams, tpeParams, type Observation } from './sampler.ts';
import { defaultSpace, orderParams, parseSpace, validateSpace } from './space.ts';
import { appendTrial, startRunsFile, TUNE_FORMAT, type TrialRecord, type TunePlan } from './runs-file.ts';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface TuneOptions {
  config: MlopsConfig;
  baseDir: string;
  /** Engine to tune (default: the config's). */
  engine?: string;
  /** Searched trials; trial 0, the baseline, comes on top. */
  trials: number;
  folds: number;
  metric: TuneMetric;
  sampler: 'random' | 'tpe';
  sampling: Sampling;
  /** Overrides the config's `tune.spaces[engine]` and the engine's default space. */
  space?: SearchSpace;
  /** Where `space` came from, for error messages (e.g. the --space file). */
  spaceSource?: string;
  shard?: Shard;
  workers?: number;
  /** Trials cross-validated side by side in worker threads (random search only). */
  jobs?: number;
  /** The training rows, when the caller already loaded them (benchmarks, tests). */
  pool?: TrainingPool;
  /** Where the runs file is written (nothing written when absent). */
  runsFile?: string;
  onStage?: ProgressCallbacks['onStage'];
  /** Cross-validation fits done (folds × trials) of the search's, one per fold. */
  onProgress?: ProgressCallbacks['onProgress'];
  onTrial?: (rec: TrialRecord, done: number, total: number, best: TrialRecord) => void;
}

export interface TuneOutcome {
  plan: TunePlan;
  trials: TrialRecord[];
  seconds: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > 256 || index < 1 || index > count) {
    throw usageError(`--shard must be i/N with 1 ≤ i ≤ N ≤ 256, e.g. --shard 2/4 (got ${JSON.stringify(text)})`);
  }
  return { index, count };
}

/** The trial numbers shard i of N runs: i − 1, i − 1 + N, … up to `trials`. */
export function trialsOfShard(trials: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let t = shard.index - 1; t <= trials; t += shard.count) out.push(t);
  return out;
}

/** The space a run searches: explicit, else the config's `tune.spaces`, else the engine default. */
export function resolveSpace(
  factory: EngineFactory,
  config: MlopsConfig,
  explicit?: SearchSpace,
  source = '--space',
): SearchSpace {
  let space: SearchSpace;
  let where: string;
  const fromConfig = (config.tune as { spaces?: Record<string, unknown> } | undefined)?.spaces?.[factory.name];
  if (explicit) {
    space = explicit;
    where = source;
  } else if (fromConfig !== undefined) {
    space = parseSpace(fromConfig, `config /tune/spaces/${factory.name}`);
    where = `config /tune/spaces/${factory.name}`;
  } else {
    space = defaultSpace(factory);
    where = `default space of "${factory.name}"`;
  }
  validateSpace(factory, space, where);
  return space;
}

function buildPlan(opts: TuneOptions, data: TunePlan['data']): { plan: TunePlan; factory: EngineFactory } {
  const engine = opts.engine ?? opts.config.engine.name;
  const factory = engineFactory(engine);
  if (!Number.isInteger(opts.trials) || opts.trials < 0 || opts.trials > 100000)
    throw usageError(`--trials must be a whole number from 0 to 100000 (got ${opts.trials})`);
  const shard = opts.shard ?? { index: 1, count: 1 };
  if (opts.sampler === 'tpe' && shard.count > 1) {
    throw usageError(
      '--sampler tpe learns from earlier trials, so it cannot be sharded; use --sampler random with --shard',
    );
  }
  if (opts.sampler === 'tpe' && (opts.jobs ?? 1) > 1)
    throw usageError(
      '--sampler tpe learns from earlier trials, so it runs one trial at a time; drop --jobs or use --sampler random',
    );
  const space = resolveSpace(factory, opts.config, opts.space, opts.spaceSource);
  const baseline = opts.config.engine.name === engine ? { ...opts.config.engine.params } : {};
  const resolved = resolveParams(engine, factory.paramSpec, baseline);
  const engineDefaults: ParamValues = {};
  for (const k of Object.keys(space)) engineDefaults[k] = resolved[k];
  const plan: TunePlan = {
    type: 'plan',
    format: TUNE_FORMAT,
    format_version: 1,
    engine,
    metric: opts.metric,
    higher_is_better: higherIsBetter(opts.metric),
    folds: opts.folds,
    trials: opts.trials,
    seed: opts.config.seed,
    sampler: opts.sampler,
    sampling: samplingLabel(opts.sampling),
    space,
    baseline_params: baseline,
    engine_defaults: engineDefaults,
    costs: { ...opts.config.costs },
    data,
    shard,
  };
  return { plan, factory };
}

/** The parameters of trial t: the baseline's, overridden by what the sampler draws. */
function trialParams(plan: TunePlan, t: number, history: Observation[]): ParamValues {
  if (t === 0) return { ...plan.baseline_params };
  const drawn =
    plan.sampler === 'tpe' ? tpeParams(plan.space, plan.seed, t, history) : randomParams(plan.space, plan.seed, t);
  return orderParams(plan.space, { ...plan.baseline_params, ...drawn });
}

export async function tune(opts: TuneOptions): Promise<TuneOutcome> {
  const t0 = performance.now();
  // Engine and space problems surface before the data is read.
  resolveSpace(engineFactory(opts.engine ?? opts.config.engine.name), opts.config, opts.space, opts.spaceSource);
  opts.onStage?.('loading data');
  const pool = opts.pool ?? (await readTrainingPool(opts.config, opts.baseDir));
  const y = pool.pool.y!;
  const positiveRate = y.reduce((s, v) => s + v, 0) / Math.max(1, y.length);
  const { plan, factory } = buildPlan(opts, { ...pool.data, positive_rate: Math.round(positiveRate * 1e6) / 1e6 });
  opts.onStage?.(`preparing ${plan.folds} stratified folds (${factory.encoding} encoding)`);
  const folds = prepareFolds(pool, {
    k: plan.folds,
    seed: plan.seed,
    encoding: factory.encoding,
    sampling: opts.sampling,
    // Early stopping needs rows of its own: never the held-out fold it is scored on.
    earlyStopping: factory.usesValidation,
  });
  if (opts.runsFile) startRunsFile(opts.runsFile, plan);
  const mine = trialsOfShard(plan.trials, plan.shard);
  opts.onStage?.(
    `running ${mine.length} trial${mine.length === 1 ? '' : 's'} of ${plan.trials + 1}${plan.shard.count > 1 ? ` (shard ${plan.shard.index}/${plan.shard.count})` : ''}`,
  );
  const records: TrialRecord[] = [];
  const history: Observation[] = [];
  let best: TrialRecord | null = null;
  const fitsTotal = mine.length * plan.folds;
  let fits = 0;
  const fitted = (n: number): void => {
    fits = n;
    opts.onProgress?.(fits, fitsTotal, 'cross-validation fits');
  };
  const finish = (t: number, params: ParamValues, outcome: TrialOutcome, seconds: number): void => {
    const rec = toRecord(t, params, outcome);
    rec.seconds = Math.round(seconds) / 1000;
    records.push(rec);
    // A trial in a worker thread, or one the engine refused part-way, counts all its folds here.
    if (fits !== records.length * plan.folds) fitted(records.length * plan.folds);
    if (rec.mean !== null) history.push({ params, score: plan.higher_is_better ? rec.mean : -rec.mean });
    if (opts.runsFile) appendTrial(opts.runsFile, rec);
    if (!best || better(rec, best, plan.higher_is_better)) best = rec;
    opts.onTrial?.(rec, records.length, mine.length, best);
  };
  const jobs = Math.min(opts.jobs ?? 1, mine.length);
  if (jobs > 1) {
    await runInWorkers(jobs, mine, plan, folds, finish);
    records.sort((a, b) => a.trial - b.trial);
  } else {
    for (const t of mine) {
      const params = trialParams(plan, t, history);
      const start = performance.now();
      let outcome: TrialOutcome;
      try {
        outcome = await crossValidate(factory, params, folds, plan.metric, plan.costs, plan.seed, opts.workers, () =>
          fitted(fits + 1),
        );
      } catch (e) {
        // A parameter combination the engine refuses is a result, not a reason to lose the search.
        if (!isMlopsError(e)) throw e;
        outcome = { error: e.message };
      }
      finish(t, params, outcome, performance.now() - start);
    }
  }
  return { plan, trials: records, seconds: Math.round(performance.now() - t0) / 1000 };
}

type TrialOutcome = FoldScores | { error: string };

function toRecord(t: number, params: ParamValues, outcome: TrialOutcome): TrialRecord {
  if ('error' in outcome)
    return {
      type: 'trial',
      trial: t,
      baseline: t === 0,
      params,
      fold_scores: [],
      mean: null,
      sd: null,
      error: outcome.error,
      seconds: 0,
    };
  const { mean, sd } = meanSd(outcome.scores);
  return {
    type: 'trial',
    trial: t,
    baseline: t === 0,
    params,
    fold_scores: outcome.scores.map((x) => (Number.isFinite(x) ? x : null)),
    ...(outcome.thresholds ? { thresholds: outcome.thresholds } : {}),
    mean,
    sd,
    seconds: 0,
  };
}

/**
 * `--jobs N`: N worker threads cross-validate trials side by side. Only for random
 * search, whose trial parameters do not depend on earlier results, so the records are
 * the same as one thread's (they may finish in another order; the caller sorts them).
 */
async function runInWorkers(
  jobs: number,
  trials: number[],
  plan: TunePlan,
  folds: FoldData[],
  finish: (t: number, params: ParamValues, outcome: TrialOutcome, ms: number) => void,
): Promise<void> {
  const queue = [...trials];
  const workers = Array.from(
    { length: jobs },
    () => new Worker(new URL('./trial-worker-bootstrap.mjs', import.meta.url)),
  );
  const init: WorkerInit = {
    type: 'init',
    engine: plan.engine,
    metric: plan.metric,
    costs: plan.costs,
    seed: plan.seed,
    folds,
  };
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let current: { t: number; params: ParamValues; start: number } | null = null;
            const next = (): void => {
              const t = queue.shift();
              if (t === undefined) {
                current = null;
                resolve();
                return;
              }
              current = { t, params: trialParams(plan, t, []), start: performance.now() };
              w.postMessage({ type: 'trial', trial: t, params: current.params } satisfies TrialRequest);
            };
            w.on('message', (r: TrialResponse) => {
              if (!current || r.trial !== current.t)
                return reject(new Error(`trial worker answered for trial ${r.trial}`));
              if (r.error !== undefined && !r.userError) return reject(new Error(`trial ${r.trial}: ${r.error}`));
              finish(
                current.t,
                current.params,
                r.error !== undefined ? { error: r.error } : { scores: r.scores, thresholds: r.thresholds },
                performance.now() - current.start,
              );
              next();
            });
            w.once('error', reject);
            w.once('exit', (code) => {
              if (current) reject(new Error(`trial worker stopped (exit code ${code}) during trial ${current.t}`));
            });
            w.postMessage(init);
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function better(a: TrialRecord, b: TrialRecord, higher: boolean): boolean {
  if (a.mean === null) return false;
  if (b.mean === null) return true;
  return higher ? a.mean > b.mean : a.mean < b.mean;
}

function meanSd(scores: number[]): { mean: number | null; sd: number | null } {
  const ok = scores.filter(Number.isFinite);
  if (ok.length === 0 || ok.length < scores.length) return { mean: null, sd: null };
  const mean = ok.reduce((s, v) => s + v, 0) / ok.length;
  const sd = ok.length > 1 ? Math.sqrt(ok.reduce((s, v) => s + (v - mean) ** 2, 0) / (ok.length - 1)) : 0;
  return { mean, sd };
}
