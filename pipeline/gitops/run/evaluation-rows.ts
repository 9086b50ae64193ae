/**
 * The rows a model is evaluated on, rebuilt from its bundle and the record of where its
 * rows were read from — for the promotion gate (champion and challenger scored on the same
 * rows) and for reports (regenerated from a run folder or a registry version long after
 * training).
 *
 * The bundle pins its rows by content only (the same rows from any source seal the same
 * bundle); where they were read from is the run's record (`DataRecord`: run.json, a
 * registry version's lineage, or, for a bare bundle, the project's configured data,
 * accepted only when its rows have the bundle's digest).
 *
 * One rule: the configured holdout (`test_data`, every row) when training had one, else
 * the test part of the stratified split of `data` with `provenance.seed` and the split
 * fractions — a pure function of those (pipeline/core/training/split.ts). Each file is
 * checked against the record's sha256 or the bundle's rows digest: a file that is not there
 * is an `input` error, a file that changed is an `integrity` error, never silently used.
 * Rows are kept as raw text, so each model builds its own features with its own schema (a
 * champion with other columns can still be compared).
 *
 * Rows that live outside git (a table, query, Parquet file or snapshot) are not read here:
 * right after training the caller passes the rows it read; later (compare, promote, report
 * of a run folder) `recordedTable` reads the recorded source again and refuses rows whose
 * digest is not the one the run recorded.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  type Bundle,
  type CsvEncoding,
  type FileRef,
  legacyDataRefs,
  rowsDigest,
  readSource,
  parseSourceUri,
  type DataSource,
  sha256Hex,
  pickRows,
  readCsvFile,
  type RawTable,
  subset,
  toDataset,
  type Dataset,
  type DataSchema,
  MlopsError,
  resolvePath,
  stratifiedSplit,
} from '../../core/index.ts';
import { loadChallenger } from '../registry/challenger.ts';
import type { DataRecord } from './data-record.ts';

export interface EvaluationRows {
  /** The CSV the rows come from. */
  file: string;
  /** That file as the model's provenance (or --data) names it. */
  path: string;
  table: RawTable;
  /** Row numbers (0-based, excluding the header) of the evaluation rows in `table`. */
  index: Uint32Array;
  /** How the rows were found, for the report. */
  source: string;
}

export interface EvaluationRowsOptions {
  /** Where the model's rows were read from (`runDataRecord`, `configuredDataRecord`). */
  record: DataRecord;
  /** Folder the record's relative data paths resolve against (the project folder). */
  baseDir: string;
  /** Further folders to look in when the file is not under baseDir (e.g. the current folder). */
  alsoIn?: string[];
  /** Use this labelled CSV as the rows instead (no split, no digest check): reports' --data. */
  data?: string;
  /**
   * The rows the test rows are drawn from, already read (right after training, or by
   * recordedTable): the holdout when the model has one, else the training rows. A
   * database, Parquet file or snapshot is never read twice.
   */
  table?: RawTable;
}

interface SplitConfig {
  split?: { train: number; validation: number; test: number };
  data?: { encoding?: CsvEncoding };
}

/** The encoding the model's data files were read with (the CSV contract: UTF-8 unless it says latin1). */
/** The encoding the model's training data was read with, for any other file read for it. */
export function encodingOf(bundle: Bundle): CsvEncoding | undefined {
  return (bundle.provenance.config as SplitConfig | null)?.data?.encoding;
}

function locate(baseDir: string, p: string, alsoIn: string[] = []): string {
  if (isAbsolute(p)) return p;
  const first = resolve(baseDir, p);
  if (existsSync(first)) return first;
  for (const dir of alsoIn) if (existsSync(resolve(dir, p))) return resolve(dir, p);
  return first;
}

const every = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

