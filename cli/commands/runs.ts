import { resolve } from 'node:path';
import {
  loadConfig,
  resolvePath,
  type LoadedConfig,
  usageError,
  MlopsError,
  writeJsonAtomic,
  num,
} from '../../pipeline/core/index.ts';
import {
  isHigherBetter,
  pruneRuns,
  resolveRun,
  scanRuns,
  type TrackedRun,
  bestRunPerRows,
  metricValue,
  parseCondition,
  parseParamFilter,
  queryRuns,
  compareRuns,
  renderComparison,
  renderList,
  renderShow,
  summaryJson,
  type Format,
  reproduceRun,
  parseRegistryRef,
  registryRun,
  registryDir,
  logRun,
  mirrorVersion,
  MlflowClient,
  mlflowSettings,
  readMetricsNear,
} from '../../pipeline/gitops/index.ts';
import type { Command, CliIO, ParsedArgs } from '../command.ts';

const SUBCOMMANDS = ['list', 'show', 'compare', 'best', 'prune', 'reproduce', 'mlflow', 'mirror'];

export const runsCommand: Command = {
  help: `Usage: mlops runs <list|show|compare|best|prune|reproduce|mlflow|mirror> [options]

Every "mlops train", "mlops run" and tuning trial is recorded in the runs store
(runs_dir in the config, default runs/). Run ids may be shortened to a unique prefix;
"champion" (or NAME@champion, NAME@vN) stands for a version of the model registry.

  list                    runs, newest first
      --command NAME        only runs made by this command (train, run, tune…)
      --engine NAME         only runs of this engine
      --data SHA|PATH       only runs on this data set (a sha256 prefix or its path)
      --param key=value     only runs with this parameter value (repeatable)
      --where METRIC>VALUE  only runs whose metric passes (repeatable; > >= < <= = !=)
      --sort METRIC         best first (lower first for brier, log_loss, expected_cost)
      --limit N             at most N runs
      --format F            table (default) | markdown | json
  show ID                 everything recorded about a run (--format json for the record)
  compare ID ID [ID…]     parameters that differ and every metric, with deltas against
                          the first run; e.g. "mlops runs compare 2026 champion"
      --format F            markdown (default) | table | json
  best --metric METRIC    the best run by a metric (accepts list's filters); runs measured
                          on other rows (another data set, or cv folds instead of a test
                          split) are not ranked together: the best of each group is shown
  prune --keep N          keep the N newest runs, remove the rest and stray temporary files
      --dry-run             only say what would be removed
  reproduce ID            retrain from the run's record on the same data and report
                          whether the model digest matches (exit 1 when it does not)
      --workers N           worker threads for tree engines
  mlflow ID               log (or retry logging) a run to the MLflow server
  mirror [REF]            mirror a registry version (default: champion) to MLflow as a
                          model version with the "champion" alias

  --config FILE           config file (default: mlops.config.json in the current folder)
  --runs-dir DIR          runs store (default: runs_dir from the config)
  -h, --help              show this help

MLflow: set MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME /
MLFLOW_TRACKING_PASSWORD), or tracking.mlflow.tracking_uri in the config.`,
  options: {
    config: { type: 'string', short: 'c' },
    'runs-dir': { type: 'string' },
    command: { type: 'string' },
    engine: { type: 'string' },
    data: { type: 'string' },
    param: { type: 'string', multiple: true },
    where: { type: 'string', multiple: true },
    sort: { type: 'string' },
    limit: { type: 'string' },
    format: { type: 'string' },
    metric: { type: 'string' },
    keep: { type: 'string' },
    'dry-run': { type: 'boolean' },
    workers: { type: 'string' },
    quiet: { type: 'boolean' },
  },
  positionals: true,
  async run(args, io) {
    const [sub, ...ids] = args.positionals;
    if (!sub) throw usageError(`missing subcommand: one of ${SUBCOMMANDS.join(', ')}`);
    if (!SUBCOMMANDS.includes(sub)) throw usageError(`unknown subcommand "${sub}" (one of ${SUBCOMMANDS.join(', ')})`);
    const loaded = loadConfig((args.values.config as string | undefined) ?? null, io.cwd);
    const runsDir = args.values['runs-dir']
      ? resolve(io.cwd, args.values['runs-dir'] as string)
      : resolvePath(loaded.baseDir, loaded.config.runs_dir);
    const ctx = { args, io, loaded, runsDir, ids };
    switch (sub) {
      case 'list':
        return list(ctx);
      case 'show':
        return show(ctx);
      case 'compare':
        return compare(ctx);
      case 'best':
        return best(ctx);
      case 'prune':
        return prune(ctx);
      case 'reproduce':
        return reproduce(ctx);
      case 'mlflow':
        return logToMlflow(ctx);
      default:
        return mirror(ctx);
    }
  },
};

interface Ctx {
  args: ParsedArgs;
  io: CliIO;
  loaded: LoadedConfig;
  runsDir: string;
  ids: string[];
}

