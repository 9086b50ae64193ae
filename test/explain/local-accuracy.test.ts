import { beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../pipeline/core/training/train.ts';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';
import type { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import { recordsToDataset, subset, type Dataset } from '../../pipeline/core/data/dataset.ts';
import { explainRows, globalImportance, referenceFrom, shapValues } from '../../pipeline/core/explain/index.ts';
import { ROOT } from '../helpers/cli.ts';
import type { TreeEnsemble } from '../../pipeline/core/engines/engine.ts';
import { ensembleShap, treeExpectation } from '../../pipeline/core/explain/treeshap.ts';
import { attributionOf } from '../../pipeline/core/explain/index.ts';
import { bruteForceShap } from './brute-force.ts';

const engines: [string, Record<string, number | string | boolean>][] = [
  ['logistic', {}],
  ['gbdt', { nRounds: 60, maxDepth: 3 }],
  ['forest', { nTrees: 15, maxDepth: 8 }],
];
const fitted = new Map<string, { model: CreditModel; test: Dataset }>();

beforeAll(async () => {
  for (const [name, params] of engines) {
    const config = defaultConfig();
    config.engine = { name, params };
    const r = await train({ config, baseDir: ROOT, workers: 1 });
    fitted.set(name, { model: r.model, test: r.testSet });
  }
});

function record(ds: Dataset, r: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of ds.numeric) out[k] = Number.isNaN(v[r]) ? null : v[r];
  for (const [k, v] of ds.categorical) out[k] = v[r];
  return out;
}

describe.each(engines.map(([e]) => e))('explanations of a real %s bundle', (engine) => {
  it('hold local accuracy on every test row: base + Σ contributions = margin, and match the model probability', () => {
    const { model, test } = fitted.get(engine)!;
    const s = shapValues(model, test);
    const p = model.score(test);
    expect(s.features).toEqual(model.bundle.schema.features.map((f) => f.name));
    expect(s.output).toBe(engine === 'forest' ? 'probability' : 'log_odds');
    for (let i = 0; i < test.rows; i++) {
      const sum = s.values[i].reduce((a, b) => a + b, s.base);
      expect(Math.abs(sum - s.margin[i])).toBeLessThan(1e-9);
      const prob = s.output === 'log_odds' ? 1 / (1 + Math.exp(-s.margin[i])) : s.margin[i];
      expect(prob).toBeCloseTo(p[i], 12);
    }
  });

  it('explains one JSON record (as the service does) exactly like the same row of a data set, with reasons toward default', () => {
    const { model, test } = fitted.get(engine)!;
    const p = model.score(test);
    const risky = p.indexOf(p.reduce((a, b) => Math.max(a, b)));
    const [fromRows] = explainRows(model, test, [risky], { reference: referenceFrom(test) });
    const [fromRecord] = explainRows(model, recordsToDataset([record(test, risky)], model.bundle.schema));
    expect(fromRecord.margin).toBeCloseTo(fromRows.margin, 12);
    expect(fromRecord.contributions.map((c) => c.feature)).toEqual(fromRows.contributions.map((c) => c.feature));
    fromRecord.contributions.forEach((c, k) =>
      expect(c.contribution).toBeCloseTo(fromRows.contributions[k].contribution, 12),
    );
    // Sorted by size, and the reasons are the positive ones, strongest first.
    const sizes = fromRows.contributions.map((c) => Math.abs(c.contribution));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(fromRows.reason_codes.length).toBeGreaterThan(0);
    const top = fromRows.contributions
      .filter((c) => c.contribution > 0)
      .sort((a, b) => b.contribution - a.contribution)[0];
    expect(fromRows.reason_codes[0]).toContain(top.feature);
    expect(fromRecord.probability).toBeCloseTo(p[risky], 12);
  });
});

describe("TreeSHAP on the engines' own compact trees", () => {
  it.each(['gbdt', 'forest'])('equals brute-force Shapley values for the first trees of a real %s', (engine) => {
    const { model, test } = fitted.get(engine)!;
    const a = attributionOf(model);
    if (a?.kind !== 'tree-ensemble') throw new Error(`${engine} declares no tree ensemble`);
    const ens = a.ensemble;
    // Two real trees and two rows keep the 2^13-coalition brute force quick.
    const part: TreeEnsemble = { trees: ens.trees.slice(0, 2), scale: ens.scale, base: 0 };
    const X = model.encode(test);
    const M = X.columns.length;
    for (const r of [0, 1]) {
      const row = Float64Array.from(X.columns, (c) => c[r]);
      const fast = ensembleShap(part, row, M);
      const brute = bruteForceShap(
        part.trees.map((t) => ({ t, scale: part.scale })),
        row,
        M,
      );
      for (let f = 0; f < M; f++) expect(fast[f]).toBeCloseTo(brute[f], 10);
    }
    expect(Number.isFinite(treeExpectation(part.trees[0]))).toBe(true);
  });
});

describe('global importance', () => {
  it('ranks by mean |SHAP| and measures permutation importance reproducibly', () => {
    const { model, test: all } = fitted.get('gbdt')!;
    const test = subset(
      all,
      Array.from({ length: 300 }, (_, i) => i),
    );
    const a = globalImportance(model, test, { repeats: 2, seed: 3 });
    const b = globalImportance(model, test, { repeats: 2, seed: 3 });
    expect(a).toEqual(b);
    expect(a.map((r) => r.mean_abs_shap)).toEqual([...a.map((r) => r.mean_abs_shap)].sort((x, y) => y - x));
    // A feature the model leans on loses AUC when shuffled.
    expect(a.reduce((m, r) => Math.max(m, r.permutation!), -Infinity)).toBeGreaterThan(0.01);
  });

  it('refuses rows outside the data set with a clear message', () => {
    const { model, test } = fitted.get('logistic')!;
    expect(() => explainRows(model, test, [test.rows])).toThrow(/row \d+ is outside the data set/);
  });
});
