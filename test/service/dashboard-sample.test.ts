/**
 * What the dashboard shows beside a model is about that model: the sample clients are the
 * test rows it was evaluated on (rebuilt from its provenance), or are flagged when it
 * trained on them; the promotion history and sign-off are the registry's only when the
 * served bundle is a registry version of that name.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import { evaluationRows } from '../../pipeline/gitops/run/evaluation-rows.ts';
import { projectDataRecord } from '../../pipeline/gitops/run/data-record.ts';
import { APPLICANT, startTestServer, trainedProject, type TestServer, type TrainedProject } from './helpers.ts';

let p: TrainedProject;
const servers: TestServer[] = [];

interface Sample {
  source: string;
  rows: number;
  seen_in_training: number | null;
  warning: string | null;
}

async function serve(overrides: { modelPath?: string } = {}, sampleClients?: string): Promise<TestServer> {
  const before = process.env.SAMPLE_CLIENTS;
  if (sampleClients) process.env.SAMPLE_CLIENTS = sampleClients;
  else delete process.env.SAMPLE_CLIENTS;
  try {
    const model = overrides.modelPath ? CreditModel.load(overrides.modelPath) : p.model;
    const s = await startTestServer({ ...p, model, modelPath: overrides.modelPath ?? p.modelPath });
    servers.push(s);
    return s;
  } finally {
    if (before === undefined) delete process.env.SAMPLE_CLIENTS;
    else process.env.SAMPLE_CLIENTS = before;
  }
}

const json = async (r: Response) => (await r.json()) as Record<string, unknown>;

beforeAll(async () => {
  p = await trainedProject();
});

afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('sample clients', () => {
  it("are the model's own test rows by default, so their figures are its test figures", async () => {
    const s = await serve();
    const clients = await json(await fetch(`${s.url}/v1/dashboard/clients`));
    const sample = clients.sample as Sample;
    // The served bundle pins its rows by digest; the project's configured data has them.
    const record = projectDataRecord(p.model.bundle, p.dir);
    const test = evaluationRows(p.model.bundle, { record, baseDir: p.dir });
    expect(sample.rows).toBe(test.index.length);
    expect(sample.seen_in_training).toBe(0);
    expect(sample.warning).toBeNull();
    expect(sample.source).toContain(`test rows of ${record.data.path}`);
    expect(sample.source).toContain('did not train on');
    // The model page's figures on them are the test split's, recorded at training.
    const card = await json(await fetch(`${s.url}/v1/dashboard/model`));
    const metrics = (card.sample as { metrics: { roc_auc: number } }).metrics;
    expect(metrics.roc_auc).toBeCloseTo(p.model.bundle.metrics.test!.roc_auc as number, 10);
  });

  it('from SAMPLE_CLIENTS are checked against the training rows, and a comparison on them is flagged', async () => {
    // Every row of the shipped test.csv is inside credit_data.csv, which the model trained on.
    const s = await serve({}, join(p.dir, 'data/credit_data/test.csv'));
    const sample = (await json(await fetch(`${s.url}/v1/dashboard/clients`))).sample as Sample;
    expect(sample.seen_in_training).toBeGreaterThan(sample.rows / 2);
    expect(sample.warning).toMatch(
      new RegExp(`^${sample.seen_in_training} of these ${sample.rows} clients are rows the model trained on`),
    );
    const compared = await json(await s.post('/v1/dashboard/compare', { applicant: APPLICANT, attributes: ['Age'] }));
    expect((compared.sample as Sample).warning).toBe(sample.warning);
    const card = await json(await fetch(`${s.url}/v1/dashboard/model`));
    expect((card.sample as Sample).warning).toBe(sample.warning);
  });
});

describe('promotion history on the model page', () => {
  it("is the registry's only for a bundle whose digest is a registry version of that name", async () => {
    const promoted = await runCli(['promote', '--run', 'runs/svc', '--actor', 'risk-team', '--reason', 'first'], p.dir);
    expect(promoted.code, promoted.err).toBe(0);
    // Another model of the same name, trained with another seed and served from its run folder.
    const other = await runCli(
      ['train', '--engine', 'logistic', '--seed', '7', '--quiet', '--out', 'runs/other'],
      p.dir,
    );
    expect(other.code, other.err).toBe(0);

    const champion = await json(await fetch(`${(await serve()).url}/v1/dashboard/model`));
    expect(champion.registry_version).toBe(1);
    expect((champion.history as { event: string }[]).map((e) => e.event)).toContain('promoted');

    const elsewhere = await json(
      await fetch(`${(await serve({ modelPath: join(p.dir, 'runs/other/model.json') })).url}/v1/dashboard/model`),
    );
    expect(elsewhere.name).toBe(champion.name);
    expect(elsewhere.registry_version).toBeNull();
    expect(elsewhere.history).toEqual([]);
    expect(elsewhere.sign_off).toBeNull();
  });
});
