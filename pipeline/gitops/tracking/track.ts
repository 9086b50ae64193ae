/**
 * Recording runs: the hook `mlops train` / `mlops run` call after writing a run folder,
 * `recordTrial` for tuning trials, and MLflow logging that never fails the caller —
 * a server that is down or answers 500 costs a warning, and the local record stays.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, isAbsolute } from 'node:path';
import {
  canonicalJson,
  sha256Hex,
  resolvePath,
  type LoadedConfig,
  type MlopsConfig,
  writeJsonAtomic,
  projectVersion,
  type MetricsFile,
  type TrainResult,
  type ParamValues,
} from '../../core/index.ts';
import { checkoutState } from '../git/checkout.ts';
import { newRunId, type RunRecord } from '../run/run-folder.ts';
import { logRun, mirrorVersion, MlflowClient, mlflowSettings } from './mlflow.ts';
import {
  artifactDigests,
  ciInfo,
  redactedConfig,
  TRACKING_VERSION,
  trackingSection,
  type MlflowStatus,
  type TrackedRecord,
} from './record.ts';

type Warn = (message: string) => void;

export function runsDirOf(config: MlopsConfig, baseDir: string): string {
  return resolvePath(baseDir, config.runs_dir);
}

const inside = (child: string, parent: string): boolean => {
  const rel = relative(resolve(parent), resolve(child));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

/**
 * Logs a record to MLflow when it is configured. Returns the status to store in the
 * record, or null when MLflow is not configured. Never throws.
 */
export async function logToMlflowSafely(
  config: MlopsConfig,
  record: TrackedRecord,
  metricsFile: MetricsFile | null,
  warn: Warn,
  fetchImpl?: typeof fetch,
): Promise<MlflowStatus | null> {
  let client: MlflowClient;
  try {
    const settings = mlflowSettings(config);
    if (!settings) return null;
    client = new MlflowClient(settings, fetchImpl);
  } catch (e) {
    warn(`MLflow logging skipped: ${(e as Error).message}`);
    return null;
  }
  try {
    const ids = await logRun(client, record, metricsFile);
    return { status: 'logged', tracking_uri: client.settings.trackingUri, ...ids, logged_at: new Date().toISOString() };
  } catch (e) {
    const error = (e as Error).message;
    warn(`MLflow logging failed (${error}); the run is recorded locally, retry with "mlops runs mlflow ${record.id}"`);
    return { status: 'failed', tracking_uri: client.settings.trackingUri, error, failed_at: new Date().toISOString() };
  }
}

/**
 * Finishes a trained run's record after its folder is written: artifact digests, MLflow
 * logging when configured, and — when `--out` put the folder outside the runs store — a
 * copy of the record in the store that points at it. Each file is replaced atomically.
 */
export async function trackTrainedRun(opts: {
  dir: string;
  record: RunRecord;
  result: TrainResult;
  loaded: LoadedConfig;
  warn: Warn;
}): Promise<TrackedRecord> {
  const record = opts.record as TrackedRecord;
  const config = opts.loaded.config;
  record.tracking ??= trackingSection(opts.loaded, opts.result);
  record.tracking.artifacts = artifactDigests(
    opts.dir,
    readdirSync(opts.dir)
      .filter((n) => !n.startsWith('.'))
      .sort(),
  );
  const mlflow = await logToMlflowSafely(config, record, opts.result.metrics, opts.warn);
  if (mlflow) record.tracking.mlflow = mlflow;
  writeJsonAtomic(join(opts.dir, 'run.json'), record);
  const store = runsDirOf(config, opts.loaded.baseDir);
  if (!inside(opts.dir, store)) {
    const copy = join(store, record.id);
    try {
      mkdirSync(copy, { recursive: true });
      writeJsonAtomic(join(copy, 'metrics.json'), opts.result.metrics);
      // run.json last: the store lists a run only once its record is whole.
      writeJsonAtomic(join(copy, 'run.json'), {
        ...record,
        tracking: { ...record.tracking, location: resolve(opts.dir) },
      });
    } catch (e) {
      opts.warn(`could not add the run to the runs store ${store}: ${(e as Error).message}`);
    }
  }
  return record;
}

export interface TrialInput {
  /** The tuning run's config; `engine.params` need not hold the trial's params. */
  config: MlopsConfig;
  /** Project folder: runs_dir and git are resolved against it. */
  baseDir: string;
  /** Names the tuning session (e.g. the runs file's name), shared by its trials. */
  study: string;
  trial: number;
  baseline?: boolean;
  params: ParamValues;
  /** Defaults to config.engine.name. */
  engine?: string;
  /** Metric name → value, e.g. { roc_auc: 0.83, roc_auc_sd: 0.01 }. */
  metrics: Record<string, number | null>;
  /** Which rows the metrics come from, e.g. "cv5" (five-fold cross-validation). */
  split: string;
  data: { path: string; sha256: string; rows: number };
  seconds: number;
  /** Git state, computed once per study to spare a git call per trial. */
  git?: { commit: string | null; dirty: boolean | null };
  /** Anything else worth keeping (fold scores…), stored under `tune` in run.json. */
  extra?: Record<string, unknown>;
  /** Log the trial to MLflow when configured (default true). */
  mlflow?: boolean;
  now?: Date;
  warn?: Warn;
}

