/**
 * Where training rows come from: a CSV file (the embedded default), a Parquet file or
 * folder, a PostgreSQL table or query, or a snapshot pointer (a small JSON file naming a
 * Parquet snapshot and the digest of its rows). The config's `data.source` and the
 * CLI's `--data URI` both end up as one of these; the readers beside this file turn each
 * into the same RawTable the CSV reader makes for the same rows.
 */
import { configError, usageError } from '../common/errors.ts';

export interface CsvSource {
  type: 'csv';
  path: string;
}

export interface ParquetSource {
  type: 'parquet';
  /** A .parquet file, or a folder whose *.parquet files are read in name order. */
  path: string;
}

export interface PostgresSource {
  type: 'postgres';
  /** A table (optionally schema-qualified) or a SELECT query: exactly one of the two. */
  table?: string;
  query?: string;
  /** Columns giving the rows a total order (ORDER BY), so the digest is stable. */
  key?: string[];
  /** Columns to read from a table (default: all of them, in table order). */
  columns?: string[];
  /** The transaction is cancelled after this long. */
  statement_timeout_ms?: number;
}

export interface SnapshotSource {
  type: 'snapshot';
  /** The pointer file (`mlops data snapshot` writes it). */
  path: string;
}

export type DataSource = CsvSource | ParquetSource | PostgresSource | SnapshotSource;

export const DEFAULT_STATEMENT_TIMEOUT_MS = 10 * 60_000;

/**
 * `--data` URIs: `loans.csv` or `csv:loans.csv`; `loans.parquet`, a folder, or
 * `parquet:PATH`; `postgres:TABLE?key=id&columns=a,b` or `postgres:SELECT … ORDER BY …`;
 * `snapshot:PATH` or a path ending in `.snapshot.json`.
 */
export function parseSourceUri(uri: string): DataSource {
  const m = /^(csv|parquet|postgres|postgresql|snapshot):(.*)$/is.exec(uri);
  if (!m) {
    if (/\.parquet$/i.test(uri)) return { type: 'parquet', path: uri };
    if (/\.snapshot\.json$/i.test(uri)) return { type: 'snapshot', path: uri };
    return { type: 'csv', path: uri };
  }
  const kind = m[1].toLowerCase();
  const rest = m[2].trim();
  if (rest === '') throw usageError(`--data ${uri}: nothing after "${m[1]}:"`);
  if (kind === 'csv') return { type: 'csv', path: rest };
  if (kind === 'parquet') return { type: 'parquet', path: rest };
  if (kind === 'snapshot') return { type: 'snapshot', path: rest };
  if (rest.startsWith('//'))
    throw usageError(
      `--data ${kind}://…: the connection comes from DATABASE_URL or the PG* variables, never the command line (it would show the password to every process list); write postgres:TABLE or postgres:SELECT …`,
    );
  if (isQuery(rest)) return { type: 'postgres', query: rest };
  const [table, params = ''] = rest.split('?', 2);
  const source: PostgresSource = { type: 'postgres', table: table.trim() };
  for (const pair of params.split('&').filter(Boolean)) {
    const [k, v = ''] = pair.split('=', 2);
    const list = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (k === 'key') source.key = list;
    else if (k === 'columns') source.columns = list;
    else throw usageError(`--data ${uri}: unknown option "${k}" (expected key=COL,… or columns=COL,…)`);
  }
  return source;
}

/**
 * Points the config's `data` at a `--data` URI (the CLI flag, the train action's input): a
 * CSV becomes `data.path`, any other source `data.source`; `resolve` places a file path
 * (flags are relative to where they were given, the config's paths to its own folder).
 */
export function applyDataUri(
  data: { path: string; source?: DataSource },
  uri: string,
  resolve: (path: string) => string,
): void {
  const source = parseSourceUri(uri);
  delete data.source;
  if (source.type === 'csv') data.path = resolve(source.path);
  else data.source = source.type === 'postgres' ? source : { ...source, path: resolve(source.path) };
}

/** A `--data` URI with its file path placed by `resolve` (a table or query is left as it is). */
export function placeSourceUri(uri: string, resolve: (path: string) => string): string {
  const source = parseSourceUri(uri);
  if (source.type === 'postgres') return uri;
  return source.type === 'csv' ? resolve(source.path) : `${source.type}:${resolve(source.path)}`;
}

export function isQuery(text: string): boolean {
  return /^\s*(select|with|table|values)\b/i.test(text);
}

/** A one-line name for messages, run records and reports; never holds a credential. */
export function sourceLabel(s: DataSource): string {
  if (s.type !== 'postgres') return s.type === 'csv' ? s.path : `${s.type}:${s.path}`;
  if (s.query) return `postgres:${s.query.replace(/\s+/g, ' ').trim()}`;
  const opts = [s.key?.length ? `key=${s.key.join(',')}` : '', s.columns?.length ? `columns=${s.columns.join(',')}` : '']
    .filter(Boolean)
    .join('&');
  return `postgres:${s.table}${opts ? `?${opts}` : ''}`;
}

/** Refuses a `data.source` whose fields do not fit its type, naming the key. */
export function checkSourceConfig(source: DataSource, where: string): void {
  const bad = (key: string, what: string): never => {
    throw configError(`${where}: invalid config:\n  - /data/source${key}: ${what}`);
  };
  const s = source as unknown as Record<string, unknown>;
  const allowed: Record<DataSource['type'], string[]> = {
    csv: ['type', 'path'],
    parquet: ['type', 'path'],
    snapshot: ['type', 'path'],
    postgres: ['type', 'table', 'query', 'key', 'columns', 'statement_timeout_ms'],
  };
  for (const k of Object.keys(s))
    if (!allowed[source.type].includes(k)) bad(`/${k}`, `not used by a ${source.type} source (it takes ${allowed[source.type].slice(1).join(', ')})`);
  if (source.type !== 'postgres') {
    if (!source.path) bad('/path', `a ${source.type} source needs "path"`);
    return;
  }
  if (!source.table === !source.query) bad('', 'a postgres source names exactly one of "table" and "query"');
  if (source.table && !(source.key?.length ?? 0))
    bad('/key', 'a table source needs "key": the columns that identify a row, which fix the order the rows are read in');
  if (source.query && !isQuery(source.query))
    bad('/query', 'must be a SELECT (or WITH … SELECT) query');
}

