import { describe, expect, it } from 'vitest';
import type { EngineFactory } from '../../pipeline/core/engines/engine.ts';
import { forestFactory } from '../../pipeline/core/engines/forest.ts';
import { gbdtFactory } from '../../pipeline/core/engines/gbdt.ts';
import { logisticFactory } from '../../pipeline/core/engines/logistic.ts';
import { mlRandomForestFactory } from '../../pipeline/core/engines/ml-random-forest.ts';
import { canonicalJson } from '../../pipeline/core/common/canonical-json.ts';
import { rocAuc, subset, synthetic } from './helpers.ts';

const train = synthetic(4000, 1, { missing: 0.1 });
const test = synthetic(2000, 2, { missing: 0.1 });

type Case = [string, EngineFactory, Record<string, number | string | boolean>];
const treeEngines: Case[] = [
  ['forest', forestFactory, { nTrees: 60 }],
  ['gbdt', gbdtFactory, {}],
];

describe.each<Case>(treeEngines)('%s', (_name, factory, params) => {
  it('recovers a known signal', async () => {
    const engine = factory.create(params);
    await engine.fit(train.X, train.y, { seed: 1, workers: 1 });
    expect(rocAuc(test.y, engine.predictProba(test.X))).toBeGreaterThan(0.9);
    const imp = engine.featureImportance();
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // The three informative columns carry most of the gain.
    expect(imp[0] + imp[1] + imp[2]).toBeGreaterThan(0.6);
  });
});

describe.each<Case>([
  ...treeEngines,
  ['logistic', logisticFactory, {}],
  ['ml-random-forest', mlRandomForestFactory, { nEstimators: 3, maxDepth: 4 }],
])('%s', (name, factory, params) => {
  it('restores from its stored form (canonical JSON, as in a bundle) with identical predictions, and is deterministic', async () => {
    // Logistic regression reads imputed columns; ml-random-forest's split search is
    // quadratic in the rows, so it fits a few.
    const rows =
      name === 'logistic' ? synthetic(4000, 1) : name === 'ml-random-forest' ? subset(train, range(600)) : train;
    const a = factory.create(params);
    await a.fit(rows.X, rows.y, { seed: 9, workers: 1 });
    const json = canonicalJson(a.toJSON());
    const restored = factory.fromJSON(JSON.parse(json));
    const X = name === 'logistic' ? synthetic(500, 2).X : test.X;
    const p = a.predictProba(X);
    expect(p.every(Number.isFinite)).toBe(true);
    expect(Array.from(restored.predictProba(X))).toEqual(Array.from(p));
    // The package drops its leaves' split fields when it loads a forest, so its state is not re-stored alike.
    if (name !== 'ml-random-forest') expect(canonicalJson(restored.toJSON())).toBe(json);
    const b = factory.create(params);
    await b.fit(rows.X, rows.y, { seed: 9, workers: 1 });
    expect(canonicalJson(b.toJSON())).toBe(json);
  });
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('forest', () => {
  it('reports progress and an out-of-bag AUC', async () => {
    const seen: number[] = [];
    const engine = forestFactory.create({ nTrees: 30 });
    await engine.fit(train.X, train.y, { seed: 2, workers: 1, onProgress: (done, total) => seen.push(done / total) });
    expect(seen.at(-1)).toBe(1);
    const state = engine.toJSON().state as { oobAuc: number; oobRows: number };
    expect(state.oobAuc).toBeGreaterThan(0.85);
    expect(state.oobRows).toBeGreaterThan(3900);
  });
});
