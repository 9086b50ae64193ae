/**
 * Training data from a real PostgreSQL server (a throwaway cluster, see pg-cluster.ts)
 * and from Parquet: the same rows give the same digest and the same model as the
 * embedded CSV; failures are clear, keep the password out, and leave nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../pipeline/core/common/canonical-json.ts';
import { readCsvFile } from '../../pipeline/core/data/csv.ts';
import type { RawTable } from '../../pipeline/core/data/table.ts';
import { rowsDigest } from '../../pipeline/core/data/rows-digest.ts';
import { ROOT, runCli, tempProject } from '../helpers/cli.ts';
import { runAction } from '../actions/run-action.ts';
import { loadTable, startPgCluster, type PgCluster } from './pg-cluster.ts';

/** Tests that train several models against a real server take minutes on a loaded machine. */
const LONG = 300_000;
const NUMERIC = ['Seniority', 'Time', 'Age', 'Expenses', 'Income', 'Assets', 'Debt', 'Amount', 'Price'];
let pg: PgCluster;
let csv: RawTable;
let tableUri: string;
let queryUri: string;
const outputs: string[] = [];

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(args, cwd);
  outputs.push(r.out, r.err);
  return r;
}

function bundle(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
}

/** sha256 of a run's model.json: the bundle's bytes. */
function bundleSha(dir: string): string {
  return sha256Hex(readFileSync(join(dir, 'model.json')));
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  pg = await startPgCluster();
  csv = readCsvFile(join(ROOT, 'data/credit_data.csv'));
  loadTable(pg, 'loans', csv, Object.fromEntries(NUMERIC.map((h) => [h, 'double precision'])));
  const cols = csv.header.map((h) => `"${h}"`).join(', ');
  tableUri = `postgres:loans?key=id&columns=${csv.header.join(',')}`;
  queryUri = `postgres:SELECT ${cols} FROM loans ORDER BY id`;
  process.env.DATABASE_URL = pg.url;
  process.env.SOURCE_DATE_EPOCH = '1700000000';
});

afterAll(() => {
  pg?.stop();
  // No message, error or stored file of any test below may hold the password.
  for (const text of outputs) expect(text).not.toContain(pg.password);
});

