/**
 * Reads a PostgreSQL table or query into a RawTable with node-postgres (`pg`, pure
 * JavaScript, no native build) and `pg-copy-streams`: one read-only REPEATABLE READ
 * transaction with a statement timeout, in which `COPY (SELECT …) TO STDOUT` streams the
 * rows as the server produces them — the server never materialises the result, and the
 * socket's back-pressure bounds memory on both sides — and copy-text.ts parses them
 * straight into columns (numbers as numbers, text normalised like the CSV reader's).
 * A cursor would do the same streaming through one protocol message per row that pg
 * turns into JavaScript objects, which costs several times what the rows take to arrive;
 * COPY hands over the bytes. Both packages load on first use, so nothing that never
 * reads PostgreSQL pays for them.
 *
 * The connection comes from DATABASE_URL or the standard PG* variables. The password is
 * never part of a label or a message: every error text is scrubbed of it before it leaves.
 */
import { inputError, MlopsError } from '../common/errors.ts';
import type { RawTable } from './table.ts';
import { CopyTextParser, type CopyKind } from './copy-text.ts';
import { DEFAULT_STATEMENT_TIMEOUT_MS, sourceLabel, type PostgresSource } from './source.ts';
import { typedTable } from './typed-columns.ts';

export interface PgConnectionInfo {
  /** node-postgres client settings. */
  config: Record<string, unknown>;
  /** `postgres://user@host:port/database`, without the password. */
  label: string;
  /** Strings that must never appear in output (passwords, the raw URL). */
  secrets: string[];
}

export type Env = Record<string, string | undefined>;

/** The connection settings: DATABASE_URL when set, else PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. */
export function pgConnection(env: Env = process.env): PgConnectionInfo {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    const secrets = [url];
    let label = 'DATABASE_URL';
    try {
      const u = new URL(url);
      if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
      label = `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
    } catch {
      // pg reports the malformed URL itself; the label stays generic.
    }
    return { config: { connectionString: url }, label, secrets };
  }
  const host = env.PGHOST ?? 'localhost';
  const port = Number(env.PGPORT ?? 5432);
  const user = env.PGUSER ?? env.USER ?? 'postgres';
  const database = env.PGDATABASE ?? user;
  const password = env.PGPASSWORD;
  return {
    config: { host, port, user, database, password },
    label: `postgres://${user}@${host.startsWith('/') ? `[${host}]` : host}:${port}/${database}`,
    secrets: password ? [password] : [],
  };
}

/** Replaces every secret in a text (longest first, so a URL goes before the password inside it). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length))
    out = out.split(s).join('***');
  return out;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table` → `"schema"."table"`; a name already in double quotes is kept as written. */
export function quoteTable(name: string): string {
  if (name.includes('"')) return name;
  return name
    .split('.')
    .map((p) => quoteIdent(p.trim()))
    .join('.');
}

/** Whether a query orders its result at the top level (an ORDER BY outside parentheses and quotes). */
export function hasTopLevelOrderBy(query: string): boolean {
  let depth = 0;
  let outer = '';
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (ch === "'" || ch === '"') {
      const end = query.indexOf(ch, i + 1);
      i = end < 0 ? query.length : end;
      outer += ' ';
    } else if (ch === '-' && query[i + 1] === '-') {
      const end = query.indexOf('\n', i);
      i = end < 0 ? query.length : end;
    } else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0) outer += ch;
  }
  return /\border\s+by\b/i.test(outer);
}

export interface PgReadOptions {
  env?: Env;
  /** Only rows whose `column` is greater than `value` (watermark ingestion); null reads all rows. */
  after?: { column: string; value: string | null } | null;
  /** Called after each batch with the rows read so far. */
  onRows?: (rows: number) => void;
  /** Accept an empty result instead of refusing it (an ingestion may find nothing new). */
  allowEmpty?: boolean;
}

export interface PgColumn {
  name: string;
  type: string;
}

export interface PgReadResult {
  table: RawTable;
  columns: PgColumn[];
  /** The SQL that was run (no values: the watermark is a parameter). */
  sql: string;
  /** What orders the rows: the key columns or the query's own ORDER BY. */
  order: string;
  connection: string;
  /** The rows' digest (rows-digest.ts), written while they were read; null when the table must be digested. */
  digest: string | null;
}