/** The test rows of the model in `bundle` (see the module comment). */
export function evaluationRows(bundle: Bundle, opts: EvaluationRowsOptions): EvaluationRows {
  if (opts.data) {
    const file = locate(opts.baseDir, opts.data);
    if (!existsSync(file)) throw new MlopsError('input', `data file not found: ${opts.data}`);
    const table = readCsvFile(file, { encoding: encodingOf(bundle) });
    return {
      file,
      path: opts.data,
      table,
      index: every(table.rows),
      source: `all ${table.rows} rows of ${opts.data} (given with --data)`,
    };
  }
  const prov = bundle.provenance;
  const rec = opts.record;
  const split = (prov.config as SplitConfig | null)?.split;
  if (!split) {
    throw new MlopsError(
      'input',
      `bundle ${bundle.name} (${bundle.digest}) has no split in its provenance to rebuild its test rows; pass --data FILE to a report`,
    );
  }
  if (rec.test_data) {
    const csv = parseSourceUri(rec.test_data.path).type === 'csv';
    if (!opts.table && !csv) throw notReread(bundle, rec.test_data.path);
    const file = opts.table ? rec.test_data.path : locate(opts.baseDir, rec.test_data.path, opts.alsoIn);
    const table =
      opts.table ?? readChecked(file, pins(bundle, rec.test_data, 'test_data'), 'test data', encodingOf(bundle));
    return {
      file,
      path: rec.test_data.path,
      table,
      index: every(table.rows),
      source: `all rows of ${rec.test_data.path} (the configured holdout)`,
    };
  }
  if (!opts.table && rec.source && rec.source.type !== 'csv') throw notReread(bundle, rec.data.path);
  const file = opts.table ? rec.data.path : locate(opts.baseDir, rec.data.path, opts.alsoIn);
  const table = opts.table ?? readChecked(file, pins(bundle, rec.data, 'data'), 'training data', encodingOf(bundle));
  const all = toDataset(table, bundle.schema, { requireTarget: true });
  const { test } = stratifiedSplit(all.y!, split, prov.seed);
  return {
    file,
    path: rec.data.path,
    table,
    index: test,
    source: `the ${test.length} test rows of ${rec.data.path} (stratified split ${split.train}/${split.validation}/${split.test}, seed ${prov.seed})`,
  };
}

/**
 * The rows of `data` the model was fitted on or tuned with: every row outside its test part
 * (all of them when a configured holdout was its test data). Checked like the test rows, so
 * a sample can be told apart from what the model has seen.
 */
export function trainingRows(bundle: Bundle, opts: EvaluationRowsOptions): { table: RawTable; index: Uint32Array } {
  const rec = opts.record;
  if (rec.source && rec.source.type !== 'csv') throw notReread(bundle, rec.data.path);
  const file = locate(opts.baseDir, rec.data.path, opts.alsoIn);
  const table = readChecked(file, pins(bundle, rec.data, 'data'), 'training data', encodingOf(bundle));
  if (rec.test_data) return { table, index: every(table.rows) };
  const test = new Set(evaluationRows(bundle, opts).index);
  return { table, index: Uint32Array.from(every(table.rows).filter((i) => !test.has(i))) };
}

/** What a re-read file must match: the recorded file sha256, or the rows digest the bundle pins. */
interface Pins {
  sha256: string;
  digest: string | null;
}

function pins(bundle: Bundle, ref: FileRef, which: 'data' | 'test_data'): Pins {
  return { sha256: ref.sha256, digest: legacyDataRefs(bundle) ? null : (bundle.provenance[which]?.digest ?? null) };
}

function notReread(bundle: Bundle, label: string): MlopsError {
  return new MlopsError(
    'input',
    `model ${bundle.digest} was evaluated on rows of ${label}, and no run record says how to read them again; compare and report a run folder (its run.json names the source), or pass --data FILE with labelled rows to a report`,
  );
}

function readChecked(file: string, expected: Pins, what: string, encoding: CsvEncoding | undefined): RawTable {
  if (!existsSync(file)) {
    throw new MlopsError(
      'input',
      `cannot rebuild the model's test rows: its ${what} ${file} is not there; run from the project folder the model was trained in (a report also takes --data FILE)`,
    );
  }
  const table = readCsvFile(file, { encoding });
  // The same rows in another layout (or the configured file of a bare bundle) pass by their digest.
  if (table.sha256 === expected.sha256 || (expected.digest !== null && rowsDigest(table) === expected.digest))
    return table;
  const pinned = expected.digest ?? expected.sha256;
  throw new MlopsError(
    'integrity',
    `${file} has changed since the model was trained (sha256 ${table.sha256.slice(0, 12)}…, the model's rows are ${pinned.slice(0, 12)}…): the data changed since training, so its test rows cannot be rebuilt (a report also takes --data FILE with labelled rows)`,
  );
}

