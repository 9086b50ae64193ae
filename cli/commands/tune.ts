import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  resolvePath,
  parseConfigText,
  usageError,
  writeFileAtomic,
  writeJsonAtomic,
  parseMetric,
  parseSampling,
  mergeRuns,
  readRunsFile,
  type TrialRecord,
  parseSpace,
  summarize,
  summaryMarkdown,
  type TuneSummary,
  parseShard,
  tune,
  type TuneOutcome,
  type MlopsConfig,
  writeConfigSnippet,
  AUTO_ENGINE,
} from '../../pipeline/core/index.ts';
import { recordTrial } from '../../pipeline/gitops/index.ts';
import type { CliIO, Command, ParsedArgs } from '../command.ts';
import { configFromFlags, configHelp, configOptions, engineHelp } from '../config-flags.ts';
import { withProgress } from '../progress.ts';
import { isStageFile, runAutoMerge, runAutoTune } from './tune-auto.ts';

export const tuneCommand: Command = {
  help: `Usage: mlops tune [options]
       mlops tune --engine auto [--shard i/N --state DIR] [--out DIR] [--write-config FILE]
       mlops tune merge FILE|DIR... [--out DIR] [--write-config FILE]

Searches an engine's parameters with stratified k-fold cross-validation on the
training rows (the test rows are never used). Trial 0 is the config's current
parameters, trials 1..N are drawn from the search space. Every trial is appended to
<out>/trials.jsonl; the ranking goes to <out>/summary.json and <out>/summary.md.

With --shard i/N only trials i-1, i-1+N, ... run (into trials-i-of-N.jsonl); "merge"
combines the shard files (or folders holding them) and gives the same result as one
process running every trial with the same seed.

With --engine auto it runs engine auto's search (the config's auto section) without
the refit and writes <out>/selection.json (mlops train --engine auto --selection FILE
makes the bundle from it). With --shard i/N it runs shard i's fits of the next stage
after those in --state DIR (none: stage 1) into auto-stage-<s>-shard-<i>-of-<N>.jsonl;
"merge" of the stage files so far says which stage is next, or, after the last,
writes the selection one process would.

${configHelp}
  --trials N          searched trials (default: tune.trials, 30)
  --folds K           cross-validation folds (default: tune.folds, 5)
  --metric NAME       roc_auc | expected_cost | pr_auc | log_loss (default: tune.metric)
                      expected_cost picks the cost-minimising threshold on each fold's held-out rows
  --space FILE        search space (JSON/YAML): {"C": {"low": 0.001, "high": 100, "log": true},
                      "classWeight": {"values": ["none", "balanced"]}, "maxIter": 50}
  --sampler NAME      random (default; shardable) | tpe (sequential)
  --sampling MODE     none | undersample[:R] | oversample[:R]: resample each fold's training rows
                      to R negatives per positive (held-out rows keep the real class mix)
  --shard i/N         run only this shard's trials (engine auto: this shard's fits of the next stage)
  --state DIR         engine auto: the stage files of the stages run so far (with --shard)
  --merge             same as the "merge" subcommand
  --out DIR           output folder (default: <runs_dir>/tune-<engine>)
  --write-config FILE merge the best {"engine": {"name", "params"}} into FILE (other keys kept)
  --jobs N            trials cross-validated side by side in N threads (random search;
                      default 1); same results as one thread
  --track             also record each trial as a run in <runs_dir> (mlops runs list/compare/best)
                      and to MLflow when configured
  --workers N         worker threads for tree engines
  --quiet             no progress output
  -h, --help          show this help

${engineHelp}`,
  options: {
    ...configOptions,
    trials: { type: 'string' },
    folds: { type: 'string' },
    metric: { type: 'string' },
    space: { type: 'string' },
    sampler: { type: 'string' },
    sampling: { type: 'string' },
    shard: { type: 'string' },
    state: { type: 'string' },
    merge: { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    'write-config': { type: 'string' },
    workers: { type: 'string' },
    jobs: { type: 'string' },
    track: { type: 'boolean' },
    quiet: { type: 'boolean' },
  },
  positionals: true,
  async run(args, io) {
    const pos = args.positionals;
    if (args.values.merge || pos[0] === 'merge') return runMerge(args, pos[0] === 'merge' ? pos.slice(1) : pos, io);
    if (pos.length > 0)
      throw usageError(
        `unexpected argument ${JSON.stringify(pos[0])} (did you mean "mlops tune merge ${pos.join(' ')}"?)`,
      );
    return runSearch(args, io);
  },
};

async function runSearch(args: ParsedArgs, io: CliIO): Promise<number> {
  const v = args.values;
  const loaded = configFromFlags(args, io.cwd);
  const { config } = loaded;
  if (config.engine.name === AUTO_ENGINE) {
    if (v.workers !== undefined) workersFlag(v.workers);
    const state = v.state !== undefined && v.shard !== undefined ? collectRunsFiles([v.state as string], io.cwd) : [];
    return runAutoTune(args, loaded, state, io);
  }
  if (v.state !== undefined) throw usageError('--state is for --engine auto (the stage files of its search so far)');
  const quiet = Boolean(v.quiet);
  const engine = config.engine.name;
  const trials = intFlag(v.trials, '--trials', 0, 100000) ?? config.tune.trials;
  const folds = intFlag(v.folds, '--folds', 2, 20) ?? config.tune.folds;
  const metric = parseMetric((v.metric as string | undefined) ?? config.tune.metric);
  const samplerText = (v.sampler as string | undefined) ?? config.tune.sampler;
  if (samplerText !== 'random' && samplerText !== 'tpe')
    throw usageError(`--sampler must be random or tpe (got ${JSON.stringify(samplerText)})`);
  const sampling = parseSampling(
    (v.sampling as string | undefined) ?? config.tune.sampling,
    v.sampling !== undefined ? '--sampling' : 'config /tune/sampling',
  );
  const shard = v.shard !== undefined ? parseShard(v.shard as string) : undefined;
  if (shard && shard.count > 1 && v['write-config'] !== undefined) {
    throw usageError(
      '--write-config needs every trial: run "mlops tune merge" on the shard files and pass --write-config there',
    );
  }
  let space: ReturnType<typeof parseSpace> | undefined;
  let spaceSource: string | undefined;
  if (v.space !== undefined) {
    const file = resolve(io.cwd, v.space as string);
    if (!existsSync(file)) throw usageError(`--space: file not found: ${v.space}`);
    spaceSource = relative(io.cwd, file) || file;
    space = parseSpace(parseConfigText(readFileSync(file, 'utf8'), file), spaceSource);
  }
  const out =
    v.out !== undefined
      ? resolve(io.cwd, v.out as string)
      : join(resolvePath(loaded.baseDir, config.runs_dir), `tune-${engine}`);
  const sharded = shard !== undefined && shard.count > 1;
  const runsFile = join(out, sharded ? `trials-${shard.index}-of-${shard.count}.jsonl` : 'trials.jsonl');
  const outcome = await withProgress(io, quiet, (progress) =>
    tune({
      config,
      baseDir: loaded.baseDir,
      engine,
      trials,
      folds,
      metric,
      sampler: samplerText,
      sampling,
      space,
      spaceSource,
      shard,
      workers: workersFlag(v.workers),
      jobs: intFlag(v.jobs, '--jobs', 1, 64),
      runsFile,
      onStage: progress.onStage,
      onProgress: progress.onProgress,
      onTrial: quiet
        ? undefined
        : (rec, done, total, best) => progress.message(trialLine(rec, done, total, best, metric)),
    }),
  );
  if (v.track) await trackTrials(outcome, loaded.config, loaded.baseDir, io);
  const rate = outcome.trials.length / Math.max(outcome.seconds, 1e-9);
  if (sharded) {
    io.out(
      `shard ${shard.index}/${shard.count}: ${outcome.trials.length} trials in ${outcome.seconds} s (${rate.toFixed(2)} trials/s)\nruns file ${runsFile}\nmerge with: mlops tune merge <folder or files of all ${shard.count} shards>`,
    );
    return 0;
  }
  const summary = summarize(outcome.plan, outcome.trials, 1);
  writeOutputs(out, summary, v['write-config'] as string | undefined, io);
  io.out(
    `\n${outcome.trials.length} trials in ${outcome.seconds} s (${rate.toFixed(2)} trials/s, data and folds included)\nruns file ${runsFile}`,
  );
  return 0;
}

function runMerge(args: ParsedArgs, inputs: string[], io: CliIO): Promise<number> {
  const v = args.values;
  if (inputs.length === 0) throw usageError('merge needs the shard runs files, or folders holding them');
  const files = collectRunsFiles(inputs, io.cwd);
  const stages = files.filter(isStageFile);
  if (stages.length > 0) {
    if (stages.length < files.length)
      throw usageError(
        `merge: ${files.find((f) => !stages.includes(f))} is a tune runs file and ${stages[0]} a stage file of engine auto: merge one search at a time`,
      );
    const loaded = configFromFlags(args, io.cwd);
    const out =
      v.out !== undefined
        ? resolve(io.cwd, v.out as string)
        : join(resolvePath(loaded.baseDir, loaded.config.runs_dir), 'tune-auto');
    return Promise.resolve(runAutoMerge(files, out, v['write-config'] as string | undefined, io));
  }
  const merged = mergeRuns(files.map(readRunsFile));
  if (merged.missingShards.length) {
    throw usageError(
      `merge: shard${merged.missingShards.length > 1 ? 's' : ''} ${merged.missingShards.map((i) => `${i}/${merged.plan.shard.count}`).join(', ')} missing (got ${files.length} file${files.length === 1 ? '' : 's'})`,
    );
  }
  const summary = summarize(merged.plan, merged.trials, merged.plan.shard.count);
  const loaded = configFromFlags(args, io.cwd);
  const out =
    v.out !== undefined
      ? resolve(io.cwd, v.out as string)
      : join(resolvePath(loaded.baseDir, loaded.config.runs_dir), `tune-${merged.plan.engine}`);
  writeOutputs(out, summary, v['write-config'] as string | undefined, io);
  return Promise.resolve(0);
}

function writeOutputs(out: string, summary: TuneSummary, writeConfig: string | undefined, io: CliIO): void {
  const md = summaryMarkdown(summary);
  writeJsonAtomic(join(out, 'summary.json'), summary);
  writeFileAtomic(join(out, 'summary.md'), md);
  io.out(md);
  io.out(`summary ${join(out, 'summary.json')} · ${join(out, 'summary.md')}`);
  if (writeConfig !== undefined) {
    const target = resolve(io.cwd, writeConfig);
    writeConfigSnippet(target, summary.config);
    io.out(`wrote engine ${summary.config.engine.name} with the best parameters to ${target}`);
  }
}

/** One run record per trial in the runs store, so trials are searchable like any run. */
async function trackTrials(outcome: TuneOutcome, config: MlopsConfig, baseDir: string, io: CliIO): Promise<void> {
  const p = outcome.plan;
  const study = `tune-${p.engine}-${p.metric}-seed${p.seed}${p.shard.count > 1 ? `-shard${p.shard.index}of${p.shard.count}` : ''}`;
  const data = { path: p.data.path, sha256: p.data.sha256, rows: p.data.rows };
  for (const t of outcome.trials) {
    await recordTrial({
      config,
      baseDir,
      study,
      trial: t.trial,
      baseline: t.baseline,
      engine: p.engine,
      params: t.params,
      metrics: { [p.metric]: t.mean, [`${p.metric}_sd`]: t.sd },
      split: `cv${p.folds}`,
      data,
      seconds: t.seconds,
      extra: {
        fold_scores: t.fold_scores,
        ...(t.thresholds ? { thresholds: t.thresholds } : {}),
        ...(t.error ? { error: t.error } : {}),
      },
      warn: (w) => io.err(`warning: ${w}`),
    });
  }
  io.err(`• recorded ${outcome.trials.length} trials as runs (study ${study})`);
}

/** The runs files named, or held in the folders named (tune's trials*.jsonl, engine auto's auto-stage-*.jsonl). */
function collectRunsFiles(inputs: string[], cwd: string): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    const p = resolve(cwd, input);
    if (!existsSync(p)) throw usageError(`not found: ${input}`);
    if (statSync(p).isDirectory()) {
      const found = findRunsFiles(p);
      if (found.length === 0) throw usageError(`no trials*.jsonl or auto-stage-*.jsonl files under ${input}`);
      for (const f of found) files.push(f);
    } else files.push(p);
  }
  return files;
}

function findRunsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) for (const f of findRunsFiles(p)) out.push(f);
    else if (/^(trials|auto-stage-).*\.jsonl$/.test(name)) out.push(p);
  }
  return out;
}

function trialLine(rec: TrialRecord, done: number, total: number, best: TrialRecord, metric: string): string {
  const score =
    rec.mean === null
      ? rec.error
        ? `failed: ${rec.error}`
        : 'no score'
      : `${metric} ${rec.mean.toFixed(4)} ± ${(rec.sd ?? 0).toFixed(4)}`;
  const params = Object.entries(rec.params)
    .map(([k, x]) => `${k}=${typeof x === 'number' && !Number.isInteger(x) ? Number(x.toPrecision(4)) : x}`)
    .join(' ');
  const bestText = best.mean === null ? '' : ` · best ${best.mean.toFixed(4)} (trial ${best.trial})`;
  return `  trial ${rec.trial}${rec.baseline ? ' (baseline)' : ''} [${done}/${total}] ${score}${bestText} · ${rec.seconds.toFixed(2)} s · ${params || 'engine defaults'}`;
}

function intFlag(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw usageError(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return n;
}

function workersFlag(v: unknown): number | undefined {
  return intFlag(v, '--workers', 1, 64);
}
