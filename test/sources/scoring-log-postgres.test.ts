/**
 * The scoring log in a PostgreSQL table: batched inserts in the background, requests
 * never wait, memory stays bounded while the server is down, and the kept lines arrive
 * once it is back. The server is really stopped (pg_ctl stop -m immediate) mid-run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresScoringLog } from '../../pipeline/gitops/drift/scoring-log-postgres.ts';
import type { ScoringLogLine } from '../../pipeline/gitops/drift/scoring-log.ts';
import { APPLICANT, startTestServer, trainedProject } from '../service/helpers.ts';
import { runCli } from '../helpers/cli.ts';
import { startPgCluster, type PgCluster } from './pg-cluster.ts';

let pg: PgCluster;
const DDL = (t: string): string =>
  `CREATE TABLE ${t} (time timestamptz NOT NULL, model text NOT NULL, features jsonb NOT NULL, probability double precision NOT NULL);`;

const line = (i: number): ScoringLogLine => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)).toISOString(),
  model: 'sha256:test',
  features: { Age: 20 + (i % 50), Home: i % 2 ? 'rent' : 'owner' },
  probability: (i % 100) / 100,
});

const count = (t: string): number => Number(pg.sql(`SELECT count(*) FROM ${t}`).trim());

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  pg = await startPgCluster();
  pg.sql(
    `${DDL('log_a')}\n${DDL('log_b')}\nALTER TABLE log_a OWNER TO ${pg.user};\nALTER TABLE log_b OWNER TO ${pg.user};`,
  );
});
afterAll(() => pg?.stop());

describe('scoring log in PostgreSQL', () => {
  it('writes in batches, keeps at most maxQueue lines while the server is down, and catches up after', async () => {
    const events: string[] = [];
    const log = new PostgresScoringLog({
      table: 'log_a',
      env: { DATABASE_URL: pg.url },
      batchRows: 100,
      flushMs: 20,
      maxQueue: 500,
      maxBackoffMs: 300,
      onEvent: (e, d) => events.push(`${e}: ${d}`),
    });
    for (let i = 0; i < 400; i++) log.write(line(i));
    await until(() => log.stats().written === 400).catch((e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(log.stats())} ${events.join(' / ')}`);
    });
    expect(count('log_a')).toBe(400);

    pg.kill();
    // With the server gone every write still returns at once; the queue stops at 500.
    for (let i = 0; i < 20_000; i++) log.write(line(i));
    const down = log.stats();
    expect(down.queued).toBeLessThanOrEqual(500);
    expect(down.dropped).toBeGreaterThanOrEqual(19_500);
    await until(() => log.stats().failures >= 2);
    expect(log.stats().queued).toBeLessThanOrEqual(500);
    expect(events.some((e) => e.startsWith('failing: cannot write to log_a'))).toBe(true);
    expect(events.join('\n')).not.toContain(pg.password);

    pg.start();
    await until(() => log.stats().queued === 0);
    await log.close();
    expect(count('log_a')).toBe(400 + (20_000 - down.dropped));
    expect(events.some((e) => e.startsWith('recovered'))).toBe(true);
    const row = pg.sql(`SELECT features->>'Home', probability FROM log_a ORDER BY time, probability LIMIT 1`).trim();
    expect(row).toMatch(/^(rent|owner)\|0$/);
  });

  it('the service logs to the table, answers while the database is down, and drift reads the table', async () => {
    const project = await trainedProject();
    const prev = process.env.DATABASE_URL;
    process.env.DATABASE_URL = pg.url;
    const server = await startTestServer(project, {
      scoringLog: { path: 'postgres:log_b', rate: 1, maxPerMinute: 100_000 },
    });
    try {
      for (let i = 0; i < 5; i++)
        expect((await server.post('/v1/predict', { ...APPLICANT, Age: 30 + i })).status).toBe(200);
      await until(() => count('log_b') === 5);
      pg.kill();
      for (let i = 0; i < 5; i++) expect((await server.post('/v1/predict', APPLICANT)).status).toBe(200);
      pg.start();
      await server.state.scoringLog!.close();
      expect(count('log_b')).toBe(10);
      const drift = await runCli(
        [
          'drift',
          '--reference',
          'data/credit_data.csv',
          '--current',
          'postgres-log:log_b',
          '--model',
          project.modelPath,
          '--json',
        ],
        project.dir,
      );
      expect(drift.code, drift.err).toBe(0);
      const report = JSON.parse(drift.out) as {
        current: { rows: number; name: string };
        features: { feature: string }[];
      };
      expect(report.current.rows).toBe(10);
      expect(report.features.map((f) => f.feature)).toContain('Age');
      expect(drift.out + drift.err).not.toContain(pg.password);
    } finally {
      await server.close();
      process.env.DATABASE_URL = prev;
    }
  });
});