describe('PostgreSQL and Parquet sources', () => {
  it(
    'a table, an ordered query, a Parquet file and the CSV give the same rows, digest and model',
    async () => {
      const dir = tempProject();
      const base = ['train', '--quiet', '--engine', 'gbdt'];
      expect((await cli([...base, '--out', 'csv'], dir)).code).toBe(0);
      expect((await cli([...base, '--out', 'table', '--data', tableUri], dir)).code).toBe(0);
      expect((await cli([...base, '--out', 'table2', '--data', tableUri], dir)).code).toBe(0);
      expect((await cli([...base, '--out', 'query', '--data', queryUri], dir)).code).toBe(0);
      const snap = await cli(['data', 'snapshot', '--data', tableUri], dir);
      expect(snap.code, snap.err).toBe(0);
      const pointer = JSON.parse(readFileSync(join(dir, 'data/training.snapshot.json'), 'utf8'));
      const parquet = join(dir, 'data', pointer.path);
      expect((await cli([...base, '--out', 'parquet', '--data', parquet], dir)).code).toBe(0);
      expect(
        (await cli([...base, '--out', 'pointer', '--data', 'snapshot:data/training.snapshot.json'], dir)).code,
      ).toBe(0);

      const digest = rowsDigest(csv);
      expect(pointer.digest).toBe(digest);
      expect(pointer.rows).toBe(4454);
      for (const run of ['csv', 'table', 'query', 'parquet', 'pointer']) {
        const rec = JSON.parse(readFileSync(join(dir, run, 'run.json'), 'utf8'));
        expect(rec.source.digest, run).toBe(digest);
        expect(rec.source.rows, run).toBe(4454);
      }
      const tableRun = JSON.parse(readFileSync(join(dir, 'table', 'run.json'), 'utf8'));
      expect(tableRun.source.sql).toContain('ORDER BY "id"');
      expect(tableRun.source.columns.find((c: { name: string }) => c.name === 'Amount').type).toBe('float8');
      expect(JSON.stringify(tableRun)).not.toContain(pg.password);
      // Same rows, same model: every source's bundle is the CSV's, byte for byte. It pins the
      // rows by their digest; where they were read from is run.json's.
      const reference = bundleSha(join(dir, 'csv'));
      for (const run of ['table', 'table2', 'query', 'parquet', 'pointer']) {
        expect(bundleSha(join(dir, run)), run).toBe(reference);
        const b = bundle(join(dir, run)) as { provenance: { data: unknown; config: { data: object } } };
        expect(b.provenance.data, run).toEqual({ digest, rows: 4454 });
        expect(Object.keys(b.provenance.config.data), run).not.toContain('source');
      }
      const csvRun = JSON.parse(readFileSync(join(dir, 'csv', 'run.json'), 'utf8'));
      expect(csvRun.data.path).toBe('data/credit_data.csv');
      expect(csvRun.data.sha256).toBe(sha256Hex(readFileSync(join(ROOT, 'data/credit_data.csv'))));
      expect(tableRun.data_location.source).toMatchObject({ type: 'postgres', table: 'loans', key: ['id'] });
    },
    LONG,
  );

  it(
    'tuning reads the configured source too, and finds the same folds as on the CSV',
    async () => {
      const dir = tempProject();
      const args = ['tune', '--engine', 'logistic', '--trials', '1', '--folds', '2'];
      const fromCsv = await cli([...args, '--out', 'csv'], dir);
      expect(fromCsv.code, fromCsv.err).toBe(0);
      const fromTable = await cli([...args, '--out', 'table', '--data', tableUri], dir);
      expect(fromTable.code, fromTable.err).toBe(0);
      // The trials table (mean and sd of every trial) is the same; the data line names each source.
      const trials = (out: string): string => out.slice(out.indexOf('| trial'), out.indexOf('Best:'));
      expect(trials(fromTable.out)).toContain('| **0** |');
      expect(trials(fromTable.out)).toBe(trials(fromCsv.out));
      expect(fromTable.out).toContain('data `postgres:loans?key=id');
    },
    LONG,
  );

  it('a wrong password is a clear error without the password, and no run folder', async () => {
    const dir = tempProject();
    const good = process.env.DATABASE_URL!;
    process.env.DATABASE_URL = good.replace(pg.password, `${pg.password}-wrong`);
    try {
      const r = await cli(['train', '--quiet', '--data', tableUri], dir);
      expect(r.code).toBe(1);
      expect(r.err).toContain('password authentication failed for user "mlops"');
      expect(r.err).toContain(`postgres://mlops@127.0.0.1:${pg.port}/${pg.database}`);
      expect(r.err).not.toContain(pg.password);
      expect(existsSync(join(dir, 'runs'))).toBe(false);
    } finally {
      process.env.DATABASE_URL = good;
    }
  });

  it('the PG* variables work too, and a connection string on the command line is refused', async () => {
    const dir = tempProject();
    const url = process.env.DATABASE_URL!;
    delete process.env.DATABASE_URL;
    Object.assign(process.env, {
      PGHOST: '127.0.0.1',
      PGPORT: String(pg.port),
      PGUSER: pg.user,
      PGPASSWORD: pg.password,
      PGDATABASE: pg.database,
    });
    try {
      const r = await cli(['train', '--quiet', '--engine', 'logistic', '--out', 'r', '--data', tableUri], dir);
      expect(r.code, r.err).toBe(0);
      const bad = await cli(['train', '--quiet', '--data', `postgres://mlops:${pg.password}@127.0.0.1/x`], dir);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('never the command line');
    } finally {
      for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE']) delete process.env[k];
      process.env.DATABASE_URL = url;
    }
  });

  it('an unknown table, a query without rows or without ORDER BY, and a table without key are refused', async () => {
    const dir = tempProject();
    const unknown = await cli(['train', '--quiet', '--data', 'postgres:no_such_loans?key=id'], dir);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('relation "no_such_loans" does not exist');
    const empty = await cli(
      ['train', '--quiet', '--data', 'postgres:SELECT * FROM loans WHERE false ORDER BY id'],
      dir,
    );
    expect(empty.code).toBe(1);
    expect(empty.err).toContain('the query returned no rows');
    const unordered = await cli(['train', '--quiet', '--data', 'postgres:SELECT * FROM loans'], dir);
    expect(unordered.code).toBe(1);
    expect(unordered.err).toContain('has no ORDER BY');
    const nokey = await cli(['train', '--quiet', '--data', 'postgres:loans'], dir);
    expect(nokey.code).toBe(1);
    expect(nokey.err).toContain('/data/source/key: a table source needs "key"');
    const badConfig = tempProject({
      data: { path: 'x.csv', target: 'Status', positive: 'bad', source: { type: 'postgres', table: 'loans' } },
    });
    const cfg = await cli(['train', '--quiet'], badConfig);
    expect(cfg.code).toBe(1);
    expect(cfg.err).toContain('/data/source/key');
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('a connection dropped mid-stream fails the run and leaves no run folder behind', async () => {
    const dir = tempProject({
      data: {
        path: 'data/credit_data.csv',
        target: 'Status',
        positive: 'bad',
        source: {
          type: 'postgres',
          query: `SELECT *, CASE WHEN id = 2500 THEN pg_terminate_backend(pg_backend_pid()) END AS boom FROM loans ORDER BY id`,
        },
      },
    });
    const r = await cli(['run', '--quiet'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the read failed after \d+ rows: terminating connection/);
    expect(filesUnder(join(dir, 'runs'))).toEqual([]);
    expect(filesUnder(join(dir, 'models')).filter((f) => !f.endsWith('.gitkeep'))).toEqual([]);
  });

  it(
    'a run trained from a table is compared, promoted and reported on the rows it read, and refused once they change',
    async () => {
      loadTable(pg, 'loans_p', csv, Object.fromEntries(NUMERIC.map((h) => [h, 'double precision'])));
      const uri = `postgres:loans_p?key=id&columns=${csv.header.join(',')}`;
      const dir = tempProject();
      const base = ['train', '--quiet', '--engine', 'logistic'];
      expect((await cli([...base, '--out', 'csv'], dir)).code).toBe(0);
      const t = await cli([...base, '--out', 'db', '--data', uri], dir);
      expect(t.code, t.err).toBe(0);
      // The same rows as the CSV run: the same test rows (by their sha256) and the same figures.
      const fromCsv = await cli(['compare', '--challenger', 'csv', '--json'], dir);
      const fromDb = await cli(['compare', '--challenger', 'db', '--json'], dir);
      expect(fromDb.code, fromDb.err).toBe(0);
      const [vc, vd] = [JSON.parse(fromCsv.out), JSON.parse(fromDb.out)];
      expect(vd.evaluated_on).toEqual(vc.evaluated_on);
      expect(vd.evaluated_on[0].rows).toBe(891);
      expect(vd.metrics.challenger).toEqual(vc.metrics.challenger);
      const promoted = await cli(['promote', '--run', 'db'], dir);
      expect(promoted.code, promoted.err).toBe(0);
      expect(promoted.out).toContain('promoted credit-default v1 to champion');
      expect(promoted.err).toContain('model card of v1');
      const registry = JSON.parse(readFileSync(join(dir, 'models/registry.json'), 'utf8'));
      const v1 = registry.models['credit-default'].versions[0];
      expect(v1.lineage.data).toEqual({ path: uri, sha256: rowsDigest(csv), rows: 4454 });
      expect(v1.metrics.evaluation).toEqual(vd.metrics.challenger);
      expect(readFileSync(join(dir, 'reports/credit-default/v1/report.json'), 'utf8')).toContain('"roc_auc"');
      const report = await cli(['report', '--run', 'db', '--out', 'db-report'], dir);
      expect(report.code, report.err).toBe(0);
      expect(existsSync(join(dir, 'db-report', 'report.html'))).toBe(true);
      // One label changed in the table: the recorded rows are gone, and nothing is scored on others.
      pg.sql(`UPDATE loans_p SET "Status" = CASE WHEN "Status" = 'bad' THEN 'good' ELSE 'bad' END WHERE id = 7;`);
      for (const args of [
        ['compare', '--challenger', 'db'],
        ['promote', '--run', 'db'],
        ['report', '--run', 'db', '--out', 'db-report2'],
      ]) {
        const r = await cli(args, dir);
        expect(r.code, args[0]).toBe(1);
        expect(r.err, args[0]).toContain('the data changed since training');
        expect(r.err, args[0]).toContain(`the run read ${rowsDigest(csv).slice(0, 12)}`);
      }
      expect(JSON.parse(readFileSync(join(dir, 'models/registry.json'), 'utf8'))).toEqual(registry);
    },
    LONG,
  );

  it(
    'reproduce re-reads the table and counts what changed, including a column whose type changed',
    async () => {
      loadTable(pg, 'loans_v', csv, Object.fromEntries(NUMERIC.map((h) => [h, 'double precision'])));
      // All columns: the key (id) is read too, so changed rows are matched by it.
      const uri = 'postgres:loans_v?key=id';
      const dir = tempProject();
      expect((await cli(['data', 'snapshot', '--data', uri], dir)).code).toBe(0);
      const t = await cli(['train', '--quiet', '--engine', 'gbdt', '--data', uri], dir);
      expect(t.code, t.err).toBe(0);
      const id = readdirSync(join(dir, 'runs'))[0];
      const same = await cli(['runs', 'reproduce', id, '--quiet'], dir);
      expect(same.code, same.err).toBe(0);
      expect(same.out).toContain('data unchanged');
      expect(same.out).toContain('reproduced');
      pg.sql(
        `ALTER TABLE loans_v ALTER COLUMN "Amount" TYPE text;\n` +
          `UPDATE loans_v SET "Income" = "Income" + 1 WHERE id IN (3, 4);\n` +
          `DELETE FROM loans_v WHERE id = 10;\n` +
          `INSERT INTO loans_v ("Status", "Seniority", "Home", "Time", "Age", "Marital", "Records", "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price") SELECT "Status", "Seniority", "Home", "Time", "Age", "Marital", "Records", "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price" FROM loans_v WHERE id = 1;`,
      );
      const changed = await cli(['runs', 'reproduce', id, '--quiet'], dir);
      expect(changed.code).toBe(1);
      expect(changed.err).toContain('data changed');
      expect(changed.err).toContain('4454 → 4454 rows');
      expect(changed.err).toContain('1 added, 1 removed, 2 changed');
      expect(changed.err).toContain('Amount: float8 → text');
    },
    LONG,
  );

  it(
    'a holdout (--test) may be a table, a query or a snapshot too: the same model, verdict and report as its CSV',
    async () => {
      const holdout = readCsvFile(join(ROOT, 'data/credit_data/test.csv'));
      loadTable(pg, 'holdout', holdout, Object.fromEntries(NUMERIC.map((h) => [h, 'double precision'])));
      const cols = holdout.header.map((h) => `"${h}"`).join(', ');
      const dir = tempProject();
      expect((await cli(['data', 'snapshot', '--data', 'data/credit_data/test.csv'], dir)).code).toBe(0);
      const base = ['train', '--quiet', '--engine', 'logistic', '--data', 'data/credit_data/train.csv'];
      const holdouts: Record<string, string> = {
        csv: 'data/credit_data/test.csv',
        table: `postgres:holdout?key=id&columns=${holdout.header.join(',')}`,
        query: `postgres:SELECT ${cols} FROM holdout ORDER BY id`,
        snapshot: 'snapshot:data/training.snapshot.json',
      };
      for (const [name, uri] of Object.entries(holdouts)) {
        const r = await cli([...base, '--out', name, '--test', uri], dir);
        expect(r.code, `${name}: ${r.err}`).toBe(0);
      }
      const reference = bundleSha(join(dir, 'csv'));
      const verdicts: unknown[] = [];
      for (const name of Object.keys(holdouts)) {
        const rec = JSON.parse(readFileSync(join(dir, name, 'run.json'), 'utf8'));
        expect(rec.test_data.rows, name).toBe(891);
        if (name !== 'csv') expect(rec.test_data.sha256, name).toBe(rowsDigest(holdout));
        expect(bundleSha(join(dir, name)), name).toBe(reference);
        // compare and report of the folder read the holdout again from where it lives
        const v = await cli(['compare', '--challenger', name, '--json'], dir);
        expect(v.code, `${name}: ${v.err}`).toBe(0);
        verdicts.push(JSON.parse(v.out).metrics);
        const rep = await cli(['report', '--run', name, '--out', `${name}-report`], dir);
        expect(rep.code, `${name}: ${rep.err}`).toBe(0);
      }
      for (const v of verdicts) expect(v).toEqual(verdicts[0]);
      pg.sql(`DELETE FROM holdout WHERE id = 5;`);
      const gone = await cli(['compare', '--challenger', 'table'], dir);
      expect(gone.code).toBe(1);
      expect(gone.err).toContain('the data changed since training');
    },
    LONG,
  );

  it('the train action reads a table, logs the source, rows and digest, and never the password', async () => {
    const dir = tempProject();
    const r = await runAction('train', {
      event: 'push',
      payload: { ref: 'refs/heads/main', after: 'f'.repeat(40) },
      sha: 'f'.repeat(40),
      cwd: dir,
      inputs: { out: 'action-run', engine: 'logistic', report: 'false', data: tableUri },
      extraEnv: { DATABASE_URL: pg.url },
    });
    outputs.push(r.stdout, r.stderr);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('data: '));
    expect(lines).toEqual([
      `data: ${tableUri} on postgres://${pg.user}@127.0.0.1:${pg.port}/${pg.database}: 4454 rows, digest ${rowsDigest(csv)}`,
    ]);
    expect(r.stdout).toContain(`training credit-default with logistic on ${tableUri}`);
    expect(JSON.parse(readFileSync(join(dir, 'action-run', 'run.json'), 'utf8')).source.digest).toBe(rowsDigest(csv));
    for (const f of filesUnder(join(dir, 'action-run'))) expect(readFileSync(f, 'utf8'), f).not.toContain(pg.password);
  });

  it(
    'registry verify re-reads the table: reproduced while it is unchanged, and says how it changed once it is not',
    async () => {
      loadTable(pg, 'loans_r', csv, Object.fromEntries(NUMERIC.map((h) => [h, 'double precision'])));
      // A repository holding the project's own code, so a worktree of its commit can retrain.
      const repo = tempProject({
        model_name: 'credit-default',
        data: {
          path: 'data/credit_data.csv',
          target: 'Status',
          positive: 'bad',
          source: { type: 'postgres', table: 'loans_r', key: ['id'] },
        },
        engine: { name: 'logistic', params: {} },
      });
      for (const part of ['bin', 'cli', 'pipeline', 'service', 'package.json'])
        cpSync(join(ROOT, part), join(repo, part), { recursive: true });
      writeFileSync(join(repo, '.gitignore'), 'node_modules\n/runs/\n/snapshots/\n');
      symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
      const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
      git('init', '-q', '-b', 'main');
      git('config', 'user.name', 'Verify Test');
      git('config', 'user.email', 'verify@example.com');
      expect((await cli(['data', 'snapshot'], repo)).code).toBe(0);
      git('add', '.');
      git('commit', '-q', '-m', 'project');
      expect((await cli(['train', '--quiet', '--out', 'runs/a'], repo)).code).toBe(0);
      const promoted = await cli(['promote', '--run', 'runs/a'], repo);
      expect(promoted.code, promoted.err).toBe(0);
      git('add', 'models', 'reports');
      git('commit', '-q', '-m', 'registry: promote v1');

      const same = await cli(['registry', 'verify', 'credit-default@v1', '--json'], repo);
      expect(same.code, same.err).toBe(0);
      const ok = JSON.parse(same.out);
      expect(ok.reproduced).toBe(true);
      expect(ok.notes.join('\n')).toContain('data unchanged: postgres:loans_r?key=id returns the same 4454 rows');

      pg.sql(
        `UPDATE loans_r SET "Income" = "Income" + 1 WHERE id IN (3, 4);\n` +
          `DELETE FROM loans_r WHERE id = 10;\n` +
          `INSERT INTO loans_r ("Status", "Seniority", "Home", "Time", "Age", "Marital", "Records", "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price") SELECT "Status", "Seniority", "Home", "Time", "Age", "Marital", "Records", "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price" FROM loans_r WHERE id = 1;`,
      );
      const changed = await cli(['registry', 'verify', 'credit-default@v1'], repo);
      expect(changed.code).toBe(1);
      expect(changed.out).toContain('NOT REPRODUCED');
      expect(changed.out).toContain('differs in: provenance.data');
      expect(changed.out).toContain('data changed: postgres:loans_r?key=id now returns rows with digest');
      expect(changed.out).toContain('4454 → 4454 rows; 1 added, 1 removed, 2 changed (rows matched by id)');
      // The row put back as it was: the same rows again, so verify passes again.
      pg.sql(`UPDATE loans_r SET "Income" = "Income" - 1 WHERE id IN (3, 4);`);
      pg.sql(`DELETE FROM loans_r WHERE id = (SELECT max(id) FROM loans_r);`);
      pg.sql(
        `INSERT INTO loans_r (id, "Status", "Seniority", "Home", "Time", "Age", "Marital", "Records", "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price") SELECT 10, "Status", "Seniority", "Home", "Time", "Age", "Marital", "Records", "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price" FROM loans WHERE id = 10;`,
      );
      const back = await cli(['registry', 'verify', 'credit-default@v1', '--json'], repo);
      expect(back.code, back.err).toBe(0);
      expect(JSON.parse(back.out).reproduced).toBe(true);
    },
    LONG,
  );

  it('a snapshot pointer whose Parquet file was replaced is refused before training', async () => {
    const dir = tempProject();
    expect((await cli(['data', 'snapshot', '--data', tableUri], dir)).code).toBe(0);
    const pointer = JSON.parse(readFileSync(join(dir, 'data/training.snapshot.json'), 'utf8'));
    const other = tempProject();
    expect((await cli(['data', 'snapshot', '--data', 'data/credit_data/train.csv'], other)).code).toBe(0);
    const otherPointer = JSON.parse(readFileSync(join(other, 'data/training.snapshot.json'), 'utf8'));
    writeFileSync(join(dir, 'data', pointer.path), readFileSync(join(other, 'data', otherPointer.path)));
    const r = await cli(['train', '--quiet', '--data', 'snapshot:data/training.snapshot.json'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the pointer pins');
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it(
    'watermark ingestion appends new rows once: a second run finds nothing and duplicates nothing',
    async () => {
      loadTable(pg, 'applications', csv, Object.fromEntries(NUMERIC.map((h) => [h, 'double precision'])));
      const dir = tempProject({
        data: {
          path: 'data/credit_data.csv',
          target: 'Status',
          positive: 'bad',
          id_columns: ['id'],
          source: { type: 'postgres', table: 'applications', key: ['id'] },
        },
        ingest: { watermark: 'id' },
      });
      expect((await cli(['data', 'snapshot'], dir)).code).toBe(0);
      const cols = csv.header.map((h) => `"${h}"`).join(', ');
      pg.sql(
        `INSERT INTO applications (${cols}) SELECT ${cols} FROM applications WHERE id IN (1, 2) ORDER BY id;\n` +
          `INSERT INTO applications (${cols}) SELECT 'maybe', "Seniority", "Home", "Time", "Age", "Marital", "Records", "Job", "Expenses", "Income", "Assets", "Debt", "Amount", "Price" FROM applications WHERE id = 3;`,
      );
      const first = await cli(['ingest', '--source', 'postgres'], dir);
      expect(first.code, first.err).toBe(0);
      expect(first.out).toContain('3 rows read → 2 accepted, 1 rejected, 0 duplicates');
      expect(first.out).toContain('4454 → 4456 rows');
      expect(first.out).toContain('watermark id = 4457');
      const second = await cli(['ingest', '--source', 'postgres'], dir);
      expect(second.code, second.err).toBe(0);
      expect(second.out).toContain('nothing new');
      const pointer = JSON.parse(readFileSync(join(dir, 'data/training.snapshot.json'), 'utf8'));
      expect(pointer.rows).toBe(4456);
      expect(pointer.watermark).toEqual({ column: 'id', value: '4457' });
      const log = readFileSync(join(dir, 'data/ingestion-log.jsonl'), 'utf8').trim().split('\n');
      expect(log).toHaveLength(1);
      const quarantine = filesUnder(join(dir, 'data/quarantine')).filter((f) => f.endsWith('.rejected.csv'));
      expect(quarantine).toHaveLength(1);
      expect(readFileSync(quarantine[0], 'utf8')).toContain('"maybe"');
      const t = await cli(
        ['train', '--quiet', '--engine', 'gbdt', '--out', 'r', '--data', 'snapshot:data/training.snapshot.json'],
        dir,
      );
      expect(t.code, t.err).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'r', 'run.json'), 'utf8')).source.rows).toBe(4456);
      for (const f of [...filesUnder(join(dir, 'r')), ...filesUnder(join(dir, 'data'))].filter(
        (x) => !x.endsWith('.parquet'),
      ))
        expect(readFileSync(f, 'utf8'), f).not.toContain(pg.password);
    },
    LONG,
  );
});
