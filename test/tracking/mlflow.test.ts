import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { loadConfig, resolveConfig } from '../../pipeline/core/config/load.ts';
import { MlflowClient, mlflowSettings } from '../../pipeline/gitops/tracking/mlflow.ts';
import { logToMlflowSafely } from '../../pipeline/gitops/tracking/track.ts';
import { scanRuns } from '../../pipeline/gitops/tracking/store.ts';
import { redactedConfig } from '../../pipeline/gitops/tracking/record.ts';
import { closedPort, startMlflowDouble, type MlflowDouble } from './mlflow-double.ts';
import { smallProject, writeFakeRun } from './helpers.ts';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const calls = (d: MlflowDouble): string[] => d.requests.map((r) => `${r.method} ${r.path}`);
const kv = (list: unknown): Record<string, string> =>
  Object.fromEntries((list as { key: string; value: string }[]).map((t) => [t.key, t.value]));

let ok: MlflowDouble;
let failing: MlflowDouble;

beforeAll(async () => {
  ok = await startMlflowDouble('ok');
  failing = await startMlflowDouble('fail');
});
afterAll(async () => {
  await ok.close();
  await failing.close();
});

function withTracking(dir: string, mlflow: Record<string, unknown>): void {
  const file = join(dir, 'mlops.config.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...cfg, tracking: { mlflow } }, null, 2));
}

const newest = (dir: string): string => scanRuns(join(dir, 'runs')).runs[0].id;

describe('MLflow logging from mlops train', () => {
  it('sends get-by-name, experiments/create, runs/create, runs/log-batch, runs/update in order, with params, metrics and tags', async () => {
    const dir = smallProject();
    withTracking(dir, { tracking_uri: ok.url, experiment: 'credit-risk' });
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    };
    for (const args of [
      ['init', '-q'],
      ['add', '.'],
      ['commit', '-qm', 'x'],
    ])
      execFileSync('git', args, { cwd: dir, env });
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    ok.requests.length = 0;
    const r = await runCli(['train', '--quiet', '--param', 'C=0.5'], dir);
    expect(r.code, r.err).toBe(0);
    // The data's own warnings (duplicate rows, sensitive features) may be there; none from MLflow.
    expect(r.err).not.toMatch(/MLflow/);
    expect(calls(ok)).toEqual([
      'GET experiments/get-by-name',
      'POST experiments/create',
      'POST runs/create',
      'POST runs/log-batch',
      'POST runs/update',
    ]);
    const id = newest(dir);
    const rec = JSON.parse(readFileSync(join(dir, 'runs', id, 'run.json'), 'utf8'));
    const metrics = JSON.parse(readFileSync(join(dir, 'runs', id, 'metrics.json'), 'utf8'));
    const [get, create, run, batch, update] = ok.requests;
    expect(get.query).toEqual({ experiment_name: 'credit-risk' });
    expect(create.body).toEqual({ name: 'credit-risk' });
    expect(run.body).toMatchObject({ experiment_id: '1', run_name: id });
    expect(typeof run.body!.start_time).toBe('number');
    const b = batch.body!;
    expect(b.run_id).toBe('run-1');
    expect(kv(b.params)).toMatchObject({
      engine: 'logistic',
      C: '0.5',
      seed: '42',
      'data.target': 'Status',
      split: '0.6/0.2/0.2',
    });
    const m = Object.fromEntries(
      (b.metrics as { key: string; value: number; step: number }[]).map((x) => [x.key, x.value]),
    );
    expect(m.roc_auc).toBe(metrics.test.roc_auc);
    expect(m.validation_brier).toBe(metrics.validation.brier);
    expect(m.time_fit_s).toBe(metrics.timings.fit_s);
    expect(kv(b.tags)).toMatchObject({
      'mlflow.runName': id,
      'mlflow.source.git.commit': commit,
      'mlops.git.commit': commit,
      'mlops.git.dirty': 'false',
      'mlops.data.sha256': sha(join(dir, 'data/credit.csv')),
      'mlops.model.digest': rec.model.digest,
      'mlops.run_id': id,
    });
    expect(update.body).toMatchObject({ run_id: 'run-1', status: 'FINISHED' });
    expect(rec.tracking.mlflow).toMatchObject({
      status: 'logged',
      experiment_id: '1',
      run_id: 'run-1',
      tracking_uri: ok.url,
    });

    // The experiment exists now: a second run only looks it up.
    ok.requests.length = 0;
    expect((await runCli(['train', '--quiet', '--seed', '5'], dir)).code).toBe(0);
    expect(calls(ok)).toEqual([
      'GET experiments/get-by-name',
      'POST runs/create',
      'POST runs/log-batch',
      'POST runs/update',
    ]);
  });

  it('a server answering 500 costs a warning, not the run; "mlops runs mlflow ID" logs it later', async () => {
    const dir = smallProject();
    withTracking(dir, { tracking_uri: failing.url });
    const r = await runCli(['train', '--quiet'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(
      `warning: MLflow logging failed (GET ${failing.url}/api/2.0/mlflow/experiments/get-by-name: HTTP 500 INTERNAL_ERROR: boom)`,
    );
    const id = newest(dir);
    const rec = JSON.parse(readFileSync(join(dir, 'runs', id, 'run.json'), 'utf8'));
    expect(rec.tracking.mlflow).toMatchObject({ status: 'failed', tracking_uri: failing.url });
    expect(readdirSync(join(dir, 'runs', id)).sort()).toEqual(['metrics.json', 'model.json', 'report.md', 'run.json']);

    withTracking(dir, { tracking_uri: ok.url });
    ok.requests.length = 0;
    const retry = await runCli(['runs', 'mlflow', id.slice(0, 16)], dir);
    expect(retry.code, retry.err).toBe(0);
    expect(calls(ok).slice(-3)).toEqual(['POST runs/create', 'POST runs/log-batch', 'POST runs/update']);
    const after = JSON.parse(readFileSync(join(dir, 'runs', id, 'run.json'), 'utf8'));
    expect(after.tracking.mlflow.status).toBe('logged');
  });

  it('survives a server that refuses connections and one that never answers', async () => {
    const dir = smallProject();
    const run = writeFakeRun(join(dir, 'runs'), {
      id: '20260101T000000Z-0000abcd',
      created_at: '2026-01-01T00:00:00.000Z',
      params: {},
      metrics: { roc_auc: 0.8 },
    });
    const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    const warnings: string[] = [];
    const port = await closedPort();
    const refused = resolveConfig({
      data: { path: 'x.csv', target: 'y', positive: '1' },
      tracking: { mlflow: { tracking_uri: `http://127.0.0.1:${port}` } },
    });
    const s1 = await logToMlflowSafely(refused, record, null, (w) => warnings.push(w));
    expect(s1).toMatchObject({ status: 'failed' });
    expect(s1!.status === 'failed' && s1!.error).toMatch(/ECONNREFUSED/);
    expect(warnings[0]).toMatch(
      /^MLflow logging failed \(GET http:\/\/127\.0\.0\.1:\d+\/api\/2\.0\/mlflow\/experiments\/get-by-name: ECONNREFUSED\)/,
    );

    const hang = await startMlflowDouble('hang');
    try {
      const slow = resolveConfig({
        data: { path: 'x.csv', target: 'y', positive: '1' },
        tracking: { mlflow: { tracking_uri: hang.url, timeout_ms: 200 } },
      });
      const s2 = await logToMlflowSafely(slow, record, null, (w) => warnings.push(w));
      expect(s2!.status === 'failed' && s2!.error).toMatch(/no answer within 200 ms/);
    } finally {
      await hang.close();
    }
  });
});

describe('MLflow settings and auth', () => {
  const config = resolveConfig({ data: { path: 'x.csv', target: 'y', positive: '1' } });

  it('is off without a tracking URI, or when the config disables it', () => {
    expect(mlflowSettings(config, {})).toBeNull();
    const off = resolveConfig({
      data: { path: 'x.csv', target: 'y', positive: '1' },
      tracking: { mlflow: { enabled: false } },
    });
    expect(mlflowSettings(off, { MLFLOW_TRACKING_URI: 'http://127.0.0.1:1' })).toBeNull();
    expect(() => mlflowSettings(config, { MLFLOW_TRACKING_URI: 'databricks' })).toThrow(/not a URL/);
    expect(() => mlflowSettings(config, { MLFLOW_TRACKING_URI: 'file:///tmp/mlruns' })).toThrow(
      /only http\(s\) tracking servers/,
    );
  });

  it('sends a bearer token, basic credentials, or credentials taken out of the URI', async () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ MLFLOW_TRACKING_URI: ok.url, MLFLOW_TRACKING_TOKEN: 'tok' }, 'Bearer tok'],
      [
        { MLFLOW_TRACKING_URI: ok.url, MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p w' },
        `Basic ${Buffer.from('u:p w').toString('base64')}`,
      ],
      [
        { MLFLOW_TRACKING_URI: ok.url.replace('http://', 'http://ann:s%40cret@') },
        `Basic ${Buffer.from('ann:s@cret').toString('base64')}`,
      ],
    ];
    for (const [env, header] of cases) {
      const s = mlflowSettings(config, env)!;
      expect(s.trackingUri).toBe(ok.url);
      ok.requests.length = 0;
      await new MlflowClient(s).getExperimentByName('nope');
      expect(ok.requests[0].authorization).toBe(header);
    }
    const withCreds = resolveConfig({
      data: { path: 'x.csv', target: 'y', positive: '1' },
      tracking: { mlflow: { tracking_uri: 'http://ann:secret@127.0.0.1:9/' } },
    });
    expect(redactedConfig(withCreds).tracking.mlflow.tracking_uri).toBe('http://127.0.0.1:9/');
    expect(withCreds.tracking.mlflow.tracking_uri).toBe('http://ann:secret@127.0.0.1:9/');
    const s = mlflowSettings(config, { MLFLOW_TRACKING_URI: `${ok.url}/`, MLFLOW_EXPERIMENT_NAME: 'from-env' })!;
    expect(s.experiment).toBe('from-env');
    expect(s.trackingUri).toBe(ok.url);
  });
});

