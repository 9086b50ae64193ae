import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.ts';
import { startMlflowDouble } from './mlflow-double.ts';
import { scanRuns } from '../../pipeline/gitops/tracking/store.ts';
import { recordTrial } from '../../pipeline/gitops/tracking/track.ts';
import { loadConfig } from '../../pipeline/core/config/load.ts';
import { smallProject, writeFakeRun } from './helpers.ts';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

let dir: string;
let trained: string;

beforeAll(async () => {
  dir = smallProject();
  const r = await runCli(['train', '--quiet'], dir);
  expect(r.code, r.err).toBe(0);
  trained = readdirSync(join(dir, 'runs'))[0];
});

describe('run records', () => {
  it('mlops train records config, packages and artifact digests in run.json', () => {
    const rec = JSON.parse(readFileSync(join(dir, 'runs', trained, 'run.json'), 'utf8'));
    expect(rec.id).toBe(trained);
    expect(rec.data.sha256).toBe(sha(join(dir, 'data/credit.csv')));
    expect(rec.model.engine).toBe('logistic');
    expect(rec.tracking.version).toBe(1);
    expect(rec.tracking.config.data.path).toBe('data/credit.csv');
    expect(rec.tracking.config_file).toBe('mlops.config.json');
    expect(rec.tracking.packages.node).toBe(process.versions.node);
    // On a GitHub runner (the checks workflow) the run is recorded with its CI context.
    expect(rec.tracking.ci).toEqual(
      process.env.GITHUB_ACTIONS === 'true'
        ? expect.objectContaining({ provider: 'github-actions', run_id: process.env.GITHUB_RUN_ID })
        : null,
    );
    expect(rec.tracking.mlflow).toBeUndefined();
    const names = rec.tracking.artifacts.map((a: { name: string }) => a.name);
    expect(names).toEqual(['metrics.json', 'model.json', 'report.md']);
    for (const a of rec.tracking.artifacts) expect(a.sha256).toBe(sha(join(dir, 'runs', trained, a.name)));
  });

  it('a run written with --out elsewhere is still listed from the store, pointing at its folder', async () => {
    const r = await runCli(['train', '--quiet', '--seed', '3', '--out', 'elsewhere/run'], dir);
    expect(r.code, r.err).toBe(0);
    const rec = JSON.parse(readFileSync(join(dir, 'elsewhere/run/run.json'), 'utf8'));
    expect(rec.tracking.location).toBeUndefined();
    const copy = JSON.parse(readFileSync(join(dir, 'runs', rec.id, 'run.json'), 'utf8'));
    expect(copy.tracking.location).toBe(join(dir, 'elsewhere/run'));
    const show = await runCli(['runs', 'show', rec.id], dir);
    expect(show.out).toMatch(new RegExp(`folder +${join(dir, 'elsewhere/run')}`));
  });

  it('after a crash the store holds whole records only; prune removes old leftovers, not fresh ones', async () => {
    const runs = join(dir, 'runs');
    // What a crash can leave: a half-assembled run folder (writeRunFolder's temp), a run
    // folder with no record yet, and a half-written replacement of a whole record.
    const half = join(runs, '.20260101T000000Z-deadbeef.1a2b3c4d.tmp');
    mkdirSync(half);
    writeFileSync(join(half, 'model.json'), '{"format":"credit-risk-gitops/mo');
    mkdirSync(join(runs, '20260101T000001Z-norecord'));
    writeFileSync(join(runs, '20260101T000001Z-norecord', 'metrics.json'), '{}');
    const tornRecord = join(runs, trained, `.run.json.4242.abcd1234.tmp`);
    writeFileSync(tornRecord, '{"id":"' + trained + '","created_at":"20');
    const young = join(runs, '.20260101T000002Z-cafebabe.00000000.tmp');
    mkdirSync(young);

    const { runs: found, unreadable } = scanRuns(runs);
    expect(unreadable).toEqual([]);
    expect(found.map((r) => r.id)).not.toContain('20260101T000001Z-norecord');
    expect(found.every((r) => !r.id.startsWith('.'))).toBe(true);
    const show = await runCli(['runs', 'show', trained], dir);
    expect(show.code, show.err).toBe(0);
    expect(show.out).toContain(`run ${trained}`);

    const old = (Date.now() - 3600_000) / 1000;
    for (const p of [half, tornRecord]) utimesSync(p, old, old);
    const prune = await runCli(['runs', 'prune', '--keep', '10'], dir);
    expect(prune.code, prune.err).toBe(0);
    expect(prune.out).toMatch(/removed 0 runs and 2 leftover temporary files/);
    expect(existsSync(half)).toBe(false);
    expect(existsSync(tornRecord)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(join(runs, trained, 'run.json'))).toBe(true);
  });

  it('a process killed after writing its run folder leaves a whole, readable record', async () => {
    // The kill point is deterministic: the child waits on an MLflow server that never
    // answers, after the run folder is written and before run.json is finished.
    const project = smallProject(1200, {
      tracking: { mlflow: { tracking_uri: 'http://127.0.0.1:1', timeout_ms: 120000 } },
    });
    const hang = await startMlflowDouble('hang');
    try {
      const cfgFile = join(project, 'mlops.config.json');
      writeFileSync(cfgFile, readFileSync(cfgFile, 'utf8').replace('http://127.0.0.1:1', hang.url));
      const child = spawn(process.execPath, [join(ROOT, 'bin/mlops.mjs'), 'train', '--quiet'], {
        cwd: project,
        stdio: 'ignore',
      });
      const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
      while (hang.requests.length === 0) {
        if (child.exitCode !== null) throw new Error(`child exited early with ${child.exitCode}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      await hang.close();
    }
    const { runs, unreadable } = scanRuns(join(project, 'runs'));
    expect(unreadable).toEqual([]);
    expect(runs).toHaveLength(1);
    expect(runs[0].record.tracking?.config.data.path).toBe('data/credit.csv');
    expect(runs[0].record.tracking?.mlflow).toBeUndefined();
    expect(
      readdirSync(runs[0].dir)
        .filter((n) => !n.startsWith('.'))
        .sort(),
    ).toEqual(['metrics.json', 'model.json', 'report.md', 'run.json']);
    const show = await runCli(['runs', 'show', runs[0].id], project);
    expect(show.code, show.err).toBe(0);
    const repro = await runCli(['runs', 'reproduce', runs[0].id, '--quiet'], project);
    expect(repro.code, repro.out + repro.err).toBe(0);
  });

  it('prune --keep N keeps the N newest runs', async () => {
    const runs = join(dir, 'runs');
    writeFakeRun(runs, {
      id: '20200101T000000Z-00000001',
      created_at: '2020-01-01T00:00:00.000Z',
      params: {},
      metrics: { roc_auc: 0.7 },
    });
    const before = scanRuns(runs).runs.map((r) => r.id);
    expect(before.at(-1)).toBe('20200101T000000Z-00000001');
    const dry = await runCli(['runs', 'prune', '--keep', String(before.length - 1), '--dry-run'], dir);
    expect(dry.out).toContain('would remove run 20200101T000000Z-00000001');
    expect(existsSync(join(runs, '20200101T000000Z-00000001'))).toBe(true);
    await runCli(['runs', 'prune', '--keep', String(before.length - 1)], dir);
    expect(scanRuns(runs).runs.map((r) => r.id)).toEqual(before.slice(0, -1));
    const bad = await runCli(['runs', 'prune'], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--keep N is required');
  });
});

describe('recordTrial (for mlops tune)', () => {
  it('records a trial as a run that list, best and compare understand', async () => {
    const { config, baseDir } = loadConfig(null, dir);
    const data = { path: 'data/credit.csv', sha256: sha(join(dir, 'data/credit.csv')), rows: 1200 };
    const t1 = await recordTrial({
      config,
      baseDir,
      study: 'tune-1',
      trial: 1,
      params: { C: 0.5 },
      metrics: { roc_auc: 0.91, roc_auc_sd: 0.01 },
      split: 'cv5',
      data,
      seconds: 0.4,
      extra: { fold_scores: [0.9, 0.92] },
      now: new Date('2026-02-01T00:00:00Z'),
    });
    const t2 = await recordTrial({
      config,
      baseDir,
      study: 'tune-1',
      trial: 2,
      params: { C: 2 },
      metrics: { roc_auc: 0.89, roc_auc_sd: 0.02 },
      split: 'cv5',
      data,
      seconds: 0.5,
      now: new Date('2026-02-01T00:00:01Z'),
    });
    expect(t1.id).not.toBe(t2.id);
    const rec = JSON.parse(readFileSync(join(t1.dir, 'run.json'), 'utf8'));
    expect(rec.command).toBe('tune');
    expect(rec.tracking.trial).toEqual({ study: 'tune-1', index: 1 });
    expect(rec.tune.fold_scores).toEqual([0.9, 0.92]);
    const list = await runCli(['runs', 'list', '--param', 'C=0.5', '--format', 'json'], dir);
    expect(JSON.parse(list.out).map((r: { id: string }) => r.id)).toEqual([t1.id]);
    const trials = await runCli(['runs', 'list', '--command', 'tune', '--format', 'json'], dir);
    expect(JSON.parse(trials.out).map((r: { id: string }) => r.id)).toEqual([t2.id, t1.id]);
    const steadiest = await runCli(['runs', 'best', '--metric', 'roc_auc_sd'], dir);
    expect(steadiest.out).toMatch(new RegExp(`^${t1.id}  roc_auc_sd 0\\.0100 \\(lowest of`));
    const best = await runCli(['runs', 'best', '--metric', 'roc_auc', '--where', 'roc_auc_sd<0.015'], dir);
    expect(best.out).toMatch(new RegExp(`^${t1.id}  roc_auc 0\\.9100 \\(highest of 1 run; cv5 rows\\)`));
    const cmp = await runCli(['runs', 'compare', t1.id, t2.id, trained], dir);
    expect(cmp.out).toMatch(/\| C +\| +0\.5 \| +2 \| +1 \|/);
    expect(cmp.out).toContain('Note: The metrics were measured on different rows (cv5, cv5, test)');
    const repro = await runCli(['runs', 'reproduce', t1.id], dir);
    expect(repro.code).toBe(1);
    expect(repro.err).toContain('has no model (a tuning trial record)');
  });
});