const gitCache = new Map<string, { commit: string | null; dirty: boolean | null }>();

/**
 * Records one tuning trial as a run in the store (`runs/<id>/run.json`, no model bundle):
 * `mlops runs list --param`, `compare` and `best` then work on trials like on any run.
 */
export async function recordTrial(input: TrialInput): Promise<{ id: string; dir: string; record: TrackedRecord }> {
  const now = input.now ?? new Date();
  const engine = input.engine ?? input.config.engine.name;
  let git = input.git;
  if (!git) {
    git = gitCache.get(input.baseDir);
    if (!git) {
      const g = checkoutState(input.baseDir);
      git = { commit: g.commit, dirty: g.dirty };
      gitCache.set(input.baseDir, git);
    }
  }
  const store = runsDirOf(input.config, input.baseDir);
  const digest = sha256Hex(
    canonicalJson({ study: input.study, trial: input.trial, engine, params: input.params, data: input.data.sha256 }),
  );
  let id = newRunId(digest, now);
  for (let n = 2; existsSync(join(store, id)); n++) id = `${newRunId(digest, now)}-${n}`;
  const m = input.metrics;
  const record = {
    id,
    created_at: now.toISOString(),
    command: 'tune',
    model: { name: input.config.model_name, digest: '', engine, params: { ...input.params } },
    seed: input.config.seed,
    data: input.data,
    test_data: null,
    git,
    threshold: typeof m.threshold === 'number' ? m.threshold : null,
    headline: {
      roc_auc: m.roc_auc ?? null,
      pr_auc: m.pr_auc ?? null,
      expected_cost: m.expected_cost ?? null,
      brier: m.brier ?? null,
    },
    timings: { total_s: input.seconds },
    files: ['run.json'],
    tracking: {
      version: TRACKING_VERSION,
      config: { ...redactedConfig(input.config), engine: { name: engine, params: { ...input.params } } },
      config_file: null,
      packages: { 'credit-risk-gitops': projectVersion(), node: process.versions.node },
      ci: ciInfo(),
      metrics: { ...m },
      metrics_split: input.split,
      trial: { study: input.study, index: input.trial, ...(input.baseline ? { baseline: true } : {}) },
    },
    ...(input.extra ? { tune: input.extra } : {}),
  } as unknown as TrackedRecord;
  const dir = join(store, id);
  writeJsonAtomic(join(dir, 'run.json'), record);
  if (input.mlflow !== false) {
    const status = await logToMlflowSafely(input.config, record, null, input.warn ?? (() => {}));
    if (status) {
      record.tracking!.mlflow = status;
      writeJsonAtomic(join(dir, 'run.json'), record);
    }
  }
  return { id, dir, record };
}

/** Reads metrics.json next to a record, or null. */
export function readMetricsNear(dir: string): MetricsFile | null {
  const p = join(dir, 'metrics.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as MetricsFile;
  } catch {
    return null;
  }
}

/**
 * Mirrors a registry version to MLflow as a model version with an alias (default
 * `champion`): logs the run that made it (unless `mlflowRunId` says it is there
 * already), then registered-models/create, model-versions/create, registered-models/alias.
 * Returns null when MLflow is not configured; never throws.
 */
export async function mirrorToMlflowSafely(opts: {
  config: MlopsConfig;
  record: TrackedRecord;
  metricsFile: MetricsFile | null;
  version: number;
  alias?: string | null;
  mlflowRunId?: string | null;
  warn: Warn;
  fetchImpl?: typeof fetch;
}): Promise<{ name: string; version: string; run_id: string } | null> {
  let client: MlflowClient;
  try {
    const settings = mlflowSettings(opts.config);
    if (!settings) return null;
    client = new MlflowClient(settings, opts.fetchImpl);
  } catch (e) {
    opts.warn(`MLflow mirroring skipped: ${(e as Error).message}`);
    return null;
  }
  try {
    const runId = opts.mlflowRunId ?? (await logRun(client, opts.record, opts.metricsFile)).run_id;
    const mv = await mirrorVersion(client, {
      version: opts.version,
      digest: opts.record.model.digest,
      mlflowRunId: runId,
      alias: opts.alias === undefined ? 'champion' : opts.alias,
    });
    return { ...mv, run_id: runId };
  } catch (e) {
    opts.warn(`MLflow mirroring failed (${(e as Error).message}); the git registry is unaffected`);
    return null;
  }
}