describe('mirroring the registry champion', () => {
  it('logs the version as a run, creates the registered model and version, and sets the champion alias; idempotent', async () => {
    const dir = smallProject();
    const r = await runCli(['train', '--quiet', '--out', 'runs/first'], dir);
    expect(r.code, r.err).toBe(0);
    expect((await runCli(['promote', '--run', 'runs/first'], dir)).code).toBe(0);
    const digest = JSON.parse(readFileSync(join(dir, 'runs/first/model.json'), 'utf8')).digest;
    withTracking(dir, { tracking_uri: ok.url, experiment: 'mirror-test', registered_model: 'credit-default' });
    expect(loadConfig(null, dir).config.tracking.mlflow.registered_model).toBe('credit-default');
    ok.requests.length = 0;
    const m1 = await runCli(['runs', 'mirror'], dir);
    expect(m1.code, m1.err).toBe(0);
    expect(m1.out).toMatch(
      /^mirrored credit-default@v1 as MLflow model credit-default version \d+ \(alias champion\)$/,
    );
    expect(calls(ok)).toEqual([
      'GET experiments/get-by-name',
      'POST experiments/create',
      'POST runs/create',
      'POST runs/log-batch',
      'POST runs/update',
      'GET registered-models/get',
      'POST registered-models/create',
      'GET model-versions/search',
      'POST model-versions/create',
      'POST registered-models/alias',
    ]);
    const mv = ok.requests[8].body!;
    expect(mv).toMatchObject({ name: 'credit-default', run_id: expect.stringMatching(/^run-\d+$/) });
    expect(mv.source).toBe(`runs:/${mv.run_id}/model`);
    expect(kv(ok.requests[3].body!.tags)['mlops.model.digest']).toBe(digest);
    expect(kv(mv.tags)).toEqual({ 'mlops.registry_version': 'v1', 'mlops.model.digest': digest });
    const version = /version (\d+)/.exec(m1.out)![1];
    expect(ok.requests[9].body).toEqual({ name: 'credit-default', alias: 'champion', version });

    ok.requests.length = 0;
    const m2 = await runCli(['runs', 'mirror'], dir);
    expect(m2.code, m2.err).toBe(0);
    expect(calls(ok)).not.toContain('POST model-versions/create');
    expect(calls(ok).at(-1)).toBe('POST registered-models/alias');
  });
});

