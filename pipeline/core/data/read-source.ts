/**
 * One entry point for every data source: reads the rows, pins them with a content
 * digest, and says how they were ordered and typed — what a run records so the same
 * rows can be asked for again and checked. A snapshot pointer is verified against its
 * digest before anything uses its rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { inputError, MlopsError } from '../common/errors.ts';
import { resolvePath } from '../config/load.ts';
import type { MlopsConfig } from '../config/types.ts';
import { readCsvFile, type CsvOptions } from './csv.ts';
import type { RawTable } from './table.ts';
import { readParquet } from './parquet.ts';
import { readPostgres, type Env, type PgReadOptions } from './postgres.ts';
import { rowsDigest } from './rows-digest.ts';
import { sourceLabel, type DataSource } from './source.ts';

export interface SourceColumn {
  name: string;
  type: string;
}

/** What a run records about the rows it read (never a credential). */
export interface SourceRecord {
  type: DataSource['type'];
  /** One-line name: the path, `parquet:PATH`, `postgres:TABLE?key=…` or `postgres:SELECT …`. */
  label: string;
  /** The source as configured (paths as written). */
  source: DataSource;
  /** Content digest of the rows in their canonical order (pipeline/core/data/rows-digest.ts). */
  digest: string;
  rows: number;
  columns: SourceColumn[];
  /** What fixes the row order: `file order`, `key id`, `the query's ORDER BY`. */
  order: string;
  /** The SQL run, for a PostgreSQL source. */
  sql?: string;
  /** `postgres://user@host:port/db`, for a PostgreSQL source. */
  connection?: string;
  /** The Parquet file behind a snapshot pointer. */
  snapshot_file?: string;
}

export interface SourceRead {
  table: RawTable;
  record: SourceRecord;
  /** A CSV source's file sha256 (what its bundles record). */
  fileSha256?: string;
}

export interface ReadSourceOptions {
  /** Folder relative paths resolve against. */
  baseDir: string;
  env?: Env;
  after?: PgReadOptions['after'];
  allowEmpty?: boolean;
  /** How a CSV source is read (its encoding). */
  csv?: CsvOptions;
}

/** The configured source: `data.source`, or the CSV at `data.path`. */
export function dataSourceOf(config: Pick<MlopsConfig, 'data'>): DataSource {
  return (config.data.source as DataSource | undefined) ?? { type: 'csv', path: config.data.path };
}

export const SNAPSHOT_FORMAT = 'credit-risk-gitops/data-snapshot';

/** The small file committed in place of the rows (`mlops data snapshot`). */
export interface SnapshotPointer {
  format: typeof SNAPSHOT_FORMAT;
  format_version: 1;
  /** Where the Parquet file is: relative to the pointer's folder, or absolute. */
  path: string;
  digest: string;
  rows: number;
  columns: SourceColumn[];
  /** Where the rows were read from, and in what order. */
  source: string;
  order: string;
  created_at: string;
  /** Set by `mlops ingest --source postgres`: the highest watermark value already in the snapshot. */
  watermark?: { column: string; value: string } | null;
}

export function readPointer(file: string): SnapshotPointer {
  if (!existsSync(file)) throw inputError(`snapshot pointer not found: ${file}`);
  let p: SnapshotPointer;
  try {
    p = JSON.parse(readFileSync(file, 'utf8')) as SnapshotPointer;
  } catch (e) {
    throw inputError(`${file}: malformed JSON: ${(e as Error).message}`);
  }
  if (p?.format !== SNAPSHOT_FORMAT || typeof p.path !== 'string' || !/^[0-9a-f]{64}$/.test(p.digest ?? ''))
    throw inputError(`${file}: not a snapshot pointer (expected "format": "${SNAPSHOT_FORMAT}", "path" and a sha256 "digest")`);
  return p;
}

export async function readSource(source: DataSource, opts: ReadSourceOptions): Promise<SourceRead> {
  const label = sourceLabel(source);
  if (source.type === 'csv') {
    const table = readCsvFile(resolvePath(opts.baseDir, source.path), opts.csv);
    const read = done(table, source, label, table.header.map((name) => ({ name, type: 'text' })), 'file order');
    return { ...read, fileSha256: table.sha256 };
  }
  if (source.type === 'parquet') {
    const r = await readParquet(resolvePath(opts.baseDir, source.path));
    return done(r.table, source, label, r.columns, 'file order');
  }
  if (source.type === 'snapshot') {
    const pointerFile = resolvePath(opts.baseDir, source.path);
    const pointer = readPointer(pointerFile);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pointer.path))
      throw new MlopsError('config', `${pointerFile}: snapshot at ${pointer.path}: only local paths can be read here`);
    const file = resolvePath(dirname(pointerFile), pointer.path);
    if (!existsSync(file))
      throw inputError(
        `${pointerFile}: its snapshot ${file} is not here (the rows are never committed: fetch the snapshot store, or re-create it with "mlops data snapshot")`,
      );
    const r = await readParquet(file);
    const read = done(r.table, source, label, pointer.columns, pointer.order);
    if (read.record.digest !== pointer.digest)
      throw new MlopsError(
        'integrity',
        `${pointerFile}: the snapshot ${file} holds rows with digest ${read.record.digest.slice(0, 12)}…, the pointer pins ${pointer.digest.slice(0, 12)}…; it was changed or replaced — nothing was trained`,
      );
    read.record.snapshot_file = file;
    return read;
  }
  const r = await readPostgres(source, { env: opts.env, after: opts.after, allowEmpty: opts.allowEmpty });
  const read = done(r.table, source, label, r.columns, r.order, r.digest);
  read.record.sql = r.sql;
  read.record.connection = r.connection;
  return read;
}

/** `digest`: the rows' digest when the reader wrote it as it read them (the same as rowsDigest's). */
function done(
  table: RawTable,
  source: DataSource,
  label: string,
  columns: SourceColumn[],
  order: string,
  digest: string | null = null,
): SourceRead {
  return {
    table,
    record: { type: source.type, label, source, digest: digest ?? rowsDigest(table), rows: table.rows, columns, order },
  };
}

