/**
 * Property test over every route of the service: each route its routers hold (so a new
 * one is covered without touching this file), which include every path of /openapi.json
 * and the static files. Over 10,000 generated requests per run — methods, paths with
 * parameters and extra segments, query strings, headers and bodies (JSON, CSV, bytes),
 * with the names of Object.prototype everywhere a name can go — and for every answer:
 *  - no 5xx, except the 501 for a method no route of the service implements;
 *  - no dropped connection: every request gets a complete answer;
 *  - every error answer is JSON in the one shape, with the security headers;
 *  - the memory the service keeps (measured in its own process after full collections)
 *    stays flat after warm-up.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { APPLICANT, trainedProject } from './helpers.ts';

interface Route {
  path: string;
  methods: string[];
}
interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}
interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

const PROTO = Object.getOwnPropertyNames(Object.prototype);
/** One element of a fixed list (fast-check's constantFrom takes them as arguments). */
const pick = <T>(list: readonly T[]): fc.Arbitrary<T> => fc.nat({ max: list.length - 1 }).map((i) => list[i]);

let server: ChildProcess;
let url: string;
let routes: Route[];
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
let sent = 0;
/** Set when the service process exits: every later request fails with this, naming the request that killed it. */
let died: string | null = null;
let last = '';

function ask(type: 'memory'): Promise<Memory> {
  server.send({ type });
  return new Promise((resolve) => {
    const on = (m: { type: string } & Memory): void => {
      if (m.type !== type) return;
      server.off('message', on);
      resolve(m);
    };
    server.on('message', on);
  });
}

beforeAll(async () => {
  const p = await trainedProject();
  server = fork(join(ROOT, 'test/service/fuzz-server.ts'), [JSON.stringify({ modelPath: p.modelPath, dir: p.dir })], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  server.on('exit', (code, signal) => (died = `the service process exited (${signal ?? code}) after ${last}`));
  const [ready] = (await once(server, 'message')) as [{ url: string; routes: Route[] }];
  url = ready.url;
  routes = ready.routes;
}, 180_000);

afterAll(async () => {
  agent.destroy();
  if (server?.connected) {
    server.send({ type: 'stop' });
    await once(server, 'exit');
  }
});

/** Sends one request; rejects when the connection is dropped or the answer is cut short. */
function send(
  r: Req,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { port } = new URL(url);
  sent++;
  if (died) return Promise.reject(new Error(died));
  last = `${r.method} ${r.path}`;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: r.method, path: r.path, headers: r.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (!res.complete) reject(new Error(`answer cut short: ${r.method} ${r.path}`));
          else resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (e) => reject(new Error(`connection dropped (${e.message}): ${r.method} ${r.path}`)));
    req.end(r.body ?? undefined);
  });
}

// ---------- what requests are made of ----------

const oddName = fc.oneof(
  { weight: 3, arbitrary: pick(PROTO) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: pick(['', ' ', '..', '%2e%2e', '%00', '%', '%E0%A4%A', 'a%2Fb', 'index.html', 'credit-default']),
  },
);
const segment = oddName.map((s) => (/^[%A-Za-z0-9._~-]*$/.test(s) ? s : encodeURIComponent(s)));
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  pick([-1, 0, 1e308, 5e-324, '', 'NaN', 'Infinity', 'rent', 'RENT', '\u0000', true, [], {}] as unknown[]),
  pick(PROTO),
  fc.double(),
);
const fields = Object.keys(APPLICANT);

/** JSON text of an object whose keys may be any string, Object.prototype's names included. */
function jsonObject(entries: [string, unknown][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}

/** A valid applicant with up to four things wrong with it, as JSON text. */
const applicant = fc
  .oneof(
    { weight: 2, arbitrary: fc.constant([]) },
    {
      weight: 3,
      arbitrary: fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('delete' as const), field: pick(fields) }),
          fc.record({ op: fc.constant('set' as const), field: fc.oneof(pick(fields), oddName), value: oddValue }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    },
  )
  .map((ops) => {
    const m = new Map<string, unknown>(Object.entries(APPLICANT));
    for (const o of ops) {
      if (o.op === 'delete') m.delete(o.field);
      else m.set(o.field, o.value);
    }
    return jsonObject([...m]);
  });