function format(ctx: Ctx, allowed: Format[], fallback: Format): Format {
  const f = (ctx.args.values.format as string | undefined) ?? fallback;
  if (!(allowed as string[]).includes(f))
    throw usageError(`--format must be one of ${allowed.join(', ')} (got ${JSON.stringify(f)})`);
  return f as Format;
}

function expectIds(ctx: Ctx, sub: string, min: number, max: number): void {
  if (ctx.ids.length < min)
    throw usageError(`runs ${sub}: expected ${min === max ? min : `at least ${min}`} run id${min === 1 ? '' : 's'}`);
  if (ctx.ids.length > max) throw usageError(`runs ${sub}: unexpected argument "${ctx.ids[max]}"`);
}

function loadRuns(ctx: Ctx): TrackedRun[] {
  const { runs, unreadable } = scanRuns(ctx.runsDir);
  for (const u of unreadable) ctx.io.err(`warning: skipped ${u.dir}: unreadable run.json (${u.reason})`);
  return runs;
}

/** A run of the store, or a registry version for `champion`, `name@vN`. */
function resolveAny(ctx: Ctx, runs: TrackedRun[], query: string): TrackedRun {
  const ref = parseRegistryRef(query, ctx.loaded.config.model_name);
  if (ref) return registryRun(registryDir(ctx.loaded.config, ctx.loaded.baseDir), ref, ctx.loaded.config.model_name);
  return resolveRun(runs, query, ctx.runsDir);
}

function filters(ctx: Ctx): {
  command?: string;
  engine?: string;
  data?: string;
  params?: Record<string, string>;
  where?: ReturnType<typeof parseCondition>[];
} {
  const v = ctx.args.values;
  return {
    command: v.command as string | undefined,
    engine: v.engine as string | undefined,
    data: v.data as string | undefined,
    params: v.param ? parseParamFilter(v.param as string[]) : undefined,
    where: v.where ? (v.where as string[]).map(parseCondition) : undefined,
  };
}

function list(ctx: Ctx): number {
  expectIds(ctx, 'list', 0, 0);
  const v = ctx.args.values;
  let limit: number | undefined;
  if (v.limit !== undefined) {
    limit = Number(v.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw usageError(`--limit must be a whole number ≥ 1 (got ${JSON.stringify(v.limit)})`);
  }
  const f = filters(ctx);
  const recorded = loadRuns(ctx);
  const runs = queryRuns(recorded, { ...f, sort: v.sort as string | undefined, limit });
  const extra = [...(v.sort ? [v.sort as string] : []), ...(f.where ?? []).map((c) => c.metric)];
  ctx.io.out(renderList(runs, format(ctx, ['table', 'markdown', 'json'], 'table'), extra, recorded.length));
  return 0;
}

function show(ctx: Ctx): number {
  expectIds(ctx, 'show', 1, 1);
  const run = resolveAny(ctx, loadRuns(ctx), ctx.ids[0]);
  const f = format(ctx, ['table', 'json'], 'table');
  ctx.io.out(f === 'json' ? JSON.stringify(run.record, null, 2) : renderShow(run));
  return 0;
}

function compare(ctx: Ctx): number {
  if (ctx.ids.length < 2)
    throw usageError('runs compare: expected at least two run ids (e.g. "mlops runs compare ID champion")');
  const runs = loadRuns(ctx);
  const chosen = ctx.ids.map((q) => resolveAny(ctx, runs, q));
  ctx.io.out(renderComparison(compareRuns(chosen), format(ctx, ['markdown', 'table', 'json'], 'markdown')));
  return 0;
}

function best(ctx: Ctx): number {
  expectIds(ctx, 'best', 0, 0);
  const metric = ctx.args.values.metric as string | undefined;
  if (!metric) throw usageError('runs best: --metric is required, e.g. --metric roc_auc');
  const runs = queryRuns(loadRuns(ctx), filters(ctx));
  const groups = bestRunPerRows(runs, metric);
  const f = format(ctx, ['table', 'json'], 'table');
  if (!groups.length) {
    if (f === 'json') ctx.io.out('null');
    else ctx.io.err(`no run${runs.length ? ' with a value for ' + metric : ''} matches`);
    return 1;
  }
  if (f === 'json') {
    // One object when the runs are comparable; one per group of rows when they are not.
    const json = groups.map((g) => ({ ...summaryJson(g.best), compared_with: g.group.runs.length }));
    ctx.io.out(JSON.stringify(json.length === 1 ? summaryJson(groups[0].best) : json, null, 2));
    return 0;
  }
  const dir = isHigherBetter(metric) ? 'highest' : 'lowest';
  const line = ({ group, best }: (typeof groups)[number]): string =>
    `${best.id}  ${metric} ${num(metricValue(best, metric))} (${dir} of ${group.runs.length} run${group.runs.length === 1 ? '' : 's'}; ${best.metrics_split} rows) · engine ${best.engine} · ${best.location}`;
  if (groups.length === 1) {
    ctx.io.out(line(groups[0]));
    return 0;
  }
  ctx.io.out(
    `not ranked together: these runs measured ${metric} on ${groups.length} different sets of rows (data set and split), where it is not comparable; the best of each (pick one with --data SHA):`,
  );
  for (const g of groups) {
    const d = g.group.data;
    ctx.io.out(`  data ${d ? `${d.path} @ ${d.sha256.slice(0, 8)}` : 'unknown'}, ${g.group.split} rows:`);
    ctx.io.out(`    ${line(g)}`);
  }
  return 0;
}

function prune(ctx: Ctx): number {
  expectIds(ctx, 'prune', 0, 0);
  const keepText = ctx.args.values.keep as string | undefined;
  if (keepText === undefined) throw usageError('runs prune: --keep N is required');
  const keep = Number(keepText);
  if (!Number.isInteger(keep) || keep < 0)
    throw usageError(`--keep must be a whole number ≥ 0 (got ${JSON.stringify(keepText)})`);
  const dry = Boolean(ctx.args.values['dry-run']);
  const r = pruneRuns(ctx.runsDir, keep, { dryRun: dry });
  const verb = dry ? 'would remove' : 'removed';
  for (const id of r.removed) ctx.io.out(`${verb} run ${id}`);
  for (const p of r.temps) ctx.io.out(`${verb} leftover ${p}`);
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  ctx.io.out(
    `kept ${plural(r.kept.length, 'run')}; ${verb} ${plural(r.removed.length, 'run')} and ${plural(r.temps.length, 'leftover temporary file')}`,
  );
  return 0;
}

async function reproduce(ctx: Ctx): Promise<number> {
  expectIds(ctx, 'reproduce', 1, 1);
  const run = resolveRun(loadRuns(ctx), ctx.ids[0], ctx.runsDir);
  const workersText = ctx.args.values.workers as string | undefined;
  const workers = workersText === undefined ? undefined : Number(workersText);
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) {
    throw usageError(`--workers must be a whole number from 1 to 64 (got ${JSON.stringify(workersText)})`);
  }
  const quiet = Boolean(ctx.args.values.quiet);
  const r = await reproduceRun(run, {
    baseDir: ctx.loaded.baseDir,
    workers,
    onStage: quiet ? undefined : (s) => ctx.io.err(`• ${s}`),
    onWarning: (w) => ctx.io.err(`warning: ${w}`),
  });
  if (r.data) ctx.io.out(r.data);
  if (r.matches) {
    ctx.io.out(`reproduced: run ${r.run_id} retrained to the same model digest ${r.reproduced_digest}`);
    for (const c of r.caveats) ctx.io.out(`note: ${c}`);
    return 0;
  }
  ctx.io.out(
    [
      `not reproduced: run ${r.run_id} has model ${r.original_digest}, retraining gave ${r.reproduced_digest}`,
      'what differs:',
      ...r.differences.map((d) => `  - ${d}`),
      ...(r.sections.length ? [`bundle sections that differ: ${r.sections.join(', ')}`] : []),
    ].join('\n'),
  );
  return 1;
}

