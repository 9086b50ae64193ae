/**
 * The service's answers to a hostile or careless client, one test per reproduction of
 * issue 20 that concerns it: Object.prototype names in file lookups and bodies, the CSV
 * contract on both CSV routes, methods no route has, security headers on every answer,
 * a streamed answer that cannot finish, and batch error counts.
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { APPLICANT, startTestServer, trainedProject, type TestServer, type TrainedProject } from './helpers.ts';

let p: TrainedProject;
let s: TestServer;

beforeAll(async () => {
  p = await trainedProject();
  s = await startTestServer(p, { logLevel: 'silent' });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

/** Sends raw bytes and returns everything the server answers before it closes. */
function raw(url: string, text: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
    setTimeout(() => resolve(got), 5000).unref();
  });
}

function expectErrorShape(text: string, status: number): Record<string, unknown> {
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ status });
  expect(typeof body.error_code).toBe('string');
  expect(typeof body.message).toBe('string');
  expect(typeof body.request_id).toBe('string');
  return body;
}

const csv = (rows: string[]): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'text/csv' },
  body: rows.join('\n') + '\n',
});
const HEADER = Object.keys(APPLICANT).join(',');
const ROW = Object.values(APPLICANT).join(',');

describe('Object.prototype names in file lookups (reproduction 2)', () => {
  it('/dashboard/constructor and /docs/__proto__ are 404s in the error shape, counted as 404s', async () => {
    for (const path of ['/dashboard/constructor', '/dashboard/__proto__', '/docs/__proto__', '/docs/toString']) {
      const r = await fetch(s.url + path);
      expect(r.status, path).toBe(404);
      expectErrorShape(await r.text(), 404);
    }
    const metrics = await (await fetch(s.url + '/metrics')).text();
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/docs\/:file",status="404"\} 2/);
    expect(metrics).not.toMatch(/route="\/docs\/:file",status="200"/);
  });
});

describe('POST /v1/dashboard/compare (reproduction 3)', () => {
  it('refuses attributes that are not strings with a 400', async () => {
    const r = await s.post('/v1/dashboard/compare', { applicant: APPLICANT, attributes: [{ toString: 1 }] });
    expect(r.status).toBe(400);
    expect(expectErrorShape(await r.text(), 400).message).toMatch(/attributes.*array of feature names/);
    const known = await s.post('/v1/dashboard/compare', { applicant: APPLICANT, attributes: ['constructor'] });
    expect(known.status).toBe(400);
    expect(expectErrorShape(await known.text(), 400).message).toMatch(/"constructor" is not an attribute/);
  });
});

