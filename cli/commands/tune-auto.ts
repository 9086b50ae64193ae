/**
 * `mlops tune --engine auto` and the merge of its stage files: engine auto's search without
 * the refit, in one process or one stage's shard at a time (docs/auto.md, "Sharding the search").
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AUTO_STAGE_FORMAT,
  ENSEMBLE_ENGINE,
  mergeAutoStages,
  parseShard,
  readStageFile,
  resolvePath,
  searchAuto,
  searchAutoShard,
  usageError,
  writeConfigSnippet,
  writeFileAtomic,
  writeJsonAtomic,
  type AutoSelectionFile,
  type LoadedConfig,
} from '../../pipeline/core/index.ts';
import { leaderboardMarkdown } from '../../pipeline/gitops/index.ts';
import type { CliIO, ParsedArgs } from '../command.ts';
import { withProgress } from '../progress.ts';

/** mlops tune's flags that mean nothing to engine auto, which reads its search from the config's `auto` section. */
const NOT_FOR_AUTO: Record<string, string> = {
  trials: 'the budget decides the candidates (auto.budget_seconds)',
  folds: 'set auto.folds in the config',
  metric: 'set auto.metric in the config',
  space: 'set tune.spaces.<engine> in the config',
  sampling: 'engine auto cross-validates the rows as they are',
  jobs: 'spread the search with --shard instead',
  track: 'the selection is recorded by the training run that uses it',
};

/** True when the file's first line is a stage file's plan line. */
export function isStageFile(path: string): boolean {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0];
  try {
    return (JSON.parse(first) as { format?: unknown }).format === AUTO_STAGE_FORMAT;
  } catch {
    return false;
  }
}

/**
 * The search in this process, or (--shard i/N) shard i's share of the stage after the stages in
 * `stateFiles` (the --state folder's stage files; none for stage 1).
 */
export async function runAutoTune(
  args: ParsedArgs,
  loaded: LoadedConfig,
  stateFiles: string[],
  io: CliIO,
): Promise<number> {
  const v = args.values;
  for (const [flag, why] of Object.entries(NOT_FOR_AUTO))
    if (v[flag] !== undefined) throw usageError(`--${flag} is not used with --engine auto: ${why}`);
  if (v.sampler !== undefined && v.sampler !== 'random')
    throw usageError(
      `--sampler ${String(v.sampler)} cannot drive engine auto: its candidates are random draws fixed before anything is fitted, which is what lets the search be sharded exactly`,
    );
  const { config, baseDir } = loaded;
  const out =
    v.out !== undefined ? resolve(io.cwd, v.out as string) : join(resolvePath(baseDir, config.runs_dir), 'tune-auto');
  const quiet = Boolean(v.quiet);
  const workers = v.workers === undefined ? undefined : Number(v.workers);
  if (v.shard === undefined) {
    if (v.state !== undefined) throw usageError('--state goes with --shard: it holds the stages run so far');
    const selection = await withProgress(io, quiet, (p) =>
      searchAuto({ config, baseDir, workers, onStage: p.onStage, onProgress: p.onProgress }),
    );
    writeSelection(out, selection, v['write-config'] as string | undefined, io);
    return 0;
  }
  const shard = parseShard(v.shard as string);
  if (v['write-config'] !== undefined)
    throw usageError(
      '--write-config needs the finished search: pass it to "mlops tune merge" with the stage files of every stage',
    );
  const previous = stateFiles.map(readStageFile);
  const run = await withProgress(io, quiet, (p) =>
    searchAutoShard({
      config,
      baseDir,
      workers,
      shard,
      previous,
      dir: out,
      onStage: p.onStage,
      onProgress: p.onProgress,
    }),
  );
  io.out(
    `${run.stage > run.of ? `the search finished after stage ${run.of}: nothing to run` : `stage ${run.stage}/${run.of} (${run.what}), shard ${shard.index}/${shard.count}: ${run.mine} of ${run.fits} fits`}\nstage file ${run.file}\nmerge with: mlops tune merge <the stage files of stages 1–${run.stage}>`,
  );
  return 0;
}

/** Merges the stage files of every stage so far: says what comes next, or writes the finished search's selection. */
export function runAutoMerge(files: string[], out: string, writeConfig: string | undefined, io: CliIO): number {
  const merged = mergeAutoStages(files.map(readStageFile));
  if (!merged.done) {
    if (writeConfig !== undefined)
      throw usageError(
        `--write-config needs the finished search: ${merged.stages} of its ${merged.of} stages merged, stage ${merged.stages + 1} (${merged.next}) is next`,
      );
    io.out(
      `merged stages 1–${merged.stages} of ${merged.of}; next, stage ${merged.stages + 1}: ${merged.next} (${merged.fits} fits)\nrun on each runner: mlops tune --engine auto --shard i/N --state <a folder holding these stage files> --out DIR`,
    );
    return 0;
  }
  writeSelection(out, merged.selection, writeConfig, io);
  return 0;
}

function writeSelection(out: string, file: AutoSelectionFile, writeConfig: string | undefined, io: CliIO): void {
  const s = file.selection;
  // Refused before anything is written: a config names one engine, and an ensemble is not one.
  if (writeConfig !== undefined && s.engine === ENSEMBLE_ENGINE)
    throw usageError(
      `--write-config pins one engine, and the search kept a soft-voting ensemble (${s.winner}); run without --write-config and make its bundle with mlops train --engine auto --selection ${join(out, 'selection.json')}`,
    );
  const md = `## engine: auto\n\n${leaderboardMarkdown(s, file.fit_seconds)}\n`;
  writeJsonAtomic(join(out, 'selection.json'), file);
  writeFileAtomic(join(out, 'summary.md'), md);
  io.out(md);
  io.out(
    `selection ${join(out, 'selection.json')} · ${join(out, 'summary.md')}\nthe bundle this search makes: mlops train --engine auto --selection ${join(out, 'selection.json')}`,
  );
  if (writeConfig !== undefined) {
    const target = resolve(io.cwd, writeConfig);
    writeConfigSnippet(target, { engine: { name: s.engine, params: s.params } });
    io.out(`wrote engine ${s.engine} with ${s.winner}'s parameters to ${target}`);
  }
}
