/**
 * A run folder holds one training run: `model.json`, `metrics.json`, `run.json`,
 * `report.md`. It is assembled in a temporary sibling folder and renamed into place,
 * so a crash never leaves a half-written run behind.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  writeBundle,
  writeFileAtomic,
  removeStaleTemps,
  tempSibling,
  writeJsonAtomic,
  type AutoOutcome,
  type MetricsFile,
  type TrainResult,
  type SourceRecord,
  type DataLocationConfig,
  MlopsError,
} from '../../core/index.ts';
import { runReport } from '../report/run-report.ts';

export interface RunRecord {
  id: string;
  created_at: string;
  /**
   * Wall-clock time the model was trained (ISO 8601). The bundle's own time is the commit
   * time so that retraining the same commit gives a byte-identical bundle; this is when it happened.
   */
  trained_at: string;
  command: string;
  model: { name: string; digest: string; engine: string; params: Record<string, number | string | boolean> };
  seed: number;
  data: { path: string; sha256: string; rows: number };
  test_data: { path: string; sha256: string; rows: number } | null;
  /** Where the training rows came from: source, query, order, column types and the rows' content digest. */
  source?: SourceRecord;
  /**
   * The config's `data.path`, `data.test_path` and `data.source`: where the rows were read
   * from, which the bundle leaves out (absent in runs made before it did).
   */
  data_location?: DataLocationConfig;
  git: { commit: string | null; dirty: boolean | null };
  threshold: number;
  headline: { roc_auc: number | null; pr_auc: number | null; expected_cost: number; brier: number };
  timings: MetricsFile['timings'];
  /** `engine: auto`: the leaderboard with measured fit seconds (the bundle has the estimates and the parameters). */
  auto?: AutoRunSummary;
  files: string[];
  /** Later steps (registry verdict, tracking) add their sections here. */
  [extra: string]: unknown;
}

export interface AutoRunSummary {
  winner: string;
  reason: string;
  metric: string;
  folds: number;
  /** Partitions into `folds` folds (absent: 1). */
  repeats?: number;
  budget_seconds: number;
  select_s: number;
  leaderboard: {
    rank: number;
    candidate: string;
    /** The candidate's engine, `ensemble` for the soft-voting ensemble's line (absent in runs recorded before it was written). */
    engine?: string;
    mean: number | null;
    sd: number | null;
    folds: number;
    outcome: string;
    estimated_fit_s: number;
    fit_s: number;
  }[];
}

export const RUN_FILES = ['model.json', 'metrics.json', 'run.json', 'report.md'];

export function newRunId(digest: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${digest.replace(/^sha256:/, '').slice(0, 8)}`;
}

export function buildRunRecord(result: TrainResult, command: string, id: string, now = new Date()): RunRecord {
  const b = result.bundle;
  return {
    id,
    created_at: now.toISOString(),
    trained_at: now.toISOString(),
    command,
    model: { name: b.name, digest: b.digest, engine: b.engine.engine, params: b.engine.params },
    seed: b.provenance.seed,
    data: result.data,
    test_data: result.testData,
    source: result.source,
    data_location: result.dataLocation,
    git: b.provenance.git,
    threshold: b.threshold,
    headline: {
      roc_auc: result.metrics.test.roc_auc,
      pr_auc: result.metrics.test.pr_auc,
      expected_cost: result.metrics.test.expected_cost,
      brier: result.metrics.test.brier,
    },
    timings: result.metrics.timings,
    ...(result.auto ? { auto: autoRunSummary(result.auto) } : {}),
    files: RUN_FILES,
  };
}

function autoRunSummary(a: AutoOutcome): AutoRunSummary {
  const s = a.selection;
  return {
    winner: s.winner,
    reason: s.reason,
    metric: s.metric,
    folds: s.folds,
    repeats: s.repeats ?? 1,
    budget_seconds: s.budget_seconds,
    select_s: a.seconds,
    leaderboard: s.leaderboard.map((e) => ({
      rank: e.rank,
      candidate: e.candidate,
      engine: e.engine,
      mean: e.mean,
      sd: e.sd,
      folds: e.folds,
      outcome: e.outcome,
      estimated_fit_s: e.estimated_fit_s,
      fit_s: a.fit_seconds[e.candidate] ?? 0,
    })),
  };
}

/** Writes the run folder at `dir` (replacing nothing: an existing folder is an error). */
export function writeRunFolder(
  dir: string,
  result: TrainResult,
  record: RunRecord,
  extraFiles: Record<string, string> = {},
): void {
  if (existsSync(join(dir, 'model.json'))) {
    throw new MlopsError('state', `output folder ${dir} already holds a run; choose another --out or remove it`);
  }
  mkdirSync(dirname(dir), { recursive: true });
  removeStaleTemps(dirname(dir));
  const tmp = tempSibling(dir);
  mkdirSync(tmp, { recursive: true });
  try {
    writeBundle(join(tmp, 'model.json'), result.bundle);
    writeJsonAtomic(join(tmp, 'metrics.json'), result.metrics);
    writeJsonAtomic(join(tmp, 'run.json'), record);
    writeFileAtomic(
      join(tmp, 'report.md'),
      runReport(result.bundle, result.metrics, result.data, result.auto?.fit_seconds),
    );
    for (const [name, content] of Object.entries(extraFiles)) writeFileAtomic(join(tmp, name), content);
    if (existsSync(dir)) {
      // An empty folder the user made for us: move our files in one by one.
      for (const f of [...RUN_FILES, ...Object.keys(extraFiles)]) renameSync(join(tmp, f), join(dir, f));
      rmSync(tmp, { recursive: true, force: true });
    } else renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** When a run's model was trained: `trained_at`, or `created_at` for records written before it existed. */
export function trainedAt(record: Pick<RunRecord, 'created_at'> & { trained_at?: string }): string {
  return record.trained_at ?? record.created_at;
}

export function readRunRecord(dir: string): RunRecord {
  const p = join(dir, 'run.json');
  if (!existsSync(p)) throw new MlopsError('input', `${dir} is not a run folder (no run.json)`);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RunRecord;
  } catch (e) {
    throw new MlopsError('input', `${p}: malformed JSON: ${(e as Error).message}`);
  }
}

export function readMetricsFile(dir: string): MetricsFile {
  const p = join(dir, 'metrics.json');
  if (!existsSync(p)) throw new MlopsError('input', `${dir} is not a run folder (no metrics.json)`);
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as MetricsFile;
  } catch (e) {
    throw new MlopsError('input', `${p}: malformed JSON: ${(e as Error).message}`);
  }
}
