/**
 * The accuracy floors the project promises on the fixed train/test splits
 * (reference figures from scikit-learn on the same split are in the README).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { train } from '../../pipeline/core/training/train.ts';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';
import { ROOT } from '../helpers/cli.ts';

async function testAuc(dataset: 'credit_data' | 'lending_club', engine: string): Promise<number> {
  const config = defaultConfig();
  config.engine = { name: engine, params: {} };
  config.data = {
    ...config.data,
    path: `data/${dataset}/train.csv`,
    test_path: `data/${dataset}/test.csv`,
    target: dataset === 'credit_data' ? 'Status' : 'Class',
    positive: 'bad',
  };
  const r = await train({ config, baseDir: join(ROOT) });
  return r.metrics.test.roc_auc!;
}

describe('test ROC AUC floors on the fixed splits', () => {
  it('forest ≥ 0.835 on credit_data', async () => {
    expect(await testAuc('credit_data', 'forest')).toBeGreaterThanOrEqual(0.835);
  });
  it('logistic ≥ 0.83 on credit_data', async () => {
    expect(await testAuc('credit_data', 'logistic')).toBeGreaterThanOrEqual(0.83);
  });
  it('gbdt ≥ 0.84 on credit_data', async () => {
    expect(await testAuc('credit_data', 'gbdt')).toBeGreaterThanOrEqual(0.84);
  });
  it('forest ≥ 0.70 on lending_club (5 % defaults)', async () => {
    expect(await testAuc('lending_club', 'forest')).toBeGreaterThanOrEqual(0.7);
  });
});
