import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsvFile } from '../../pipeline/core/data/csv.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import {
  APPLICANT,
  applicants,
  recordsOf,
  startTestServer,
  trainedProject,
  type TestServer,
  type TrainedProject,
} from './helpers.ts';

let p: TrainedProject;
let s: TestServer;

beforeAll(async () => {
  p = await trainedProject();
  s = await startTestServer(p);
});
afterAll(async () => {
  await s?.close();
});

describe('same applicant, same probability everywhere', () => {
  it('CLI `mlops predict`, POST /v1/predict and POST /invocations agree', async () => {
    const cols = Object.keys(APPLICANT);
    const csv = join(p.dir, 'one.csv');
    writeFileSync(csv, `${cols.join(',')}\n${cols.map((c) => APPLICANT[c as keyof typeof APPLICANT]).join(',')}\n`);
    const out = join(p.dir, 'one-scored.csv');
    const cli = await runCli(['predict', '--model', p.modelPath, '--data', csv, '--out', out], p.dir);
    expect(cli.code, cli.err).toBe(0);
    const scored = readFileSync(out, 'utf8').trim().split('\n');
    expect(scored[0]).toBe('probability,decision');
    const [cliProbability, cliDecision] = scored[1].split(',');
    const single = (await (await s.post('/v1/predict', APPLICANT)).json()) as { probability: number; decision: string };
    const mlflow = (await (await s.post('/invocations', { dataframe_records: [APPLICANT] })).json()) as {
      predictions: { probability: number }[];
    };
    expect(single.probability.toFixed(6)).toBe(cliProbability);
    expect(mlflow.predictions[0].probability).toBe(single.probability);
    expect(cliDecision).toBe(single.decision);
  });

  it('the single-row fast path is bit-identical to CreditModel on every row of the data set', () => {
    const t = readCsvFile(join(ROOT, 'data/credit_data.csv'));
    const recs = applicants(p.model, recordsOf(t));
    const batch = p.model.scoreRecords(recs);
    let mismatches = 0;
    recs.forEach((r, i) => {
      if (s.state.scorer.single(r) !== batch[i]) mismatches++;
    });
    expect(mismatches).toBe(0);
    // Missing values and unseen categories take the same path too.
    const odd = { ...APPLICANT, Income: null, Home: null, Job: 'astronaut' };
    expect(s.state.scorer.single(odd)).toBe(p.model.scoreRecords([odd])[0]);
  });

  it('tree engines (gbdt: raw numbers, category codes) take the fast path bit-identically too, and explain exactly', async () => {
    const r = await runCli(
      ['train', '--engine', 'gbdt', '--param', 'nRounds=20', '--quiet', '--out', 'runs/gbdt'],
      p.dir,
    );
    expect(r.code, r.err).toBe(0);
    const gbdt = CreditModel.load(join(p.dir, 'runs/gbdt/model.json'));
    const t = await startTestServer({ ...p, modelPath: join(p.dir, 'runs/gbdt/model.json'), model: gbdt });
    try {
      const data = readCsvFile(join(ROOT, 'data/credit_data/test.csv'));
      const recs = applicants(gbdt, recordsOf(data));
      const batch = gbdt.scoreRecords(recs);
      expect(recs.filter((rec, i) => t.state.scorer.single(rec) !== batch[i])).toHaveLength(0);
      const res = (await (await t.post('/v1/predict?explain=true', APPLICANT)).json()) as {
        probability: number;
        explanation: { base_value: number; margin: number; contributions: { contribution: number }[] };
      };
      expect(res.probability).toBe(gbdt.scoreRecords([APPLICANT])[0]);
      const e = res.explanation;
      expect(e.contributions.reduce((sum, c) => sum + c.contribution, e.base_value)).toBeCloseTo(e.margin, 9);
    } finally {
      await t.close();
    }
  });

  it('an engine that declares no attribution is served without explanations (501, and /v1/model says so)', async () => {
    const r = await runCli(
      [
        'train',
        '--engine',
        'ml-random-forest',
        '--param',
        'nEstimators=2',
        '--param',
        'maxDepth=3',
        '--quiet',
        '--out',
        'runs/mlrf',
      ],
      p.dir,
    );
    expect(r.code, r.err).toBe(0);
    const modelPath = join(p.dir, 'runs/mlrf/model.json');
    const t = await startTestServer({ ...p, modelPath, model: CreditModel.load(modelPath) });
    try {
      expect((await t.post('/v1/predict', APPLICANT)).status).toBe(200);
      const res = await t.post('/v1/predict?explain=true', APPLICANT);
      expect(res.status).toBe(501);
      const body = (await res.json()) as { error_code: string; message: string };
      expect(body.error_code).toBe('NOT_IMPLEMENTED');
      expect(body.message).toContain('the "ml-random-forest" engine does not attribute its scores');
      const info = (await (await fetch(`${t.url}/v1/model`)).json()) as { explain: boolean };
      expect(info.explain).toBe(false);
    } finally {
      await t.close();
    }
  });
});
