/**
 * The fast route in front of Koa (service/http/fast-route.ts): it answers valid single
 * applicants itself, byte for byte as the Koa route would, and hands every other request
 * — with its body, when already read — to the Koa app.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFastRoute } from '../../service/http/fast-route.ts';
import { readBody } from '../../service/http/body.ts';
import { APPLICANT, startTestServer, trainedProject, type TestServer, type TrainedProject } from './helpers.ts';

let p: TrainedProject;
let s: TestServer;
/** A server with the fast route in front of a stand-in for Koa that records what reaches it. */
let bare: Server;
let bareUrl = '';
const reachedKoa: { url: string; body: string }[] = [];

beforeAll(async () => {
  p = await trainedProject();
  s = await startTestServer(p, { bodyLimitBytes: 16 * 1024, apiKeys: [] });
  bare = createServer(
    withFastRoute(s.state, (req: IncomingMessage, res) => {
      readBody(req, 1 << 20).then(
        (b) => {
          reachedKoa.push({ url: req.url ?? '', body: b.toString('utf8') });
          res.writeHead(299, { 'content-type': 'text/plain' }).end('koa');
        },
        (e: Error) => {
          reachedKoa.push({ url: req.url ?? '', body: `error: ${e.message}` });
          res.writeHead(298).end();
        },
      );
    }),
  );
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await s?.close();
  await new Promise((r) => bare?.close(r));
});

const post = (url: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('fast route', () => {
  it('answers a valid applicant itself with the bytes and headers of the Koa route', async () => {
    reachedKoa.length = 0;
    const r = await post(bareUrl + '/v1/predict', JSON.stringify(APPLICANT));
    expect(r.status).toBe(200);
    expect(reachedKoa).toEqual([]);
    const text = await r.text();
    expect(text).toBe(JSON.stringify(s.state.scorer.one(APPLICANT)));
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      (await post(bareUrl + '/v1/predict', JSON.stringify(APPLICANT), { 'x-request-id': 'fast-1' })).headers.get(
        'x-request-id',
      ),
    ).toBe('fast-1');
    // The Koa route, asked the same with ?explain=false, writes the same body.
    expect(await (await s.post('/v1/predict?explain=false', APPLICANT)).text()).toBe(text);
  });

  it('hands everything else to Koa, with the body it already read', async () => {
    reachedKoa.length = 0;
    const invalid = JSON.stringify({ ...APPLICANT, Age: 'old' });
    const cases: [string, string, Record<string, string>][] = [
      ['/v1/predict', invalid, {}],
      ['/v1/predict', '{"Age": 3', {}],
      ['/v1/predict', '', {}],
      ['/v1/predict', '[1]', {}],
      ['/v1/predict?explain=true', JSON.stringify(APPLICANT), {}],
      ['/v1/predict/batch', JSON.stringify([APPLICANT]), {}],
      ['/v1/predict', JSON.stringify(APPLICANT), { 'content-type': 'text/plain' }],
    ];
    for (const [path, body, headers] of cases)
      expect((await post(bareUrl + path, body, headers)).status, `${path} ${body}`).toBe(299);
    expect(reachedKoa.map((k) => k.body)).toEqual(cases.map((c) => c[1]));
    expect((await fetch(bareUrl + '/v1/predict')).status).toBe(299);
  });

  it('hands a body that outgrows the limit while streaming to Koa as the 413 it is', async () => {
    reachedKoa.length = 0;
    // Chunked (no Content-Length): the limit trips while the fast route reads.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        s.url + '/v1/predict',
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.write('{"pad":"');
      req.end('x'.repeat(40 * 1024) + '"}');
    });
    expect(status).toBe(413);
  });

  it('counts its requests and predictions in the metrics', async () => {
    const served = async (): Promise<number> => {
      const text = await (await fetch(s.url + '/metrics')).text();
      return Number(
        /http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} (\d+)/.exec(text)?.[1] ?? 0,
      );
    };
    const predicted = async (): Promise<number> => {
      const text = await (await fetch(s.url + '/metrics')).text();
      return [...text.matchAll(/mlops_predictions_total\{[^}]*\} (\d+)/g)].reduce((t, m) => t + Number(m[1]), 0);
    };
    const [r0, p0] = [await served(), await predicted()];
    for (let i = 0; i < 5; i++) expect((await s.post('/v1/predict', APPLICANT)).status).toBe(200);
    expect(await served()).toBe(r0 + 5);
    expect(await predicted()).toBe(p0 + 5);
    const text = await (await fetch(s.url + '/metrics')).text();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/v1\/predict",status="200"\} [1-9]/,
    );
  });

  it('logs the request line with the request id', async () => {
    await s.post('/v1/predict', APPLICANT, { 'x-request-id': 'fast-log-1' });
    await new Promise((r) => setTimeout(r, 20));
    const line = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.req_id === 'fast-log-1');
    expect(line).toMatchObject({
      method: 'POST',
      path: '/v1/predict',
      route: '/v1/predict',
      status: 200,
      msg: 'request',
      level: 30,
    });
    expect(typeof line?.ms).toBe('number');
  });
});
