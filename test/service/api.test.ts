import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readCsvFile } from '../../pipeline/core/data/csv.ts';
import { ROOT } from '../helpers/cli.ts';
import {
  APPLICANT,
  applicants,
  recordsOf,
  startTestServer,
  trainedProject,
  type TestServer,
  type TrainedProject,
} from './helpers.ts';
import { join } from 'node:path';

let p: TrainedProject;
let s: TestServer;

beforeAll(async () => {
  p = await trainedProject();
  s = await startTestServer(p, { bodyLimitBytes: 64 * 1024, maxBatchRows: 500 });
});
afterAll(async () => {
  await s?.close();
});

// Responses are checked field by field below; their static type does not matter here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (r: Response): Promise<Record<string, any>> => (await r.json()) as Record<string, any>;

describe('POST /v1/predict', () => {
  it('scores one applicant with the documented shape, the model and a request id', async () => {
    const r = await s.post('/v1/predict', APPLICANT);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const b = await json(r);
    expect(Object.keys(b).sort()).toEqual(['decision', 'model', 'probability', 'risk_band', 'threshold']);
    expect(b.probability).toBe(p.model.scoreRecords([APPLICANT])[0]);
    expect(b.decision).toBe(p.model.decision(b.probability));
    expect(b.threshold).toBe(p.model.threshold);
    expect(b.risk_band).toBe(p.model.riskBand(b.probability));
    expect(b.model).toEqual({ name: 'credit-default', version: 3, digest: p.model.bundle.digest });
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    expect((await s.post('/v1/predict', APPLICANT, { 'x-request-id': 'abc-123' })).headers.get('x-request-id')).toBe(
      'abc-123',
    );
    expect(
      (await s.post('/v1/predict', APPLICANT, { 'x-request-id': 'a b<script>' })).headers.get('x-request-id'),
    ).not.toBe('a b<script>');
  });

  it('accepts null for an unknown value, and the label column', async () => {
    expect((await s.post('/v1/predict', { ...APPLICANT, Income: null, Home: null, Status: 'good' })).status).toBe(200);
  });

  it('lists every bad field at once: missing, wrong type, unknown category, non-finite, unknown field', async () => {
    const { Age: _a, ...noAge } = APPLICANT;
    const body = JSON.stringify({ ...noAge, Seniority: 'nine', Home: 'castle', Extra: 1 }).replace(
      '"Time":60',
      '"Time":1e999',
    );
    const r = await s.post('/v1/predict', body);
    expect(r.status).toBe(422);
    const b = await json(r);
    expect(b.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(b.request_id).toBe(r.headers.get('x-request-id'));
    const by = Object.fromEntries(b.errors.map((e: { field: string }) => [e.field, e]));
    expect(by.Age.problem).toBe('missing');
    expect(by.Seniority.problem).toBe('wrong_type');
    expect(by.Home.problem).toBe('unknown_category');
    expect(by.Home.allowed).toContain('rent');
    expect(by.Home.message).toMatch(/castle.*allowed: .*rent/);
    expect(by.Time.problem).toBe('non_finite');
    expect(by.Extra.problem).toBe('unknown_field');
    expect(b.errors).toHaveLength(5);
  });

  it('reports a category of the wrong type with the allowed values', async () => {
    const b = await json(await s.post('/v1/predict', { ...APPLICANT, Job: 3 }));
    expect(b.errors).toEqual([
      expect.objectContaining({ field: 'Job', problem: 'wrong_type', allowed: expect.arrayContaining(['fixed']) }),
    ]);
  });

  it('NaN, an empty body and malformed JSON are 400 with the same shape', async () => {
    for (const body of ['{"Age": NaN}', '', '   ', '{"Age": 30,']) {
      const r = await s.post('/v1/predict', body);
      expect(r.status, body).toBe(400);
      const b = await json(r);
      expect(b.error_code).toBe('BAD_REQUEST');
      expect(b.message).toMatch(body.trim() === '' ? /empty/ : /malformed JSON/);
    }
  });

  it('a body that is not an object is 422 naming the problem', async () => {
    for (const body of [[APPLICANT], '"text"', 42, null]) {
      const b = await json(await s.post('/v1/predict', body));
      expect(b.status).toBe(422);
      expect(b.errors[0]).toMatchObject({ field: null, problem: 'wrong_type' });
    }
  });

  it('413 over the body limit, 415 for other content types', async () => {
    const huge = JSON.stringify({ ...APPLICANT, pad: 'x'.repeat(100 * 1024) });
    const r = await s.post('/v1/predict', huge);
    expect(r.status).toBe(413);
    expect((await json(r)).error_code).toBe('PAYLOAD_TOO_LARGE');
    const t = await s.post('/v1/predict', JSON.stringify(APPLICANT), { 'content-type': 'text/plain' });
    expect(t.status).toBe(415);
    expect((await json(t)).message).toMatch(/application\/json.*text\/plain/);
    const form = await fetch(s.url + '/v1/predict', { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    expect(form.status).toBe(415);
  });

  it('?explain=true adds contributions that, with the base value, add up to the margin', async () => {
    const r = await s.post('/v1/predict?explain=true', APPLICANT);
    expect(r.status).toBe(200);
    const b = await json(r);
    expect(b.probability).toBe(p.model.scoreRecords([APPLICANT])[0]);
    const e = b.explanation;
    expect(e.output).toBe('log_odds');
    expect(e.contributions.map((c: { feature: string }) => c.feature).sort()).toEqual(
      p.model.bundle.schema.features.map((f) => f.name).sort(),
    );
    const sum = e.contributions.reduce((t: number, c: { contribution: number }) => t + c.contribution, e.base_value);
    expect(sum).toBeCloseTo(e.margin, 9);
    expect(1 / (1 + Math.exp(-e.margin))).toBeCloseTo(b.probability, 12);
    expect(Array.isArray(e.reason_codes)).toBe(true);
    expect((await s.post('/v1/predict?explain=false', APPLICANT)).status).toBe(200);
    expect((await s.post('/v1/predict?explain=maybe', APPLICANT)).status).toBe(400);
    expect((await s.post('/v1/predict?explain=true', { ...APPLICANT, Age: 'x' })).status).toBe(422);
  });
});

describe('POST /v1/predict/batch', () => {
  const test = readCsvFile(join(ROOT, 'data/credit_data/test.csv'));
  const rows = () => recordsOf(test);

  it('scores a JSON array in order, same probabilities as one at a time', async () => {
    const recs = applicants(p.model, rows().slice(0, 50));
    const b = await json(await s.post('/v1/predict/batch', recs));
    expect(b.predictions).toHaveLength(50);
    const expected = p.model.scoreRecords(recs);
    b.predictions.forEach((pr: { probability: number }, i: number) => expect(pr.probability).toBe(expected[i]));
    expect(b.model.digest).toBe(p.model.bundle.digest);
  });

  it('names the row and field of every bad value; empty and oversized batches are refused', async () => {
    const recs = applicants(p.model, rows().slice(0, 5));
    recs[1].Age = 'old';
    recs[3].Marital = 'complicated';
    const b = await json(await s.post('/v1/predict/batch', recs));
    expect(b.status).toBe(422);
    expect(b.errors.map((e: { row: number; field: string }) => [e.row, e.field])).toEqual([
      [1, 'Age'],
      [3, 'Marital'],
    ]);
    expect((await s.post('/v1/predict/batch', [])).status).toBe(400);
    expect((await s.post('/v1/predict/batch', { not: 'an array' })).status).toBe(400);
    expect((await s.post('/v1/predict/batch', Array(501).fill(APPLICANT))).status).toBe(413);
  });

  it('streams CSV in and out: the ID-less answer has one line per row, equal to the model', async () => {
    const all = rows();
    const lines = [test.header.join(',')];
    // The test split three times: several streaming chunks, well over the body limit.
    for (let k = 0; k < 3; k++) for (const r of all) lines.push(test.header.map((h) => r[h] ?? '').join(','));
    const csv = lines.join('\n') + '\n';
    expect(csv.length).toBeGreaterThan(64 * 1024);
    const r = await fetch(s.url + '/v1/predict/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/text\/csv/);
    const out = (await r.text()).trim().split('\n');
    expect(out[0]).toBe('probability,decision,risk_band,error');
    expect(out).toHaveLength(1 + 3 * all.length);
    const expected = p.model.scoreRecords(applicants(p.model, all));
    for (let i = 0; i < all.length; i += 97) {
      const [prob, decision] = out[1 + 2 * all.length + i].split(',');
      expect(Number(prob)).toBe(expected[i]);
      expect(decision).toBe(p.model.decision(expected[i]));
    }
  });

  it('CSV: a missing column or a bad value early is a 422; a bad value later fills the error column', async () => {
    const header = test.header.filter((h) => h !== 'Age');
    const noAge = [
      header.join(','),
      ...rows()
        .slice(0, 3)
        .map((r) => header.map((h) => r[h] ?? '').join(',')),
    ].join('\n');
    const r1 = await fetch(s.url + '/v1/predict/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: noAge,
    });
    expect(r1.status).toBe(422);
    expect((await json(r1)).errors[0]).toMatchObject({ field: 'Age', problem: 'missing' });
    const good = rows().map((r) => test.header.map((h) => r[h] ?? '').join(','));
    const ageCol = test.header.indexOf('Age');
    const bad = (line: string): string =>
      line
        .split(',')
        .map((v, i) => (i === ageCol ? 'old' : v))
        .join(',');
    const early = [test.header.join(','), bad(good[0]), ...good.slice(1, 5)].join('\n');
    const r2 = await fetch(s.url + '/v1/predict/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: early,
    });
    expect(r2.status).toBe(422);
    expect((await json(r2)).errors[0]).toMatchObject({ field: 'Age', row: 0, problem: 'wrong_type' });
    // The bad row comes after the first streaming chunk (1,000 rows).
    const late = [test.header.join(','), ...good, ...good.slice(0, 200), bad(good[0]), ...good.slice(0, 100)].join(
      '\n',
    );
    const r3 = await fetch(s.url + '/v1/predict/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: late,
    });
    expect(r3.status).toBe(200);
    const out = (await r3.text()).trim().split('\n');
    const at = good.length + 200;
    expect(out).toHaveLength(1 + at + 1 + 100);
    expect(out[1 + at]).toMatch(/^,,,.*Age.*number/);
    expect(out[2 + at]).toMatch(/^0\.\d+,(good|bad),\w+,$/);
  });
});

describe('POST /invocations (MLflow)', () => {
  const columns = Object.keys(APPLICANT);
  const expected = () => p.model.scoreRecords([APPLICANT])[0];
  it('accepts dataframe_split, dataframe_records, instances, inputs (records and columns) and CSV', async () => {
    const bodies = [
      { dataframe_split: { columns, data: [columns.map((c) => APPLICANT[c as keyof typeof APPLICANT])] } },
      { dataframe_records: [APPLICANT] },
      { instances: [APPLICANT] },
      { inputs: [APPLICANT] },
      { inputs: Object.fromEntries(columns.map((c) => [c, [APPLICANT[c as keyof typeof APPLICANT]]])) },
      { dataframe_records: [APPLICANT], params: {} },
    ];
    for (const body of bodies) {
      const r = await s.post('/invocations', body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      const b = await json(r);
      expect(b.predictions).toHaveLength(1);
      expect(b.predictions[0].probability).toBe(expected());
    }
    const csv = `${columns.join(',')}\n${columns.map((c) => APPLICANT[c as keyof typeof APPLICANT]).join(',')}\n`;
    const r = await fetch(s.url + '/invocations', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect((await json(r)).predictions[0].probability).toBe(expected());
  });

  it('refuses unknown shapes with 400 and bad values with 422', async () => {
    expect((await s.post('/invocations', { rows: [APPLICANT] })).status).toBe(400);
    expect((await s.post('/invocations', { instances: [APPLICANT], inputs: [APPLICANT] })).status).toBe(400);
    expect((await s.post('/invocations', { dataframe_split: { columns, data: [[1]] } })).status).toBe(400);
    const b = await json(await s.post('/invocations', { dataframe_records: [{ ...APPLICANT, Records: 'maybe' }] }));
    expect(b).toMatchObject({
      status: 422,
      error_code: 'INVALID_PARAMETER_VALUE',
      errors: [{ row: 0, field: 'Records', problem: 'unknown_category' }],
    });
    expect((await fetch(s.url + '/ping')).status).toBe(200);
  });
});

describe('model, health, metrics, docs', () => {
  it('GET /v1/model, /metrics, /params and /schema', async () => {
    const m = await json(await fetch(s.url + '/v1/model'));
    expect(m).toMatchObject({ name: 'credit-default', version: 3, digest: p.model.bundle.digest, engine: 'logistic' });
    expect(m.provenance.seed).toBe(42);
    const metrics = await json(await fetch(s.url + '/v1/model/metrics'));
    expect(metrics.metrics.test.roc_auc).toBe(p.model.bundle.metrics.test.roc_auc);
    const params = await json(await fetch(s.url + '/v1/model/params'));
    expect(params.engine).toBe('logistic');
    const schema = await json(await fetch(s.url + '/v1/model/schema'));
    expect(schema.required).toEqual(p.model.bundle.schema.features.map((f) => f.name));
  });

  it("GET /v1/model gives ranges as the schema's numbers and the units of explanations as the engine declares", async () => {
    const m = await json(await fetch(s.url + '/v1/model'));
    // A logistic model's contributions are log-odds, and so says every explanation it gives.
    expect(m.explanation_output).toBe('log_odds');
    const ex = await json(await s.post('/v1/predict?explain=true', APPLICANT));
    expect(ex.explanation.output).toBe(m.explanation_output);
    for (const f of p.model.bundle.schema.features) {
      const served = m.features.find((x: { name: string }) => x.name === f.name);
      if (f.kind === 'numeric')
        expect(served).toEqual({
          name: f.name,
          kind: 'numeric',
          integer: f.integer,
          min: f.min,
          max: f.max,
          median: f.median,
        });
      else expect(served).toEqual({ name: f.name, kind: 'categorical', categories: f.categories });
    }
  });

  it('healthz and readyz; readyz is 503 once shutdown begins', async () => {
    expect(await json(await fetch(s.url + '/healthz'))).toEqual({ status: 'ok' });
    expect((await fetch(s.url + '/readyz')).status).toBe(200);
    s.state.ready = false;
    try {
      expect((await fetch(s.url + '/readyz')).status).toBe(503);
    } finally {
      s.state.ready = true;
    }
  });

  it('/metrics: requests by route and status, latency histogram, predictions by decision, model version', async () => {
    await s.post('/v1/predict', APPLICANT);
    await s.post('/v1/predict', {});
    const text = await (await fetch(s.url + '/metrics')).text();
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} \d+/);
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/v1\/predict",status="422"\} \d+/);
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.01",method="POST",route="\/v1\/predict",status="200"\} \d+/,
    );
    expect(text).toMatch(/mlops_predictions_total\{decision="(good|bad)",model="credit-default",version="3"\} \d+/);
    expect(text).toMatch(/mlops_model_info\{model="credit-default",version="3",digest="sha256:[0-9a-f]{64}"\} 1/);
  });

  it('/openapi.json is OpenAPI 3.1 built from the validating schema, and its example validates', async () => {
    const doc = await json(await fetch(s.url + '/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    // Swagger UI warns in a red box on /docs for any jsonSchemaDialect but OpenAPI's own base
    // dialect (the default when the field is absent): it then stops reading the schemas as schemas.
    expect(doc.jsonSchemaDialect ?? 'https://spec.openapis.org/oas/3.1/dialect/base').toBe(
      'https://spec.openapis.org/oas/3.1/dialect/base',
    );
    const schema = await json(await fetch(s.url + '/v1/model/schema'));
    expect(doc.components.schemas.Applicant).toEqual(schema);
    for (const path of ['/v1/predict', '/v1/predict/batch', '/invocations', '/v1/model', '/healthz', '/metrics'])
      expect(doc.paths).toHaveProperty([path]);
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate(doc.paths['/v1/predict'].post.requestBody.content['application/json'].example)).toBe(true);
    expect(
      (await s.post('/v1/predict', doc.paths['/v1/predict'].post.requestBody.content['application/json'].example))
        .status,
    ).toBe(200);
  });

  it('/docs serves Swagger UI from the installed package', async () => {
    const page = await fetch(s.url + '/docs');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/swagger-ui-bundle\.js/);
    const js = await fetch(s.url + '/docs/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(100_000);
    expect((await fetch(s.url + '/docs/../package.json')).status).toBe(404);
  });

  it('unknown routes are 404 and wrong methods 405, in the error shape', async () => {
    const a = await json(await fetch(s.url + '/nope'));
    expect(a).toMatchObject({ status: 404, error_code: 'NOT_FOUND' });
    const b = await fetch(s.url + '/v1/predict');
    expect(b.status).toBe(405);
    expect((await json(b)).error_code).toBe('METHOD_NOT_ALLOWED');
  });

  it('logs one JSON line per request without applicant data', async () => {
    await s.post('/v1/predict', { ...APPLICANT, Income: 98765 }, { 'x-request-id': 'log-check-1' });
    await new Promise((r) => setTimeout(r, 20));
    const line = s.logs.map((l) => JSON.parse(l)).find((l) => l.req_id === 'log-check-1');
    expect(line).toMatchObject({ method: 'POST', path: '/v1/predict', route: '/v1/predict', status: 200 });
    expect(s.logs.join('\n')).not.toContain('98765');
  });
});
