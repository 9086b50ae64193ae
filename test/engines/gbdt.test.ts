import { describe, expect, it } from 'vitest';
import { gbdtFactory, type GbdtEngine, type GbdtState } from '../../pipeline/core/engines/gbdt.ts';
import { synthetic } from './helpers.ts';

describe('gbdt', () => {
  it('stops early on validation log-loss and keeps the best round', async () => {
    const train = synthetic(1500, 21, { features: 12 });
    const validation = synthetic(800, 22, { features: 12 });
    const engine = gbdtFactory.create({
      nRounds: 400,
      learningRate: 0.3,
      maxDepth: 6,
      minSamplesLeaf: 1,
      earlyStoppingRounds: 15,
    }) as GbdtEngine;
    await engine.fit(train.X, train.y, { seed: 3, validation });
    const state = engine.toJSON().state as GbdtState;
    expect(state.roundsTrained).toBeLessThan(400);
    const losses = state.validationLoss;
    expect(losses).toHaveLength(state.roundsTrained);
    const best = losses.indexOf(losses.reduce((a, b) => Math.min(a, b)));
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

  it('tracks every training row through every tree, sampled and held out alike', async () => {
    // The booster keeps e^-margin per row and scales it by each tree's leaf; rows left out of
    // a round's sample are walked. If either update went wrong, the recorded training loss
    // would no longer be the loss of the model's own scores on those rows.
    const data = synthetic(3000, 8, { features: 10 });
    for (const subsample of [0.5, 1]) {
      const engine = gbdtFactory.create({ nRounds: 60, subsample, maxDepth: 3, learningRate: 0.3 }) as GbdtEngine;
      await engine.fit(data.X, data.y, { seed: 5 });
      const state = engine.toJSON().state as GbdtState;
      const m = engine.predictMargin(data.X);
      let loss = 0;
      for (let i = 0; i < m.length; i++)
        loss += data.y[i] === 1 ? Math.log1p(Math.exp(-m[i])) : Math.log1p(Math.exp(m[i]));
      loss /= m.length;
      expect(state.trainingLoss).toBeDefined();
      expect(Math.abs(state.trainingLoss! - loss)).toBeLessThan(1e-9);
      expect(state.trainingLoss!).toBeLessThan(0.6);
    }
  });
});