function client(ctx: Ctx): MlflowClient {
  const settings = mlflowSettings(ctx.loaded.config);
  if (!settings) {
    throw new MlopsError(
      'config',
      'no MLflow server configured: set MLFLOW_TRACKING_URI or tracking.mlflow.tracking_uri (and tracking.mlflow.enabled is not false)',
    );
  }
  return new MlflowClient(settings);
}

async function logToMlflow(ctx: Ctx): Promise<number> {
  expectIds(ctx, 'mlflow', 1, 1);
  const run = resolveRun(loadRuns(ctx), ctx.ids[0], ctx.runsDir);
  const c = client(ctx);
  const ids = await logRun(c, run.record, readMetricsNear(run.location));
  const record = run.record;
  record.tracking = {
    ...(record.tracking ?? ({} as NonNullable<typeof record.tracking>)),
    mlflow: { status: 'logged', tracking_uri: c.settings.trackingUri, ...ids, logged_at: new Date().toISOString() },
  };
  writeJsonAtomic(resolve(run.dir, 'run.json'), record);
  ctx.io.out(
    `logged run ${run.id} to MLflow: experiment ${ids.experiment_id}, run ${ids.run_id} (${c.settings.trackingUri})`,
  );
  return 0;
}

async function mirror(ctx: Ctx): Promise<number> {
  expectIds(ctx, 'mirror', 0, 1);
  const query = ctx.ids[0] ?? 'champion';
  const ref = parseRegistryRef(query, ctx.loaded.config.model_name);
  if (!ref)
    throw usageError(
      `runs mirror: expected champion, challenger, NAME@champion or NAME@vN (got ${JSON.stringify(query)})`,
    );
  const version = registryRun(registryDir(ctx.loaded.config, ctx.loaded.baseDir), ref, ctx.loaded.config.model_name);
  const { name, version: number, alias } = version.registry;
  const c = client(ctx);
  const { run_id } = await logRun(c, version.record, readMetricsNear(version.location));
  const mv = await mirrorVersion(c, {
    version: number,
    digest: version.model_digest ?? '',
    mlflowRunId: run_id,
    alias,
  });
  ctx.io.out(
    `mirrored ${name}@v${number} as MLflow model ${mv.name} version ${mv.version}${alias ? ` (alias ${alias})` : ''}`,
  );
  return 0;
}
