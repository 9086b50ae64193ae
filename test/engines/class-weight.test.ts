import { describe, expect, it } from 'vitest';
import { balancedClassWeights, classWeightsOf, rowWeights } from '../../pipeline/core/engines/class-weight.ts';
import { forestFactory } from '../../pipeline/core/engines/forest.ts';
import { logisticFactory } from '../../pipeline/core/engines/logistic.ts';
import { canonicalJson } from '../../pipeline/core/common/canonical-json.ts';
import { synthetic } from './helpers.ts';

describe('class weights', () => {
  it('"balanced" gives both classes the same total weight, times any sample weights', () => {
    const y = Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0]);
    const w = rowWeights(y, balancedClassWeights(y));
    const total = (label: number): number => w.reduce((s, v, i) => s + (y[i] === label ? v : 0), 0);
    expect(total(1)).toBeCloseTo(4, 12);
    expect(total(0)).toBeCloseTo(4, 12);
    const sample = Float64Array.from(y, (_, i) => i + 1);
    expect(Array.from(rowWeights(y, balancedClassWeights(y), sample))).toEqual(Array.from(w, (v, i) => v * (i + 1)));
    // A class without rows keeps weight 1 (the other still gets n / 2 per class); "none" weighs nothing.
    expect(balancedClassWeights(new Uint8Array(3))).toEqual({ positive: 1, negative: 0.5 });
    expect(Array.from(rowWeights(y, classWeightsOf('none', y), sample))).toEqual(Array.from(sample));
  });

  it.each([
    ['logistic', logisticFactory, {}],
    ['forest', forestFactory, { nTrees: 10 }],
  ] as const)(
    '%s: classWeight "balanced" fits the same model as the balanced weights given as sample weights',
    async (_, factory, params) => {
      const data = synthetic(1500, 31);
      const fit = async (extra: Record<string, string>, sampleWeight?: Float64Array): Promise<string> => {
        const engine = factory.create({ ...params, ...extra });
        await engine.fit(data.X, data.y, { seed: 2, workers: 1, sampleWeight });
        return canonicalJson(engine.toJSON().state);
      };
      const balanced = await fit({ classWeight: 'balanced' });
      expect(balanced).not.toBe(await fit({}));
      expect(balanced).toBe(await fit({}, rowWeights(data.y, balancedClassWeights(data.y))));
    },
  );
});
