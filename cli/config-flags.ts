/** Flags that override the config file, shared by train, run and tune. */
import {
  csvEncoding,
  ENGINE_CHOICES,
  engineParamsHelp,
  loadConfig,
  resolveConfig,
  type LoadedConfig,
  parseParamPairs,
  applyDataUri,
  placeSourceUri,
  usageError,
} from '../pipeline/core/index.ts';
import type { ParsedArgs } from './command.ts';
import type { Command } from './command.ts';

export const configOptions: Command['options'] = {
  config: { type: 'string', short: 'c' },
  'model-name': { type: 'string' },
  data: { type: 'string' },
  test: { type: 'string' },
  target: { type: 'string' },
  positive: { type: 'string' },
  drop: { type: 'string' },
  engine: { type: 'string' },
  param: { type: 'string', multiple: true },
  seed: { type: 'string' },
  encoding: { type: 'string' },
};

export const configHelp = `  --config FILE       config file (default: mlops.config.json in the current folder)
  --model-name NAME   the model's name in the registry and runs (default: model_name
                      from the config); a model of another data set needs its own
  --data URI          training data (default: the config's data.source or data.path):
                      FILE.csv | FILE.parquet | parquet:FOLDER | snapshot:POINTER.json |
                      postgres:TABLE?key=COL[&columns=A,B] | postgres:SELECT … ORDER BY …
                      (PostgreSQL connection from DATABASE_URL or PGHOST, PGUSER, …)
  --test FILE         holdout CSV to evaluate on instead of a split of --data
  --target COL        target column
  --positive LABEL    label of the positive class (the default, e.g. "bad")
  --drop COL,COL      columns not to use as features
  --engine NAME       ${ENGINE_CHOICES.join(' | ')} (auto: chosen by cross-validation, see auto.budget_seconds)
  --param key=value   engine parameter (repeatable), e.g. --param nTrees=500
  --seed N            random seed
  --encoding NAME     text encoding of the CSV files: utf8 (the default; bytes that are
                      not UTF-8 are refused, naming the line) or latin1`;

/** The engines' parameters, for the --help of commands that take --engine and --param. */
export const engineHelp = engineParamsHelp();

/** Loads the config and applies command-line overrides, then re-validates the result. */
export function configFromFlags(args: ParsedArgs, cwd: string): LoadedConfig {
  const v = args.values;
  const loaded = loadConfig((v.config as string | undefined) ?? null, cwd);
  const c = structuredClone(loaded.config);
  if (v['model-name'] !== undefined) {
    const name = v['model-name'] as string;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
      throw usageError(
        `--model-name must be lower-case letters, digits and dashes, starting with a letter or digit (got ${JSON.stringify(name)})`,
      );
    c.model_name = name;
  }
  // Overrides from flags resolve against the current folder, the config's paths against its own.
  const place = (p: string): string => (loaded.baseDir === cwd ? p : absolute(cwd, p));
  if (v.data !== undefined) {
    applyDataUri(c.data, v.data as string, place);
    // A different data file is a different schema: config-level column lists may not apply.
    if (v.test === undefined) c.data.test_path = null;
  }
  if (v.test !== undefined) c.data.test_path = placeSourceUri(v.test as string, place);
  if (v.target !== undefined) c.data.target = v.target as string;
  if (v.positive !== undefined) c.data.positive = v.positive as string;
  if (v.drop !== undefined)
    c.data.drop = (v.drop as string)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (v.engine !== undefined && v.engine !== c.engine.name) c.engine = { name: v.engine as string, params: {} };
  if (v.param !== undefined) c.engine.params = { ...c.engine.params, ...parseParamPairs(v.param as string[]) };
  if (v.seed !== undefined) {
    const n = Number(v.seed);
    if (!Number.isInteger(n) || n < 0 || n > 4294967295)
      throw usageError(`--seed must be a whole number from 0 to 4294967295 (got ${JSON.stringify(v.seed)})`);
    c.seed = n;
  }
  if (v.encoding !== undefined) c.data.encoding = csvEncoding(v.encoding as string, '--encoding');
  return { ...loaded, config: resolveConfig(c, loaded.file ?? 'command-line flags') };
}

function absolute(cwd: string, p: string): string {
  return p.startsWith('/') ? p : `${cwd.replace(/\/$/, '')}/${p}`;
}
