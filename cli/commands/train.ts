import { join, resolve } from 'node:path';
import { train, usageError, resolvePath, type LoadedConfig, type TrainResult } from '../../pipeline/core/index.ts';
import {
  buildRunRecord,
  newRunId,
  writeRunFolder,
  type RunRecord,
  trackingSection,
  trackTrainedRun,
} from '../../pipeline/gitops/index.ts';
import type { Command, CliIO, ParsedArgs } from '../command.ts';
import { configFromFlags, configHelp, configOptions } from '../config-flags.ts';
import { progressReporter } from '../progress.ts';
import { trainSummary } from '../summary.ts';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train and evaluate a model; write model.json, metrics.json, run.json, report.md',
  help: `Usage: mlops train [--data FILE] [--test FILE] [options]

Trains on --data (or the config's data), chooses the decision threshold on validation
rows, evaluates on test rows, and writes a run folder.

${configHelp}
  --out DIR           run folder (default: <runs_dir>/<run id>)
  --workers N         worker threads for tree engines (default: cores, at most 4)
  --quiet             no progress output
  -h, --help          show this help`,
  options: {
    ...configOptions,
    out: { type: 'string', short: 'o' },
    workers: { type: 'string' },
    quiet: { type: 'boolean' },
  },
  async run(args, io) {
    const loaded = configFromFlags(args, io.cwd);
    const { result, dir } = await trainToFolder(loaded, args, io, 'train');
    io.out(trainSummary(result, dir));
    return 0;
  },
};

/** Trains per the config and writes the run folder; shared by `train` and `run`. */
export async function trainToFolder(
  loaded: LoadedConfig,
  args: ParsedArgs,
  io: CliIO,
  command: string,
  extra: (result: TrainResult, record: RunRecord) => Record<string, string> = () => ({}),
): Promise<{ result: TrainResult; dir: string; record: RunRecord }> {
  const quiet = Boolean(args.values.quiet);
  const workers = parseWorkers(args.values.workers as string | undefined);
  const result = await train({
    config: loaded.config,
    baseDir: loaded.baseDir,
    workers,
    onStage: quiet ? undefined : (s) => io.err(`• ${s}`),
    onProgress: progressReporter(io, quiet),
    onWarning: (w) => io.err(`warning: ${w}`),
  });
  const id = newRunId(result.bundle.digest);
  const out = args.values.out as string | undefined;
  const dir = out ? resolve(io.cwd, out) : join(resolvePath(loaded.baseDir, loaded.config.runs_dir), id);
  const record = buildRunRecord(result, command, id);
  // Experiment tracking (docs/tracking.md): the config and CI run go in before the folder
  // is written; artifact digests, MLflow logging and the runs-store entry after.
  record.tracking = trackingSection(loaded, result);
  writeRunFolder(dir, result, record, extra(result, record));
  await trackTrainedRun({ dir, record, result, loaded, warn: (w) => io.err(`warning: ${w}`) });
  return { result, dir, record };
}

function parseWorkers(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw usageError(`--workers must be a whole number from 1 to 64 (got ${JSON.stringify(v)})`);
  }
  return n;
}
