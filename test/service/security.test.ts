import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { APPLICANT, startTestServer, trainedProject, type TestServer, type TrainedProject } from './helpers.ts';
import { loadService } from '../../service/http/app.ts';
import { defaultOptions, optionsFromEnv } from '../../service/config.ts';
import { resolveModelSource } from '../../service/scoring/model-source.ts';
import { MlopsError } from '../../pipeline/core/common/errors.ts';

const KEY = 'k3y-for-tests-0123456789';
let p: TrainedProject;
let s: TestServer;

beforeAll(async () => {
  p = await trainedProject();
  s = await startTestServer(p, { apiKeys: [KEY, 'another-key-abcdefghij'] });
});
afterAll(async () => {
  await s?.close();
});

describe('API keys', () => {
  it('refuses a missing or wrong key with 401 in the error shape', async () => {
    const cases: Record<string, string>[] = [
      {},
      { 'x-api-key': 'wrong-key-wrong-key-000' },
      { authorization: `Bearer ${KEY}x` },
      { authorization: `Basic ${KEY}` },
    ];
    for (const headers of cases) {
      const r = await s.post('/v1/predict', APPLICANT, headers);
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(await r.json()).toMatchObject({ error_code: 'UNAUTHENTICATED', status: 401 });
      expect(r.headers.get('www-authenticate')).toMatch(/Bearer/);
    }
  });

  it('accepts a key as Bearer token or X-API-Key', async () => {
    expect((await s.post('/v1/predict', APPLICANT, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect((await s.post('/v1/predict', APPLICANT, { 'x-api-key': 'another-key-abcdefghij' })).status).toBe(200);
    expect((await fetch(s.url + '/v1/model', { headers: { 'x-api-key': KEY } })).status).toBe(200);
    expect((await fetch(s.url + '/v1/model')).status).toBe(401);
  });

  it('keeps health, metrics and docs open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'])
      expect((await fetch(s.url + path)).status, path).toBe(200);
  });

  it('never logs the key', () => {
    expect(s.logs.join('\n')).not.toContain(KEY);
  });

  it('reads keys from API_KEYS and API_KEYS_FILE and refuses short ones', () => {
    const file = join(p.dir, 'keys.txt');
    writeFileSync(file, `# ops team\nfile-key-0123456789abcdef\n\n`);
    expect(optionsFromEnv({ API_KEYS: `${KEY}, x-key-0123456789abcdef`, API_KEYS_FILE: file }, p.dir).apiKeys).toEqual([
      KEY,
      'x-key-0123456789abcdef',
      'file-key-0123456789abcdef',
    ]);
    expect(() => optionsFromEnv({ API_KEYS: 'short' }, p.dir)).toThrow(/at least 16/);
    expect(() => optionsFromEnv({ API_KEYS_FILE: join(p.dir, 'nope') }, p.dir)).toThrow(/API_KEYS_FILE/);
  });
});

describe('settings and model source', () => {
  it('rejects bad environment values naming the variable', () => {
    expect(() => optionsFromEnv({ PORT: 'http' }, '/')).toThrow(/PORT/);
    expect(() => optionsFromEnv({ UNKNOWN_FIELDS: 'drop' }, '/')).toThrow(/UNKNOWN_FIELDS/);
    expect(() => optionsFromEnv({ WORKERS: '0' }, '/')).toThrow(/WORKERS/);
    expect(() => optionsFromEnv({ LOG_PAYLOADS: 'maybe' }, '/')).toThrow(/LOG_PAYLOADS/);
    const o = optionsFromEnv(
      { PORT: '9000', WORKERS: 'auto', UNKNOWN_FIELDS: 'ignore', BODY_LIMIT_BYTES: '2048' },
      '/',
    );
    expect(o).toMatchObject({ port: 9000, workers: 0, unknownFields: 'ignore', bodyLimitBytes: 2048 });
  });

  it('defaults to the registry champion and reports its version', async () => {
    const r = await runCli(['promote', '--run', 'runs/svc'], p.dir);
    expect(r.code, r.err).toBe(0);
    const src = resolveModelSource({ modelPath: null, modelVersion: null, root: p.dir, modelName: null });
    expect(src).toEqual({ path: join(p.dir, 'models', 'credit-default', 'v1', 'model.json.gz'), version: 1 });
    const svc = loadService({ ...defaultOptions(p.dir), logLevel: 'silent' });
    expect(svc.state.scorer.ref).toEqual({ name: 'credit-default', version: 1, digest: p.model.bundle.digest });
    // Batches are scored on the serving thread that took the request: no helper threads, whatever the size.
    expect(svc.state.model.options.scoring?.helpersFor(100_000, 300)).toBe(0);
  });

  it('refuses to start without MODEL_PATH when the registry has no champion', () => {
    expect(() =>
      resolveModelSource({ modelPath: null, modelVersion: null, root: join(p.dir, 'runs'), modelName: null }),
    ).toThrow(/MODEL_PATH/);
  });

  it('refuses to start on a bundle whose digest does not verify', () => {
    const tampered = join(p.dir, 'tampered.json');
    const b = JSON.parse(readFileSync(p.modelPath, 'utf8'));
    b.threshold = 0.99;
    writeFileSync(tampered, JSON.stringify(b));
    let err: unknown;
    try {
      loadService({ ...defaultOptions(p.dir), modelPath: tampered, logLevel: 'silent' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MlopsError);
    expect((err as MlopsError).kind).toBe('integrity');
    expect((err as Error).message).toMatch(/digest mismatch/);
  });

  it('ignores unknown fields when UNKNOWN_FIELDS=ignore', async () => {
    const t = await startTestServer(p, { unknownFields: 'ignore' });
    try {
      const r = await t.post('/v1/predict', { ...APPLICANT, loan_officer: 'J. Doe' });
      expect(r.status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('logs payloads only when LOG_PAYLOADS is on', async () => {
    const t = await startTestServer(p, { logPayloads: true });
    try {
      await t.post('/v1/predict', { ...APPLICANT, Income: 45678 });
      await new Promise((r) => setTimeout(r, 20));
      expect(t.logs.join('\n')).toContain('45678');
    } finally {
      await t.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request, then stops accepting', async () => {
    const t = await startTestServer(p);
    const port = new URL(t.url).port;
    const body = JSON.stringify(APPLICANT);
    // Send half a request, start shutdown, then send the rest: it must still be answered.
    const answer = new Promise<{ status: number; text: string; connection: string | undefined }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/predict',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text, connection: res.headers.connection }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 20));
      setTimeout(() => req.end(body.slice(20)), 150);
    });
    await new Promise((r) => setTimeout(r, 50));
    const closed = t.close();
    expect(t.state.ready).toBe(false);
    const a = await answer;
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text).probability).toBeGreaterThan(0);
    expect(a.connection).toBe('close');
    await closed;
    await expect(fetch(t.url + '/healthz')).rejects.toThrow();
  });
});
