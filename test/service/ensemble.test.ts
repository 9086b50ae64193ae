/**
 * A soft-voting ensemble bundle (`engine: auto` with `auto.ensemble`) served like any other:
 * /v1/model and the dashboard's model page list its members and weights, the single-row fast
 * path scores it bit-identically to CreditModel, batches and `mlops predict` agree, and
 * ?explain=true answers in probability, its contributions adding up to the probability.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempProject } from '../helpers/cli.ts';
import { readCsvFile } from '../../pipeline/core/data/csv.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import { APPLICANT, applicants, recordsOf, startTestServer, type TestServer } from './helpers.ts';

let model: CreditModel;
let dir: string;
let server: TestServer;

beforeAll(async () => {
  dir = tempProject();
  const configPath = join(dir, 'mlops.config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  config.auto = { budget_seconds: 4, folds: 3, ensemble: true };
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const r = await runCli(['train', '--engine', 'auto', '--seed', '7', '--quiet', '--out', 'runs/ens'], dir);
  if (r.code !== 0) throw new Error(`training failed: ${r.err}`);
  const modelPath = join(dir, 'runs/ens/model.json');
  model = CreditModel.load(modelPath);
  server = await startTestServer({ dir, modelPath, model });
}, 300_000);

afterAll(async () => {
  await server?.close();
});

describe('an ensemble bundle in the service', () => {
  it('/v1/model and the dashboard model page name the members and weights', async () => {
    expect(model.bundle.engine.engine).toBe('ensemble');
    const meta = (await (await fetch(`${server.url}/v1/model`)).json()) as Record<string, unknown>;
    expect(meta.engine).toBe('ensemble');
    expect(meta.explanation_output).toBe('probability');
    const members = meta.members as { candidate: string; engine: string; weight: number }[];
    expect(members).toHaveLength(3);
    expect(members.reduce((s, m) => s + m.weight, 0)).toBeCloseTo(1, 12);
    const page = (await (await fetch(`${server.url}/v1/dashboard/model`)).json()) as Record<string, unknown>;
    expect(page.members).toEqual(members);
    const params = (await (await fetch(`${server.url}/v1/model/params`)).json()) as {
      preprocessing: { encodings: string[] };
    };
    expect(params.preprocessing.encodings).toEqual(members.map((m) => (m.engine === 'logistic' ? 'linear' : 'tree')));
  });

  it('scores every test row on the fast path bit-identically to CreditModel, and batches agree', async () => {
    const data = readCsvFile(join(ROOT, 'data/credit_data/test.csv'));
    const recs = applicants(model, recordsOf(data));
    const batch = model.scoreRecords(recs);
    expect(recs.filter((rec, i) => server.state.scorer.single(rec) !== batch[i])).toHaveLength(0);
    const res = (await (await server.post('/v1/predict/batch', recs.slice(0, 50))).json()) as {
      predictions: { probability: number }[];
    };
    expect(res.predictions.map((p) => p.probability)).toEqual(Array.from(batch.slice(0, 50)));
  });

  it('explains a decision in probability: base value + contributions = the probability, to 1e-9', async () => {
    const res = (await (await server.post('/v1/predict?explain=true', APPLICANT)).json()) as {
      probability: number;
      explanation: {
        output: string;
        base_value: number;
        margin: number;
        probability: number;
        contributions: { contribution: number }[];
        reason_codes: string[];
      };
    };
    expect(res.probability).toBe(model.scoreRecords([APPLICANT])[0]);
    const e = res.explanation;
    expect(e.output).toBe('probability');
    expect(Math.abs(e.contributions.reduce((s, c) => s + c.contribution, e.base_value) - res.probability)).toBeLessThan(
      1e-9,
    );
    expect(Math.abs(e.probability - res.probability)).toBeLessThan(1e-9);
  });

  it('mlops predict scores the same probabilities', async () => {
    const out = join(dir, 'scored.csv');
    const r = await runCli(
      ['predict', '--model', 'runs/ens/model.json', '--data', join(ROOT, 'data/credit_data/test.csv'), '--out', out],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    const col = header.indexOf('probability');
    const data = readCsvFile(join(ROOT, 'data/credit_data/test.csv'));
    const recs = applicants(model, recordsOf(data));
    const p = model.scoreRecords(recs);
    expect(lines.length - 1).toBe(p.length);
    // The CSV carries six decimals.
    for (let i = 0; i < p.length; i += 97) expect(Number(lines[i + 1].split(',')[col])).toBeCloseTo(p[i], 6);
  });
});
