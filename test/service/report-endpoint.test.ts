import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, trainedProject, type TestServer } from './helpers.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(await trainedProject());
});
afterAll(async () => {
  await server.close();
});

describe('GET /v1/model/report', () => {
  it('answers the model card: metrics, threshold, lineage, charts and fairness on the sample clients', async () => {
    const r = await fetch(`${server.url}/v1/model/report`);
    expect(r.status).toBe(200);
    const card = (await r.json()) as {
      name: string;
      digest: string;
      threshold: number;
      metrics: { test: { roc_auc: number } };
      sample: {
        rows: number;
        charts: { title: string; svg: string }[];
        fairness: { attributes: { attribute: string }[] };
      };
    };
    expect(card.name).toBe('credit-default');
    expect(card.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(card.metrics.test.roc_auc).toBeGreaterThan(0.8);
    expect(card.sample.rows).toBe(891);
    expect(card.sample.charts.map((c) => c.title)).toContain('ROC curve');
    expect(card.sample.charts.every((c) => c.svg.startsWith('<svg'))).toBe(true);
    expect(card.sample.fairness.attributes.map((a) => a.attribute)).toEqual(['Age', 'Marital']);
  });
});