describe('the CSV contract on the service (reproduction 5)', () => {
  const batch = '/v1/predict/batch';
  it('a duplicate or unnamed header column is a 400 naming the line, on both CSV routes', async () => {
    for (const path of [batch, '/invocations']) {
      const dup = await fetch(s.url + path, csv([`${HEADER},Age`, `${ROW},30`]));
      expect(dup.status, path).toBe(400);
      expect(expectErrorShape(await dup.text(), 400).message).toMatch(/line 1: column "Age" appears twice/);
      const unnamed = await fetch(s.url + path, csv([`${HEADER},`, `${ROW},1`]));
      expect(unnamed.status, path).toBe(400);
      expect(expectErrorShape(await unnamed.text(), 400).message).toMatch(
        /line 1: column 14 of the header has no name/,
      );
    }
  });

  it('a short or long row among the first rows refuses the batch, naming its line; nothing is scored', async () => {
    for (const path of [batch, '/invocations']) {
      const long = await fetch(s.url + path, csv([HEADER, ROW, `${ROW},99`]));
      expect([400, 422], path).toContain(long.status);
      expect(await long.text()).toMatch(/line 3: 14 fields, but the header has 13 \(extra fields\)/);
      const short = await fetch(s.url + path, csv([HEADER, ROW, ROW, '1,rent']));
      expect([400, 422], path).toContain(short.status);
      expect(await short.text()).toMatch(/line 4: 2 fields, but the header has 13 \(a short row\)/);
    }
  });

  it('a short or long row later in a stream is answered with its line and no score', async () => {
    const rows = [HEADER, ...Array(1200).fill(ROW), '1,rent', `${ROW},99`, ROW];
    const r = await fetch(s.url + batch, csv(rows));
    expect(r.status).toBe(200);
    const out = (await r.text()).trim().split('\n');
    expect(out).toHaveLength(1 + 1203);
    expect(out[1201]).toBe(',,,"line 1202: 2 fields, but the header has 13 (a short row)"');
    expect(out[1202]).toBe(',,,"line 1203: 14 fields, but the header has 13 (extra fields)"');
    expect(out[1203]).toMatch(/^0\.\d+,(good|bad),\w+,$/);
    expect(out.filter((l) => l.startsWith('0.'))).toHaveLength(1201);
  });

  it('bytes that are not UTF-8 are refused with the line unless the charset says Latin-1', async () => {
    const body = Buffer.from(`${HEADER}\n${ROW}\n${ROW.replace('rent', 'rént')}\n`, 'latin1');
    for (const path of [batch, '/invocations']) {
      const r = await fetch(s.url + path, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
      expect(r.status, path).toBe(400);
      expect(expectErrorShape(await r.text(), 400).message).toMatch(
        /request body: line 3: not valid UTF-8 .*charset=iso-8859-1/,
      );
      const l1 = await fetch(s.url + path, {
        method: 'POST',
        headers: { 'content-type': 'text/csv; charset=iso-8859-1' },
        body,
      });
      // Read as Latin-1, "rént" is a category the model has not seen: a value problem, with its line.
      expect(l1.status, path).toBe(422);
      expect(await l1.text()).toMatch(/rént/);
    }
    const other = await fetch(s.url + batch, {
      method: 'POST',
      headers: { 'content-type': 'text/csv; charset=shift_jis' },
      body,
    });
    expect(other.status).toBe(415);
  });
});

describe('batch error counts (reproduction 12)', () => {
  it('counts every invalid row, however many problems are listed', async () => {
    const r = await s.post('/v1/predict/batch', Array(5000).fill({}));
    expect(r.status).toBe(422);
    const body = expectErrorShape(await r.text(), 422) as { message: string; errors: unknown[] };
    expect(body.message).toMatch(/^5000 of 5000 rows have invalid fields/);
    expect(body.errors.length).toBeLessThanOrEqual(1000);
    const some = [...Array(4000).fill(APPLICANT), ...Array(1000).fill({ ...APPLICANT, Age: 'old' })];
    const r2 = await s.post('/v1/predict/batch', some);
    expect((expectErrorShape(await r2.text(), 422) as { message: string }).message).toMatch(
      /^1000 of 5000 rows have invalid fields/,
    );
  });
});

describe('methods and requests no route answers (reproduction 9)', () => {
  it('TRACE and CONNECT get a 501, PUT a 405, in the error shape with security headers', async () => {
    for (const [line, status] of [
      ['TRACE / HTTP/1.1', 501],
      ['TRACE /v1/predict HTTP/1.1', 501],
      ['CONNECT 127.0.0.1:1 HTTP/1.1', 501],
      ['PUT /v1/predict HTTP/1.1', 405],
    ] as const) {
      const text = await raw(s.url, `${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      expect(text, line).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(text, line).toMatch(/\r\ncontent-type: application\/json/i);
      expect(text, line).toMatch(/\r\nx-content-type-options: nosniff/i);
      expectErrorShape(text.slice(text.indexOf('\r\n\r\n') + 4), status);
    }
  });

  it('a request node:http cannot parse gets a 400 in the error shape, not plain text', async () => {
    const text = await raw(s.url, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1.1 400 /);
    expect(text).toMatch(/\r\nx-frame-options: DENY/i);
    expectErrorShape(text.slice(text.indexOf('\r\n\r\n') + 4), 400);
  });
});

describe('security headers on every answer (reproduction 10)', () => {
  it('nosniff, no framing and a CSP everywhere; the pages get their own policy', async () => {
    const answers: [string, Response][] = [
      ['fast route', await s.post('/v1/predict', APPLICANT)],
      ['explained', await s.post('/v1/predict?explain=true', APPLICANT)],
      ['422', await s.post('/v1/predict', { ...APPLICANT, Age: 'x' })],
      ['404', await fetch(s.url + '/nope')],
      ['metrics', await fetch(s.url + '/metrics')],
      ['openapi', await fetch(s.url + '/openapi.json')],
      ['docs', await fetch(s.url + '/docs')],
      ['docs asset', await fetch(s.url + '/docs/swagger-ui.css')],
      ['dashboard', await fetch(s.url + '/dashboard/')],
      ['dashboard script', await fetch(s.url + '/dashboard/app.js')],
      ['redirect', await fetch(s.url + '/', { redirect: 'manual' })],
    ];
    for (const [what, r] of answers) {
      expect(r.headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(r.headers.get('x-frame-options'), what).toBe('DENY');
      expect(r.headers.get('content-security-policy'), what).toMatch(/frame-ancestors 'none'/);
      await r.arrayBuffer();
    }
    const page = (await fetch(s.url + '/docs')).headers.get('content-security-policy')!;
    expect(page).toMatch(/script-src 'self'/);
    expect((await fetch(s.url + '/healthz')).headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });
});

describe('a streamed CSV answer that cannot finish (reproduction 11)', () => {
  it('ends with a "batch incomplete" record when the upload outlives REQUEST_TIMEOUT_MS, never cut short', async () => {
    const slow = await startTestServer(p, { logLevel: 'silent', requestTimeoutMs: 1500 });
    try {
      const { port } = new URL(slow.url);
      const answer = await new Promise<{ status: number; text: string; complete: boolean }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/v1/predict/batch',
            headers: { 'content-type': 'text/csv' },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, text, complete: res.complete }));
            res.on('error', reject);
          },
        );
        // After the answer has ended the server closes the connection on the rest of the upload.
        req.on('error', () => undefined);
        req.write(`${HEADER}\n${`${ROW}\n`.repeat(1500)}`);
        const drip = setInterval(() => req.write(`${ROW}\n`), 100);
        setTimeout(() => clearInterval(drip), 10_000).unref();
      });
      expect(answer.status).toBe(200);
      expect(answer.complete).toBe(true);
      const lines = answer.text.trim().split('\n');
      const last = lines.at(-1)!;
      expect(last).toMatch(
        /^,,,"?batch incomplete: the upload did not finish within REQUEST_TIMEOUT_MS \(1500 ms\); the \d+ rows above are all that was answered"?$/,
      );
      const scored = lines.slice(1, -1);
      expect(scored.length).toBeGreaterThanOrEqual(1500);
      expect(scored.every((l) => /^0\.\d+,(good|bad),\w+,$/.test(l))).toBe(true);
      expect(last).toContain(`the ${scored.length} rows above`);
    } finally {
      await slow.close();
    }
  }, 30_000);

  it('ends with the same record when the CSV breaks after the answer has started', async () => {
    const rows = [HEADER, ...Array(1500).fill(ROW), `"unclosed,${ROW}`];
    const r = await fetch(s.url + '/v1/predict/batch', csv(rows));
    expect(r.status).toBe(200);
    const out = (await r.text()).trim().split('\n');
    expect(out.at(-1)).toMatch(
      /^,,,"?batch incomplete: request body: malformed CSV .*; the 1500 rows above are all that was answered"?$/,
    );
  });

  it('the docs state the time limit and the final record', () => {
    const docs = readFileSync(join(ROOT, 'docs/service.md'), 'utf8');
    expect(docs).toMatch(/REQUEST_TIMEOUT_MS/);
    expect(docs).toMatch(/batch incomplete:/);
  });
});