/** The SELECT that reads the source in its canonical order; throws when there is no stable order. */
export function buildSelect(
  s: PostgresSource,
  after: PgReadOptions['after'] = null,
): { sql: string; order: string; hidden: string[]; params: string[] } {
  const label = sourceLabel(s);
  if ((s.table ? 1 : 0) + (s.query ? 1 : 0) !== 1)
    throw inputError(`${label}: a postgres source names exactly one of "table" and "query"`);
  const key = s.key ?? [];
  const params: string[] = [];
  const where = after && after.value !== null ? (params.push(after.value), `${quoteIdent(after.column)} > $1`) : null;
  if (s.table) {
    if (key.length === 0)
      throw inputError(
        `${label}: a table has no row order of its own; declare the columns that identify a row (data.source.key, or ?key=COL on --data) so every read yields the same rows in the same order`,
      );
    const cols = s.columns?.length ? s.columns : null;
    const hidden = cols ? key.filter((k) => !cols.includes(k)) : [];
    const select = cols ? [...cols, ...hidden].map(quoteIdent).join(', ') : '*';
    const sql = `SELECT ${select} FROM ${quoteTable(s.table)}${where ? ` WHERE ${where}` : ''} ORDER BY ${key.map(quoteIdent).join(', ')}`;
    return { sql, order: `key ${key.join(', ')}`, hidden, params };
  }
  const query = s.query!.trim().replace(/;\s*$/, '');
  if (key.length > 0 || where) {
    if (key.length === 0 && !hasTopLevelOrderBy(query))
      throw inputError(`${label}: the query has no ORDER BY; declare data.source.key or order the rows`);
    const orderBy = key.length > 0 ? ` ORDER BY ${key.map(quoteIdent).join(', ')}` : '';
    // A wrapped query keeps its own order only when it is re-imposed: order by the key, else by the watermark.
    const order = orderBy || ` ORDER BY ${quoteIdent(after!.column)}`;
    return {
      sql: `SELECT * FROM (${query}) AS source${where ? ` WHERE ${where}` : ''}${order}`,
      order: key.length > 0 ? `key ${key.join(', ')}` : `${after!.column} (watermark)`,
      hidden: [],
      params,
    };
  }
  if (!hasTopLevelOrderBy(query))
    throw inputError(
      `${label}: the query has no ORDER BY, so PostgreSQL may return its rows in any order and the digest of what was read would not be stable; add ORDER BY on columns that identify a row, or declare data.source.key`,
    );
  return { sql: query, order: 'the query’s ORDER BY', hidden: [], params };
}

/** Built-in numeric types read as numbers (pg_type.dat); int8 stays text, as a double would round it. */
const NUMBER_TYPES = new Set([21, 23, 26, 700, 701, 1700]);
const BOOL = 16;

interface PgField {
  name: string;
  dataTypeID: number;
}

