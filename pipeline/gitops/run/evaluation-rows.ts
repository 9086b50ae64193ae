/**
 * The test rows a model was evaluated on, rebuilt from its bundle alone: the bundle's
 * provenance holds the data path, its sha256, the split fractions and the seed, and the
 * split is a pure function of those (pipeline/core/training/split.ts). So a report can be regenerated
 * from a run folder or a registry version long after training, on exactly the rows
 * whose metrics the bundle states — and a changed data file is refused, not silently
 * used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  type Bundle,
  sha256Hex,
  readCsvFile,
  type RawTable,
  subset,
  toDataset,
  type Dataset,
  type DataSchema,
  MlopsError,
  stratifiedSplit,
} from '../../core/index.ts';

export interface EvaluationRows {
  /** The CSV the rows come from. */
  file: string;
  table: RawTable;
  /** Row numbers (0-based, excluding the header) of the test rows in `table`. */
  index: Uint32Array;
  /** How the rows were found, for the report. */
  source: string;
  /** Warnings worth printing (e.g. the data was given explicitly and not checked). */
  warnings: string[];
}

interface ModelConfig {
  data: { path: string; test_path?: string | null };
  split: { train: number; validation: number; test: number };
  seed: number;
}

export interface EvaluationRowsOptions {
  /** Folder the bundle's relative data paths resolve against (the project folder). */
  baseDir: string;
  /** Further folders to look in when the file is not under baseDir (e.g. the current folder). */
  alsoIn?: string[];
  /** Use this labelled CSV as the test rows instead (no split, no digest check). */
  data?: string;
}

function locate(baseDir: string, p: string, alsoIn: string[] = []): string {
  if (isAbsolute(p)) return p;
  const first = resolve(baseDir, p);
  if (existsSync(first)) return first;
  for (const dir of alsoIn) if (existsSync(resolve(dir, p))) return resolve(dir, p);
  return first;
}

export function evaluationRows(bundle: Bundle, opts: EvaluationRowsOptions): EvaluationRows {
  if (opts.data) {
    const file = locate(opts.baseDir, opts.data);
    if (!existsSync(file)) throw new MlopsError('input', `data file not found: ${opts.data}`);
    const table = readCsvFile(file);
    return {
      file,
      table,
      index: Uint32Array.from({ length: table.rows }, (_, i) => i),
      source: `all ${table.rows} rows of ${opts.data} (given with --data)`,
      warnings: [],
    };
  }
  const prov = bundle.provenance;
  const cfg = prov.config as ModelConfig;
  if (!cfg?.data?.path || !cfg.split) {
    throw new MlopsError(
      'input',
      `bundle ${bundle.name} (${bundle.digest}) has no data provenance to rebuild its test rows; pass --data FILE`,
    );
  }
  if (prov.test_data) {
    const file = locate(opts.baseDir, prov.test_data.path, opts.alsoIn);
    const table = readChecked(file, prov.test_data.sha256, 'test data');
    return {
      file,
      table,
      index: Uint32Array.from({ length: table.rows }, (_, i) => i),
      source: `all rows of ${prov.test_data.path} (the configured holdout)`,
      warnings: [],
    };
  }
  const file = locate(opts.baseDir, prov.data.path, opts.alsoIn);
  const table = readChecked(file, prov.data.sha256, 'training data');
  const all = toDataset(table, bundle.schema, { requireTarget: true });
  const { test } = stratifiedSplit(all.y!, cfg.split, prov.seed);
  return {
    file,
    table,
    index: test,
    source: `the ${test.length} test rows of ${prov.data.path} (stratified split ${cfg.split.train}/${cfg.split.validation}/${cfg.split.test}, seed ${prov.seed})`,
    warnings: [],
  };
}

function readChecked(file: string, sha256: string, what: string): RawTable {
  if (!existsSync(file)) {
    throw new MlopsError(
      'input',
      `the model's ${what} ${file} is not there; run from the project folder or pass --data FILE`,
    );
  }
  const digest = sha256Hex(readFileSync(file));
  if (digest !== sha256) {
    throw new MlopsError(
      'integrity',
      `${file} has changed since the model was trained (sha256 ${digest.slice(0, 12)}…, the bundle says ${sha256.slice(0, 12)}…); its test rows cannot be rebuilt — pass --data FILE with labelled rows to evaluate on`,
    );
  }
  return readCsvFile(file);
}

/** The rows as a data set laid out by a model's schema (champion and challenger may differ). */
export function rowsDataset(rows: EvaluationRows, schema: DataSchema): Dataset {
  return subset(toDataset(rows.table, schema, { requireTarget: true }), rows.index);
}

/** Raw values of any column of the file for the rows (e.g. a sensitive attribute the model does not use). */
export function rowsColumn(rows: EvaluationRows, column: string): (string | null)[] | null {
  const v = rows.table.columns.get(column);
  if (!v) return null;
  return Array.from(rows.index, (i) => v[i]);
}