/**
 * The rows a model's test rows are drawn from when they live in a table, query, Parquet
 * file or snapshot, read again from the recorded source and checked against the recorded
 * digest. Undefined when they are CSV files, which evaluationRows reads itself.
 */
export async function recordedTable(
  bundle: Bundle,
  record: DataRecord,
  baseDir: string,
): Promise<RawTable | undefined> {
  const holdout = record.test_data;
  if (holdout) {
    const source = parseSourceUri(holdout.path);
    return source.type === 'csv' ? undefined : readAgain(bundle, source, holdout.path, holdout.sha256, baseDir);
  }
  const s = record.source;
  if (!s || s.type === 'csv') return undefined;
  return readAgain(bundle, s.source, s.label, s.digest, baseDir);
}

async function readAgain(
  bundle: Bundle,
  source: DataSource,
  label: string,
  digest: string,
  baseDir: string,
): Promise<RawTable> {
  const read = await readSource(source, { baseDir });
  if (read.record.digest !== digest)
    throw new MlopsError(
      'integrity',
      `cannot rebuild the test rows of model ${bundle.digest}: ${label} now returns rows with digest ${read.record.digest.slice(0, 12)}… (${read.record.rows} rows), the run read ${digest.slice(0, 12)}…; the data changed since training ("mlops runs reproduce" counts what changed)`,
    );
  return read.table;
}

/** The gate's rows for a run folder, whatever source its training rows came from. */
export async function runEvaluationParts(
  runDir: string,
  baseDir: string,
  goldenPath: string | null,
): Promise<EvaluationPart[]> {
  const { bundle, record } = loadChallenger(runDir);
  return evaluationParts(bundle, record, baseDir, goldenPath, await recordedTable(bundle, record, baseDir));
}

/** The rows as a data set laid out by a model's schema (champion and challenger may differ). */
export function rowsDataset(rows: EvaluationRows, schema: DataSchema): Dataset {
  return subset(toDataset(rows.table, schema, { requireTarget: true }), rows.index);
}

/** Raw values of any column of the file for the rows (e.g. a sensitive attribute the model does not use). */
export function rowsColumn(rows: EvaluationRows, column: string): (string | null)[] | null {
  const v = rows.table.columns.get(column);
  if (!v) return null;
  return Array.from(rows.index, (i) => v.get(i));
}

/** One named set of rows the promotion gate scores both models on. */
export interface EvaluationPart {
  name: 'test' | 'golden';
  /** The file the rows come from, as configured. */
  path: string;
  rows: number;
  /** sha256 of the selected rows' values, so two verdicts can be checked to use the same rows. */
  sha256: string;
  table: RawTable;
}

/** The gate's rows: the challenger's test rows, plus the fixed golden holdout when the config names one. */
export function evaluationParts(
  bundle: Bundle,
  record: DataRecord,
  baseDir: string,
  goldenPath: string | null,
  table?: RawTable,
): EvaluationPart[] {
  const test = evaluationRows(bundle, { record, baseDir, table });
  const picked =
    test.index.length === test.table.rows
      ? test.table
      : pickRows(test.table, test.index, `${test.table.file} (test rows)`);
  const parts: EvaluationPart[] = [
    { name: 'test', path: test.path, rows: picked.rows, sha256: rowsSha(picked), table: picked },
  ];
  if (goldenPath) {
    const file = resolvePath(baseDir, goldenPath);
    if (!existsSync(file))
      throw new MlopsError('config', `promotion.golden_path: golden holdout file not found: ${file}`);
    const table = readCsvFile(file, { encoding: encodingOf(bundle) });
    parts.push({ name: 'golden', path: goldenPath, rows: table.rows, sha256: rowsSha(table), table });
  }
  return parts;
}

function rowsSha(table: RawTable): string {
  const cols = table.header.map((h) => table.columns.get(h)!);
  const lines = [table.header.join('\u001f')];
  for (let i = 0; i < table.rows; i++) lines.push(cols.map((c) => c.get(i) ?? '\u0000').join('\u001f'));
  return sha256Hex(lines.join('\n'));
}
