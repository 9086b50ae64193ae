/**
 * A throwaway PostgreSQL cluster for tests and the source benchmark: initdb in a
 * temporary folder, started with pg_ctl on 127.0.0.1 at a free port (and a Unix socket in
 * the same folder), password authentication over TCP. PostgreSQL refuses to run as root,
 * so as root (CI) the cluster belongs to `nobody` and every server binary runs through
 * setpriv. Binaries come from PG_BIN or Debian's /usr/lib/postgresql/<newest>/bin.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgCluster {
  host: string;
  port: number;
  socketDir: string;
  database: string;
  user: string;
  password: string;
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  /** Runs SQL as the superuser through psql; returns its stdout. */
  sql(text: string): string;
  /** Stops the server at once (as a crash would), keeping the cluster; `start` brings it back. */
  kill(): void;
  start(): void;
  stop(): void;
}

function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('PostgreSQL server binaries not found: apt-get install postgresql, or set PG_BIN');
  return join(root, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

const NOBODY = 65534;

export async function startPgCluster(opts: { database?: string; user?: string } = {}): Promise<PgCluster> {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'mlops-pg-'));
  if (root) chownSync(dir, NOBODY, NOBODY);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const run = (cmd: string, args: string[], input?: string): string => {
    const full = root
      ? ['setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    return execFileSync(full[0] as string, full[1] as string[], {
      input,
      cwd: dir,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', PGTZ: 'UTC' },
    });
  };
  const superPassword = `super-${Math.random().toString(36).slice(2)}`;
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, superPassword + '\n', { mode: 0o600 });
  if (root) chownSync(pwfile, NOBODY, NOBODY);
  run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  rmSync(pwfile);
  const port = await freePort();
  // fsync off: a throwaway cluster need not survive a machine crash. synchronous_commit stays on:
  // tests kill the server, and a commit acknowledged before its WAL left the server's memory
  // would be lost with it.
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c shared_buffers=64MB -c max_connections=40 -c timezone=UTC`;
  const start = (): void => {
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  };
  start();
  const database = opts.database ?? 'lending';
  const user = opts.user ?? 'mlops';
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const sql = (text: string, db = database): string =>
    execFileSync(
      'psql',
      ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'postgres', '-d', db],
      {
        input: text,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
        maxBuffer: 1 << 30,
      },
    );
  sql(`CREATE ROLE ${user} LOGIN PASSWORD '${password}';\nCREATE DATABASE ${database} OWNER ${user};`, 'postgres');
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    socketDir: dir,
    database,
    user,
    password,
    url: `postgres://${user}:${password}@127.0.0.1:${port}/${database}`,
    sql: (text) => sql(text),
    kill: () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    start,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped (kill)
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** COPY text format: tab-separated, `\N` for null, backslash escapes. */
function copyValue(v: string | null): string {
  if (v === null) return '\\N';
  return v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * Creates `name` owned by the cluster's user with an `id` key in row order (bigserial)
 * and the table's columns, typed as given (default text), and loads the rows.
 */
export function loadTable(
  c: PgCluster,
  name: string,
  table: { header: string[]; rows: number; columns: Map<string, { get(i: number): string | null }> },
  types: Record<string, string> = {},
): void {
  const q = (h: string): string => `"${h.replace(/"/g, '""')}"`;
  const cols = table.header.map((h) => table.columns.get(h)!);
  const lines: string[] = [];
  for (let r = 0; r < table.rows; r++) lines.push(cols.map((c) => copyValue(c.get(r))).join('\t'));
  c.sql(
    `DROP TABLE IF EXISTS ${q(name)};\n` +
      `CREATE TABLE ${q(name)} (id bigserial PRIMARY KEY, ${table.header.map((h) => `${q(h)} ${types[h] ?? 'text'}`).join(', ')});\n` +
      `ALTER TABLE ${q(name)} OWNER TO ${c.user};\n` +
      `COPY ${q(name)} (${table.header.map(q).join(', ')}) FROM STDIN;\n${lines.join('\n')}\n\\.\n`,
  );
}
