/**
 * Where drift data comes from: CSV files, scoring logs, and a past version of the
 * training data set (the champion's), found by its sha256 in the working tree or in
 * git history — ingestion only appends, so every old version is a prefix of the current
 * file and a commit of it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import {
  parseCsvBytes,
  type CsvOptions,
  type CsvTable,
  recordsToDataset,
  toDataset,
  type Dataset,
  type DataSchema,
  type RawTable,
  sha256Hex,
  inputError,
} from '../../core/index.ts';
import type { DataRef } from './drift.ts';
import { readScoringLog, type ScoringLogLine } from './scoring-log.ts';
import { commitsTouching, fileAt, topLevel } from '../git/checkout.ts';

export interface Sample {
  dataset: Dataset;
  ref: DataRef;
  warnings: string[];
}

export function isScoringLog(file: string): boolean {
  return /\.jsonl?$/i.test(file);
}

export function csvSample(file: string, schema: DataSchema, csv: CsvOptions, name = file): Sample {
  return textSample(readFileSync(file), file, schema, name, csv);
}

export function textSample(bytes: Buffer, file: string, schema: DataSchema, name: string, csv: CsvOptions): Sample {
  return csvTableSample(parseCsvBytes(bytes, file, csv), schema, name);
}

/** A parsed CSV as a data set; its reference records the sha256 of the bytes it was parsed from. */
export function csvTableSample(table: CsvTable, schema: DataSchema, name: string): Sample {
  return {
    dataset: toDataset(table, schema, { requireTarget: false }),
    ref: { name, rows: table.rows, sha256: table.sha256, kind: 'csv' },
    warnings: [],
  };
}

/** A scoring log as a data set (no labels); lines from another model are counted in a warning. */
export function scoringLogSample(file: string, schema: DataSchema, modelDigest: string | null, name = file): Sample {
  return linesSample(readScoringLog(file), schema, modelDigest, name, file, sha256Hex(readFileSync(file)));
}

/** Scoring-log lines (from a file or a table) as a data set. */
export function linesSample(
  lines: ScoringLogLine[],
  schema: DataSchema,
  modelDigest: string | null,
  name: string,
  where: string,
  sha256: string | null,
): Sample {
  const warnings: string[] = [];
  if (lines.length === 0) throw inputError(`${where}: the scoring log has no entries`);
  if (modelDigest) {
    const other = lines.filter((l) => l.model !== modelDigest).length;
    if (other > 0)
      warnings.push(
        `${other} of ${lines.length} scoring-log lines were scored by another model than ${modelDigest.slice(0, 19)}`,
      );
  }
  const missing = schema.features
    .filter((f) => !lines.some((l) => Object.hasOwn(l.features, f.name)))
    .map((f) => f.name);
  if (missing.length > 0)
    throw inputError(
      `${where}: the scoring log has no values for feature${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
    );
  const dataset = recordsToDataset(
    lines.map((l) => l.features),
    schema,
  );
  return {
    dataset: { ...dataset, file: where },
    ref: { name, rows: lines.length, sha256, kind: 'scoring-log' },
    warnings,
  };
}

/** Rows read from a table, query, Parquet file or snapshot, as a data set. */
export function tableSample(table: RawTable, schema: DataSchema, name: string, digest: string): Sample {
  return {
    dataset: toDataset(table, schema, { requireTarget: false }),
    ref: { name, rows: table.rows, sha256: digest, kind: 'source' },
    warnings: [],
  };
}

export function loadSample(
  file: string,
  schema: DataSchema,
  modelDigest: string | null,
  csv: CsvOptions,
  name = file,
): Sample {
  if (!existsSync(file)) throw inputError(`drift input not found: ${file}`);
  return isScoringLog(file) ? scoringLogSample(file, schema, modelDigest, name) : csvSample(file, schema, csv, name);
}

/**
 * The longest prefix of `bytes` ending at a line break whose sha256 is `sha256`, or null.
 * Ingestion only appends, so every earlier version of the data set is such a prefix —
 * found even before it was ever committed.
 */
export function prefixVersion(bytes: Buffer, sha256: string): Buffer | null {
  const hash = createHash('sha256');
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) {
    hash.update(bytes.subarray(start, i + 1));
    start = i + 1;
    if (hash.copy().digest('hex') === sha256) return bytes.subarray(0, i + 1);
  }
  return null;
}

/**
 * The bytes of data-set version `sha256` of the file at `path`: the file itself when it
 * is that version, else a prefix of it that is (see prefixVersion), else the newest commit
 * of it in git history that is. Null if none.
 */
export function findDataVersion(path: string, sha256: string, maxCommits = 200): Buffer | null {
  if (existsSync(path)) {
    const bytes = readFileSync(path);
    if (sha256Hex(bytes) === sha256) return bytes;
    const prefix = prefixVersion(bytes, sha256);
    if (prefix) return prefix;
  }
  const top = topLevel(dirname(path));
  if (!top) return null;
  // git prints the real path of the top level; resolve symlinks (macOS /tmp) the same way.
  const rel = relative(top, join(realpathSync(dirname(path)), basename(path)))
    .split('\\')
    .join('/');
  for (const c of commitsTouching(top, rel, maxCommits)) {
    const bytes = fileAt(top, c, rel);
    if (bytes && sha256Hex(bytes) === sha256) return bytes;
  }
  return null;
}

/**
 * The rows appended to the data set since version `before` (ingestion only appends),
 * as CSV text with the header; null when `before` is not a prefix or nothing was added.
 */
export function rowsAddedSince(before: Buffer, current: Buffer): Buffer | null {
  if (current.length <= before.length || !current.subarray(0, before.length).equals(before)) return null;
  const added = current.subarray(before.length);
  if (added.toString('latin1').trim() === '') return null;
  const end = before.indexOf(0x0a);
  const header = end === -1 ? before : before.subarray(0, end + 1);
  return Buffer.concat([header, end === -1 ? Buffer.from('\n') : Buffer.alloc(0), added]);
}

/** A short name for a data version in reports: `credit_data.csv@43c83a4630f1`. */
export function versionName(path: string, sha256: string): string {
  return `${basename(path)}@${sha256.slice(0, 12)}`;
}
