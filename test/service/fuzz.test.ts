/**
 * Property test: thousands of random and mutated payloads never get a 5xx, always get a
 * JSON answer in the error shape when refused, and do not make memory grow.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICANT, startTestServer, trainedProject, type TestServer } from './helpers.ts';

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer(await trainedProject(), { bodyLimitBytes: 16 * 1024, logLevel: 'warn' });
});
afterAll(async () => {
  await s?.close();
});

const fields = Object.keys(APPLICANT);
const oddValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    -1,
    0,
    1e308,
    -1e308,
    5e-324,
    '',
    ' ',
    'NaN',
    'Infinity',
    '1e999',
    'rent ',
    'RENT',
    '\u0000',
    '__proto__',
    true,
    [],
    {},
  ),
  fc.string(),
  fc.double(),
);
/** A valid applicant with one to four things wrong with it. */
const mutated = fc
  .array(
    fc.oneof(
      fc.record({ op: fc.constant('delete' as const), field: fc.constantFrom(...fields) }),
      fc.record({ op: fc.constant('set' as const), field: fc.constantFrom(...fields), value: oddValue }),
      fc.record({
        op: fc.constant('add' as const),
        field: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'Status')),
        value: oddValue,
      }),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((ops) => {
    const o: Record<string, unknown> = { ...APPLICANT };
    for (const m of ops) {
      if (m.op === 'delete') delete o[m.field];
      else Object.defineProperty(o, m.field, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
    return JSON.stringify(o);
  });
const rawText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  mutated.map((t) => t.slice(0, Math.floor(t.length / 2))),
);
const payload = fc.oneof(
  { weight: 3, arbitrary: mutated },
  { weight: 2, arbitrary: rawText },
  { weight: 1, arbitrary: fc.array(mutated, { maxLength: 5 }).map((a) => `[${a.join(',')}]`) },
);
const target = fc.constantFrom(
  { path: '/v1/predict', type: 'application/json' },
  { path: '/v1/predict/batch', type: 'application/json' },
  { path: '/invocations', type: 'application/json' },
  { path: '/v1/predict/batch', type: 'text/csv' },
  { path: '/invocations', type: 'text/csv' },
  { path: '/v1/predict', type: 'text/plain' },
);

describe('fuzzing the scoring endpoints', () => {
  it('never answers 5xx, always answers JSON errors, and memory stays flat', async () => {
    const send = async (t: { path: string; type: string }, body: string): Promise<void> => {
      const r = await fetch(s.url + t.path, { method: 'POST', headers: { 'content-type': t.type }, body });
      expect(r.status, `${t.path} ${t.type} ${body.slice(0, 200)}`).toBeLessThan(500);
      const text = await r.text();
      if (r.status >= 400) {
        const e = JSON.parse(text) as { error_code: string; status: number };
        expect(e.status).toBe(r.status);
        expect(typeof e.error_code).toBe('string');
      }
    };
    // Warm up, then measure the heap around the bulk of the runs.
    await fc.assert(fc.asyncProperty(target, payload, send), { numRuns: 300, seed: 1 });
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    await fc.assert(fc.asyncProperty(target, payload, send), { numRuns: 1700, seed: 2 });
    globalThis.gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    // And it still scores afterwards.
    expect((await s.post('/v1/predict', APPLICANT)).status).toBe(200);
  });
});
