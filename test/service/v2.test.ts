import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICANT, startTestServer, trainedProject, type TestServer, type TrainedProject } from './helpers.ts';

let project: TrainedProject;
let server: TestServer;
const name = 'credit-default';

beforeAll(async () => {
  project = await trainedProject();
  server = await startTestServer(project);
});
afterAll(async () => {
  await server.close();
});

/** The applicant as v2 tensors, one per feature, `n` copies. */
function tensors(
  n = 1,
  override: Record<string, unknown> = {},
): { name: string; shape: number[]; datatype: string; data: unknown[] }[] {
  return project.model.bundle.schema.features.map((f) => ({
    name: f.name,
    shape: [n],
    datatype: f.kind === 'numeric' ? 'FP64' : 'BYTES',
    data: Array.from({ length: n }, () =>
      Object.hasOwn(override, f.name) ? override[f.name] : (APPLICANT as Record<string, unknown>)[f.name],
    ),
  }));
}

describe('Open Inference Protocol (KServe v2)', () => {
  it('answers health and metadata', async () => {
    expect(await (await fetch(`${server.url}/v2/health/live`)).json()).toEqual({ live: true });
    expect(await (await fetch(`${server.url}/v2/health/ready`)).json()).toEqual({ ready: true });
    const meta = (await (await fetch(`${server.url}/v2/models/${name}`)).json()) as {
      name: string;
      inputs: { name: string; datatype: string }[];
      outputs: { name: string }[];
    };
    expect(meta.name).toBe(name);
    expect(meta.inputs.find((i) => i.name === 'Income')?.datatype).toBe('FP64');
    expect(meta.inputs.find((i) => i.name === 'Home')?.datatype).toBe('BYTES');
    expect(meta.outputs.map((o) => o.name)).toEqual(['probability', 'decision']);
    expect((await fetch(`${server.url}/v2/models/${name}/ready`)).status).toBe(200);
    const unknown = await fetch(`${server.url}/v2/models/other`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: expect.stringMatching(/model "other" is not served here/),
      error_code: 'NOT_FOUND',
      message: expect.stringMatching(/model "other" is not served here/),
      status: 404,
      request_id: expect.any(String),
    });
  });

  it('infers from tensors with the same probability as /v1/predict', async () => {
    const r = await server.post(`/v2/models/${name}/infer`, { id: 'req-1', inputs: tensors(3) });
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      id: string;
      model_name: string;
      outputs: { name: string; shape: number[]; data: unknown[] }[];
    };
    expect(body.id).toBe('req-1');
    const prob = body.outputs.find((o) => o.name === 'probability')!;
    expect(prob.shape).toEqual([3]);
    const v1 = (await (await server.post('/v1/predict', APPLICANT)).json()) as {
      probability: number;
      decision: string;
    };
    expect(prob.data[0]).toBe(v1.probability);
    expect(body.outputs.find((o) => o.name === 'decision')!.data[2]).toBe(v1.decision);
    const only = (await (
      await server.post(`/v2/models/${name}/infer`, { inputs: tensors(1), outputs: [{ name: 'probability' }] })
    ).json()) as { outputs: unknown[] };
    expect(only.outputs).toHaveLength(1);
  });

  it('accepts [N, 1] shapes, nested data and null for missing values', async () => {
    const t = tensors(2, { Income: null }).map((x) => ({ ...x, shape: [2, 1], data: x.data.map((v) => [v]) }));
    const r = await server.post(`/v2/models/${name}/infer`, { inputs: t });
    expect(r.status).toBe(200);
  });

  it.each([
    ['not an object', () => [1, 2], /JSON object with an "inputs" array/],
    ['no inputs', () => ({ inputs: [] }), /"inputs" must be a non-empty array/],
    [
      'unknown tensor',
      () => ({ inputs: [...tensors(1), { name: 'Zodiac', shape: [1], datatype: 'BYTES', data: ['leo'] }] }),
      /"Zodiac" is not an input of this model/,
    ],
    ['missing tensor', () => ({ inputs: tensors(1).filter((t) => t.name !== 'Age') }), /missing input tensor: Age/],
    [
      'shape/data mismatch',
      () => ({ inputs: tensors(1).map((t) => (t.name === 'Age' ? { ...t, shape: [2] } : t)) }),
      /"Age": shape \[2\] holds 2 values but data has 1/,
    ],
    [
      '2-D feature matrix',
      () => ({ inputs: tensors(1).map((t) => (t.name === 'Age' ? { ...t, shape: [1, 3] } : t)) }),
      /shape must be \[N\] or \[N, 1\]/,
    ],
    [
      'wrong datatype',
      () => ({ inputs: tensors(1).map((t) => (t.name === 'Home' ? { ...t, datatype: 'FP32' } : t)) }),
      /datatype "FP32" does not fit a categorical feature; use BYTES/,
    ],
    [
      'rows disagree',
      () => ({ inputs: tensors(1).map((t) => (t.name === 'Debt' ? { ...t, shape: [2], data: [0, 0] } : t)) }),
      /2 rows, but earlier inputs have 1/,
    ],
    ['text in a numeric tensor', () => ({ inputs: tensors(1, { Income: 'lots' }) }), /invalid inputs: .*Income/],
    ['unknown category', () => ({ inputs: tensors(1, { Home: 'castle' }) }), /invalid inputs: .*Home/],
  ])('rejects a malformed request (%s) with 400 and the protocol error shape', async (_label, body, message) => {
    const r = await server.post(`/v2/models/${name}/infer`, body());
    expect(r.status).toBe(400);
    const json = (await r.json()) as { error: string; message: string };
    // The protocol's shape, with the service's error fields beside it.
    expect(Object.keys(json)).toEqual(['error', 'error_code', 'message', 'status', 'request_id']);
    expect(json.error).toMatch(message);
    expect(json.message).toBe(json.error);
  });

  it('answers malformed JSON and a wrong content type in the protocol error shape', async () => {
    const bad = await server.post(`/v2/models/${name}/infer`, '{"inputs": [');
    expect(bad.status).toBe(400);
    expect(Object.keys((await bad.json()) as object)).toEqual([
      'error',
      'error_code',
      'message',
      'status',
      'request_id',
    ]);
    const r = await fetch(`${server.url}/v2/models/${name}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(r.status).toBe(415);
    expect(await r.json()).toMatchObject({
      error: expect.any(String),
      error_code: 'UNSUPPORTED_MEDIA_TYPE',
      status: 415,
    });
  });
});
