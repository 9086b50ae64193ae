/**
 * One training run, the way every face makes one (`mlops train`, `mlops run`, the train
 * action, scheduled retraining):
 *
 *   train (with the checkout's commit for the bundle's provenance) → run id → run record
 *   → tracking section → run folder → artifact digests, MLflow, runs store → report
 *
 * Callers plug their own step in where it belongs instead of repeating the sequence:
 * `files` adds files to the folder as it is written (the train action's verdict and PR
 * context), `beforeReport` runs once the folder is complete and tracked (the gate and
 * promotion of `mlops run` and retraining) and may name the registry version the report
 * is titled with.
 */
import { join, resolve } from 'node:path';
import {
  fairnessConfigOf,
  resolvePath,
  train,
  type LoadedConfig,
  type TrainOptions,
  type TrainResult,
} from '../../core/index.ts';
import { checkoutState } from '../git/checkout.ts';
import { generateReport, type ReportTarget } from '../report/model-report.ts';
import { trackingSection } from '../tracking/record.ts';
import { trackTrainedRun } from '../tracking/track.ts';
import { buildRunRecord, newRunId, writeRunFolder, type RunRecord } from './run-folder.ts';

export interface TrainedRun {
  id: string;
  /** The run folder. */
  dir: string;
  result: TrainResult;
  /** run.json as written (tracking section included). */
  record: RunRecord;
}

/** Where the report goes besides the run folder, and the registry version it describes. */
export interface ReportPlacement {
  version: number | null;
  /** Further places to write the same report to (e.g. a registry version's, registry/version-card.ts). */
  alsoTo?: ReportTarget[];
}

export interface TrainingRunOptions {
  loaded: LoadedConfig;
  /** What made the run, recorded in run.json (`train`, `run`, `action:train`, `retrain`). */
  command: string;
  /** The run folder; default `<runs_dir>/<run id>` of the config. */
  out?: string | null;
  workers?: number;
  onStage?: (stage: string) => void;
  onProgress?: (done: number, total: number, label: string) => void;
  /** Warnings of training, MLflow and the runs store. */
  warn: (message: string) => void;
  /** Extra files for the run folder (name → content), written with it in one step. */
  files?: (run: Omit<TrainedRun, 'dir'>) => Record<string, string>;
  /** After the folder is written and tracked, before the report. */
  beforeReport?: (run: TrainedRun) => Promise<ReportPlacement | void> | ReportPlacement | void;
  /** Write the model card, report.html, report.json and charts into the run folder (default true). */
  report?: boolean;
  /** With engine auto: a finished search's selection to train with instead of searching (train.ts). */
  selection?: TrainOptions['selection'];
}

export interface TrainingRunResult extends TrainedRun {
  /** The report's files and build time, or null when no report was asked for. */
  report: { files: string[]; seconds: number; version: number | null; alsoTo: ReportTarget[] } | null;
}

export async function trainingRun(opts: TrainingRunOptions): Promise<TrainingRunResult> {
  const { loaded, warn } = opts;
  const { config, baseDir } = loaded;
  const result = await train({
    config,
    baseDir,
    workers: opts.workers,
    checkout: checkoutState(baseDir),
    onStage: opts.onStage,
    onProgress: opts.onProgress,
    onWarning: warn,
    selection: opts.selection,
  });
  const id = newRunId(result.bundle.digest);
  const dir = opts.out ? resolve(opts.out) : join(resolvePath(baseDir, config.runs_dir), id);
  const record = buildRunRecord(result, opts.command, id);
  // The config and CI run go in before the folder is written; artifact digests, MLflow
  // logging and the runs-store entry after (docs/tracking.md).
  record.tracking = trackingSection(loaded, result);
  writeRunFolder(dir, result, record, opts.files?.({ id, result, record }) ?? {});
  await trackTrainedRun({ dir, record, result, loaded, warn });
  const run: TrainedRun = { id, dir, result, record };
  const placement = (await opts.beforeReport?.(run)) ?? { version: null };
  if (opts.report === false) return { ...run, report: null };
  opts.onStage?.('writing the report');
  const alsoTo = placement.alsoTo ?? [];
  const r = await generateReport({
    bundle: result.bundle,
    metrics: result.metrics,
    run: record,
    baseDir,
    // The rows just read: a database or snapshot source is not read a second time.
    table: result.evaluationTable,
    fairness: fairnessConfigOf(config),
    version: placement.version,
    outDir: dir,
    alsoTo,
    onStage: opts.onStage,
    onProgress: opts.onProgress,
  });
  return { ...run, report: { files: r.files, seconds: r.seconds, version: placement.version, alsoTo } };
}

/** reports/<model>/v<N>/: where a promoted version's report.html, report.json and charts are kept (its card is the registry's card.md). */
export function versionReportDir(loaded: LoadedConfig, version: number): string {
  return resolvePath(loaded.baseDir, join('reports', loaded.config.model_name, `v${version}`));
}
