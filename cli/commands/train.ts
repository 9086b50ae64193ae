import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { usageError, type AutoSelectionFile } from '../../pipeline/core/index.ts';
import { trainingRun, type TrainingRunOptions } from '../../pipeline/gitops/index.ts';
import type { Command, CliIO, ParsedArgs } from '../command.ts';
import { configFromFlags, configHelp, configOptions, engineHelp } from '../config-flags.ts';
import { progressFor, withProgress } from '../progress.ts';
import { trainSummary } from '../summary.ts';

export const trainCommand: Command = {
  help: `Usage: mlops train [--data FILE] [--test FILE] [options]

Trains on --data (or the config's data), chooses the decision threshold on validation
rows, evaluates on test rows, and writes a run folder.

${configHelp}
  --out DIR           run folder (default: <runs_dir>/<run id>)
  --selection FILE    engine auto: the selection.json of a finished "mlops tune --engine auto"
                      of the same data, config and seed (sharded or not), instead of searching
  --workers N         worker threads for tree engines (default: cores, at most 4)
  --quiet             no progress output
  -h, --help          show this help

${engineHelp}`,
  options: {
    ...configOptions,
    out: { type: 'string', short: 'o' },
    selection: { type: 'string' },
    workers: { type: 'string' },
    quiet: { type: 'boolean' },
  },
  async run(args, io) {
    const loaded = configFromFlags(args, io.cwd);
    const { result, dir } = await withProgress(io, Boolean(args.values.quiet), (progress) =>
      trainingRun({
        loaded,
        command: 'train',
        report: false,
        selection: selectionFlag(args.values.selection as string | undefined, io.cwd),
        ...runFlags(args, io, progress),
      }),
    );
    io.out(trainSummary(result, dir));
    return 0;
  },
};

function selectionFlag(v: string | undefined, cwd: string): { file: AutoSelectionFile; source: string } | undefined {
  if (v === undefined) return undefined;
  const path = resolve(cwd, v);
  if (!existsSync(path)) throw usageError(`--selection: file not found: ${v}`);
  const source = relative(cwd, path) || path;
  try {
    return { file: JSON.parse(readFileSync(path, 'utf8')) as AutoSelectionFile, source };
  } catch (e) {
    throw usageError(`--selection: ${source} is not JSON (${(e as Error).message})`);
  }
}

/** The run options `train` and `run` share: the flags --out and --workers, and the progress display (--quiet). */
export function runFlags(
  args: ParsedArgs,
  io: CliIO,
  progress: ReturnType<typeof progressFor>,
): Pick<TrainingRunOptions, 'out' | 'workers' | 'onStage' | 'onProgress' | 'warn'> {
  const out = args.values.out as string | undefined;
  return {
    out: out ? resolve(io.cwd, out) : null,
    workers: parseWorkers(args.values.workers as string | undefined),
    onStage: progress.onStage,
    onProgress: progress.onProgress,
    warn: (w) => progress.message(`warning: ${w}`),
  };
}

function parseWorkers(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw usageError(`--workers must be a whole number from 1 to 64 (got ${JSON.stringify(v)})`);
  }
  return n;
}
