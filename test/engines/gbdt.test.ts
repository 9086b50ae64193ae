import { describe, expect, it } from 'vitest';
import { gbdtFactory, type GbdtEngine, type GbdtState } from '../../pipeline/engines/gbdt.ts';
import { synthetic } from './helpers.ts';

describe('gbdt', () => {
  it('stops early on validation log-loss and keeps the best round', async () => {
    const train = synthetic(1500, 21, { features: 12 });
    const validation = synthetic(800, 22, { features: 12 });
    const engine = gbdtFactory.create({ nRounds: 400, learningRate: 0.3, maxDepth: 6, minSamplesLeaf: 1, earlyStoppingRounds: 15 }) as GbdtEngine;
    await engine.fit(train.X, train.y, { seed: 3, validation });
    const state = engine.toJSON().state as GbdtState;
    expect(state.roundsTrained).toBeLessThan(400);
    const losses = state.validationLoss;
    expect(losses).toHaveLength(state.roundsTrained);
    const best = losses.indexOf(Math.min(...losses));
    expect(state.bestIteration).toBe(best + 1);
    expect(state.trees).toHaveLength(best + 1);
    expect(state.roundsTrained - state.bestIteration).toBe(15);
  });

  it('margins are the log-odds of the probabilities', async () => {
    const data = synthetic(600, 4);
    const engine = gbdtFactory.create({ nRounds: 20 }) as GbdtEngine;
    await engine.fit(data.X, data.y, { seed: 1 });
    const m = engine.predictMargin(data.X);
    const p = engine.predictProba(data.X);
    for (let i = 0; i < 50; i++) expect(p[i]).toBeCloseTo(1 / (1 + Math.exp(-m[i])), 12);
  });
});
