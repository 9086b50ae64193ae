import { describe, expect, it } from 'vitest';
import { forestFactory } from '../../pipeline/core/engines/forest.ts';
import { gbdtFactory } from '../../pipeline/core/engines/gbdt.ts';
import { loadSplit, rocAuc } from './helpers.ts';

const credit = loadSplit(new URL('../../data/credit_data', import.meta.url).pathname, 'Status', 'bad');

describe('credit_data test split', () => {
  it.each([
    ['forest', forestFactory, 0.835],
    ['gbdt', gbdtFactory, 0.84],
  ] as const)('%s reaches the AUC floor', async (_name, factory, floor) => {
    const engine = factory.create({});
    await engine.fit(credit.train.X, credit.train.y, { seed: 42 });
    expect(rocAuc(credit.test.y, engine.predictProba(credit.test.X))).toBeGreaterThanOrEqual(floor);
  });
});