/** A value as an SQL literal (COPY takes no bind parameters). */
export function quoteLiteral(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

export async function readPostgres(source: PostgresSource, opts: PgReadOptions = {}): Promise<PgReadResult> {
  const conn = pgConnection(opts.env);
  const label = sourceLabel(source);
  const { sql, order, hidden, params } = buildSelect(source, opts.after ?? null);
  const timeout = source.statement_timeout_ms ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const [{ default: pg }, { to: copyTo }] = await Promise.all([import('pg'), import('pg-copy-streams')]);
  const client = new pg.Client({ ...conn.config, application_name: 'credit-risk-gitops', connectionTimeoutMillis: 30_000 });
  // A connection lost while idle is reported here instead of crashing the process; the pending read fails with it.
  client.on('error', () => undefined);
  let parser: CopyTextParser | null = null;
  const fail = (e: unknown): never => {
    throw pgError(e, { label, connection: conn.label, secrets: conn.secrets, rows: parser?.rows ?? 0, timeout });
  };
  try {
    await client.connect().catch(fail);
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY').catch(fail);
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeout))}`).catch(fail);
    // COPY carries no column description: ask for it first, in the same snapshot.
    const described = await client
      .query({ text: `SELECT * FROM (${sql}) AS described LIMIT 0`, values: params })
      .catch(fail);
    const fields = described.fields as PgField[];
    const names = fields.map((f) => f.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw inputError(`${label}: column "${dup}" appears twice in the result; alias one of them`);
    for (const k of source.key ?? [])
      if (!names.includes(k)) throw inputError(`${label}: key column "${k}" is not in the result (columns: ${names.join(', ')})`);
    // Hidden key columns are read only for the key check, never kept.
    const kinds: CopyKind[] = fields.map((f) =>
      hidden.includes(f.name) ? 'skip' : NUMBER_TYPES.has(f.dataTypeID) ? 'number' : f.dataTypeID === BOOL ? 'bool' : 'text',
    );
    const keyAt = (source.key ?? []).map((k) => names.indexOf(k));
    // The planner's estimate of the rows, so the columns are allocated once instead of grown (and copied) into.
    const plan = await client.query({ text: `EXPLAIN (FORMAT JSON) ${sql}`, values: params }).catch(fail);
    parser = new CopyTextParser(kinds, names, keyAt, label, plannedRows(plan.rows[0]?.['QUERY PLAN']));
    const literalSql = params.reduce((q, v, i) => q.split(`$${i + 1}`).join(quoteLiteral(v)), sql);
    // COPY streams rows as the executor makes them; the socket's back-pressure keeps memory flat on both sides.
    const stream = client.query(copyTo(`COPY (${literalSql}) TO STDOUT`));
    let reported = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        parser.push(chunk);
        if (opts.onRows && parser.rows - reported >= 10_000) opts.onRows((reported = parser.rows));
      }
    } catch (e) {
      fail(e);
    }
    const { numbers, text, digest } = parser.finish();
    const rows = parser.rows;
    const types = await typeNames(client, fields).catch(fail);
    await client.query('COMMIT').catch(fail);
    if (rows === 0 && !opts.allowEmpty)
      throw inputError(`${label}: the ${source.table ? 'table' : 'query'} returned no rows (connection ${conn.label})`);
    const visible = names.filter((n) => !hidden.includes(n));
    for (const h of hidden) {
      numbers.delete(h);
      text.delete(h);
    }
    return {
      table: typedTable(label, visible, rows, text, numbers),
      columns: visible.map((n) => ({ name: n, type: types.get(fields[names.indexOf(n)].dataTypeID) ?? 'unknown' })),
      sql: literalSql === sql ? sql : `${sql} -- $1 = ${quoteLiteral(params[0])}`,
      order,
      connection: conn.label,
      digest,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** "Plan Rows" of EXPLAIN (FORMAT JSON)'s top node (pg hands the json column over parsed); 0 when absent. */
function plannedRows(plan: unknown): number {
  const top = (Array.isArray(plan) ? plan[0] : null) as { Plan?: { 'Plan Rows'?: unknown } } | null;
  const rows = Number(top?.Plan?.['Plan Rows']);
  return Number.isFinite(rows) && rows > 0 ? rows : 0;
}

async function typeNames(client: { query: (t: string, v: unknown[]) => Promise<{ rows: { oid: number; typname: string }[] }> }, fields: PgField[]): Promise<Map<number, string>> {
  const oids = [...new Set(fields.map((f) => f.dataTypeID))];
  const r = await client.query('SELECT oid::int AS oid, typname FROM pg_type WHERE oid = ANY($1::oid[])', [oids]);
  return new Map(r.rows.map((x) => [Number(x.oid), x.typname]));
}

/** A PostgreSQL failure as an MlopsError a user can act on, with every secret removed. */
function pgError(
  e: unknown,
  ctx: { label: string; connection: string; secrets: string[]; rows: number; timeout: number },
): MlopsError {
  if (e instanceof MlopsError) return new MlopsError(e.kind, redact(e.message, ctx.secrets), e.details);
  const err = e as Error & { code?: string; address?: string; port?: number };
  const raw = redact(String(err?.message ?? e), ctx.secrets);
  const at = `(${ctx.label}, connection ${ctx.connection})`;
  let message: string;
  switch (err?.code) {
    case '28P01':
    case '28000':
      message = `PostgreSQL refused the login: ${raw} ${at}; check DATABASE_URL or PGUSER/PGPASSWORD`;
      break;
    case '3D000':
      message = `PostgreSQL: ${raw} ${at}`;
      break;
    case '42P01':
      message = `PostgreSQL: ${raw}: no such table or view ${at}`;
      break;
    case '42703':
      message = `PostgreSQL: ${raw} ${at}`;
      break;
    case '57014':
      message = `PostgreSQL cancelled the read after the statement timeout of ${ctx.timeout} ms ${at}; raise data.source.statement_timeout_ms or read fewer rows`;
      break;
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      message = `cannot reach PostgreSQL: ${raw} ${at}`;
      break;
    default:
      message =
        ctx.rows > 0 || /terminat|closed|ECONNRESET|EPIPE/i.test(raw)
          ? `PostgreSQL: the read failed after ${ctx.rows} rows: ${raw} ${at}; nothing was kept`
          : `PostgreSQL: ${raw} ${at}`;
  }
  return new MlopsError('input', message);
}