describe('a connection the server dropped', () => {
  const settings = {
    trackingUri: 'http://127.0.0.1:1',
    experiment: 'e',
    registeredModel: 'm',
    timeoutMs: 1000,
    auth: null,
  };
  const reset = (): Error => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });

  it('asks a GET once more, and reports a POST or a second reset as it happened', async () => {
    const calls: string[] = [];
    let failures = 1;
    const flaky = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push(`${init?.method} ${String(url).replace(/\?.*$/, '')}`);
      if (failures-- > 0) throw reset();
      return new Response(JSON.stringify({ experiment: { experiment_id: '7' } }), { status: 200 });
    }) as typeof fetch;
    expect(await new MlflowClient(settings, flaky).getExperimentByName('e')).toBe('7');
    expect(calls).toHaveLength(2);

    failures = 1;
    calls.length = 0;
    await expect(new MlflowClient(settings, flaky).createExperiment('e')).rejects.toThrow(
      /POST http:\/\/127\.0\.0\.1:1\/api\/2\.0\/mlflow\/experiments\/create: ECONNRESET/,
    );
    expect(calls).toHaveLength(1);

    failures = 2;
    calls.length = 0;
    await expect(new MlflowClient(settings, flaky).getExperimentByName('e')).rejects.toThrow(/get-by-name: ECONNRESET/);
    expect(calls).toHaveLength(2);
  });
});