const jsonBody = fc.oneof(
  { weight: 4, arbitrary: applicant },
  { weight: 2, arbitrary: fc.array(applicant, { maxLength: 4 }).map((a) => `[${a.join(',')}]`) },
  { weight: 1, arbitrary: applicant.map((a) => `{"instances":[${a}]}`) },
  { weight: 1, arbitrary: applicant.map((a) => `{"dataframe_records":[${a}]}`) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(pick(fields), oddName), { minLength: 1, maxLength: 14 })
      .map((cols) => `{"dataframe_split":${JSON.stringify({ columns: cols, data: [cols.map(() => 1)] })}}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(oddName, fc.array(oddValue, { maxLength: 2 }))
      .map((d) => `{"inputs":${jsonObject(Object.entries(d))}}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(applicant, fc.array(fc.oneof(oddName, oddValue), { maxLength: 3 }))
      .map(([a, attrs]) => `{"applicant":${a},"attributes":${JSON.stringify(attrs)}}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.record({
          name: fc.oneof(pick(fields), oddName),
          datatype: pick(['FP64', 'BYTES', 'INT8', 'X']),
          v: oddValue,
        }),
        { maxLength: 4 },
      )
      .map((ts) =>
        JSON.stringify({ inputs: ts.map((t) => ({ name: t.name, shape: [1], datatype: t.datatype, data: [t.v] })) }),
      ),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string() },
);
const csvBody = fc
  .record({
    header: fc.array(fc.oneof({ weight: 4, arbitrary: pick(fields) }, { weight: 1, arbitrary: oddName }), {
      minLength: 1,
      maxLength: 15,
    }),
    rows: fc.array(
      fc.array(fc.oneof(fc.constant('30'), fc.constant('rent'), fc.string({ maxLength: 6 }), pick(PROTO)), {
        maxLength: 16,
      }),
      { maxLength: 6 },
    ),
    bytes: fc.option(fc.uint8Array({ minLength: 1, maxLength: 4 }), { nil: null }),
  })
  .map(({ header, rows, bytes }) => {
    const text = Buffer.from([header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n', 'utf8');
    return bytes ? Buffer.concat([text, Buffer.from(bytes), Buffer.from('\n')]) : text;
  });
const contentType = pick([
  'application/json',
  'application/json; charset=utf-8',
  'text/csv',
  'text/csv; charset=iso-8859-1',
  'text/csv; charset=koi8-r',
  'text/plain',
  'application/x-www-form-urlencoded',
  '',
]);
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'SEARCH'];

/** A request to one of the routes: its path template filled in, maybe extended, with any method and body. */
function requestTo(routeList: Route[]): fc.Arbitrary<Req> {
  return fc
    .record({
      route: pick(routeList),
      // Path parameters: names the routes know (the model, its version, the static files) or odd ones.
      params: fc.array(
        fc.oneof(
          { weight: 3, arbitrary: pick(['credit-default', '3']) },
          { weight: 1, arbitrary: pick(['index.html', 'app.js', 'swagger-ui.css', 'favicon-32x32.png']) },
          { weight: 2, arbitrary: segment },
        ),
        { minLength: 3, maxLength: 3 },
      ),
      // Mostly the route itself; a fifth with an extra segment, a third with a query string.
      extra: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: segment }),
      query: fc.oneof(
        { weight: 2, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.array(fc.tuple(oddName, oddName), { maxLength: 3 }) },
      ),
      ownMethod: fc.oneof({ weight: 3, arbitrary: fc.nat(7) }, { weight: 1, arbitrary: fc.constant(null) }),
      anyMethod: pick(METHODS),
      // The content type the body is written in, mostly; any other a quarter of the time.
      type: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: contentType }),
      json: jsonBody,
      csv: csvBody,
      bytes: fc.uint8Array({ maxLength: 64 }),
      bodyKind: pick(['json', 'json', 'json', 'json', 'csv', 'csv', 'bytes', 'none']),
      requestId: fc.option(fc.string({ maxLength: 200 }), { nil: null, freq: 4 }),
    })
    .map((g) => {
      let n = 0;
      // Koa path templates: `:name` and optional `{:name}` parameters.
      let path = g.route.path.replace(
        /\{?\/?:[A-Za-z]+\}?/g,
        (m) => `${m.startsWith('/') || m.startsWith('{/') ? '/' : ''}${g.params[n++ % 3]}`,
      );
      if (g.extra !== null) path = `${path.replace(/\/$/, '')}/${g.extra}`;
      if (g.query) path += `?${g.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
      const method = g.ownMethod === null ? g.anyMethod : g.route.methods[g.ownMethod % g.route.methods.length];
      const body =
        method === 'GET' || method === 'HEAD' || g.bodyKind === 'none'
          ? null
          : g.bodyKind === 'json'
            ? Buffer.from(g.json)
            : g.bodyKind === 'csv'
              ? g.csv
              : Buffer.from(g.bytes);
      const headers: Record<string, string> = {};
      const type = g.type ?? (g.bodyKind === 'csv' ? 'text/csv' : g.bodyKind === 'json' ? 'application/json' : '');
      if (type) headers['content-type'] = type;
      if (g.requestId !== null) headers['x-request-id'] = g.requestId.replace(/[^\t\x20-\x7e]/g, '');
      if (body) headers['content-length'] = String(body.length);
      return { method, path, headers, body };
    });
}

function check(r: Req, a: Awaited<ReturnType<typeof send>>): void {
  const what = `${r.method} ${r.path} ${r.headers['content-type'] ?? ''} ${(r.body ?? Buffer.alloc(0)).toString('latin1').slice(0, 120)}`;
  expect(a.headers['x-content-type-options'], what).toBe('nosniff');
  expect(a.headers['content-security-policy'], what).toMatch(/frame-ancestors 'none'/);
  if (a.status < 400) return;
  if (r.method === 'HEAD') return;
  expect(a.headers['content-type'], what).toMatch(/^application\/json/);
  const e = JSON.parse(a.body.toString('utf8')) as {
    error_code: string;
    message: string;
    status: number;
    request_id: string;
  };
  expect(e.status, what).toBe(a.status);
  expect(typeof e.error_code, what).toBe('string');
  expect(typeof e.message, what).toBe('string');
  expect(typeof e.request_id, what).toBe('string');
  if (a.status >= 500) {
    // The one 5xx allowed: a method no route of the service implements (TRACE, PROPFIND…).
    expect(a.status, what).toBe(501);
    expect(e.error_code, what).toBe('NOT_IMPLEMENTED');
  }
}

describe('fuzzing every route of the service', () => {
  it('covers the routes of /openapi.json and the static files', async () => {
    const doc = JSON.parse(
      (await send({ method: 'GET', path: '/openapi.json', headers: {}, body: null })).body.toString(),
    ) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const known = new Set(routes.map((r) => r.path));
    for (const path of Object.keys(doc.paths)) expect(known, path).toContain(path);
    for (const path of ['/dashboard/{:file}', '/docs/:file', '/docs', '/docs/init.js', '/'])
      expect(known, path).toContain(path);
  });

  it('answers over 10,000 generated requests with no 5xx, no dropped connection, and flat memory', async () => {
    const property = fc.asyncProperty(requestTo(routes), async (r) => check(r, await send(r)));
    // The service is one process with state: a failure is reported as found, not shrunk
    // against a server the failure may have changed (or stopped).
    const run = (numRuns: number, seed: number): Promise<void> =>
      fc.assert(property, { numRuns, seed, endOnFailure: true });
    // Warm-up: code paths compiled, caches filled, lazily loaded modules (charts) loaded.
    await run(2000, 1);
    const rounds: Memory[] = [await ask('memory')];
    for (let round = 0; round < 4; round++) {
      await run(2000, 2 + round);
      rounds.push(await ask('memory'));
    }
    expect(sent).toBeGreaterThanOrEqual(10_000);
    const mb = (x: number): number => Math.round((x / 1048576) * 10) / 10;
    const heap = rounds.map((m) => mb(m.heapUsed));
    const rss = rounds.map((m) => mb(m.rss));
    // What the service keeps after 8,000 more requests, after full collections.
    expect(heap.at(-1)! - heap[0], `heap after each round (MB): ${heap.join(', ')}`).toBeLessThan(4);
    expect(rss.at(-1)! - rss[0], `RSS after each round (MB): ${rss.join(', ')}`).toBeLessThan(16);
    // And it still scores afterwards.
    const ok = await send({
      method: 'POST',
      path: '/v1/predict',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(APPLICANT)),
    });
    expect(ok.status).toBe(200);
  }, 900_000);
});
