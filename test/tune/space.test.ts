import { describe, expect, it } from 'vitest';
import { ENGINES, engineFactory } from '../../pipeline/core/engines/index.ts';
import { randomParams, tpeParams, type Observation } from '../../pipeline/core/tuning/sampler.ts';
import type { SearchSpace } from '../../pipeline/core/engines/engine.ts';
import { parseSpace, validateSpace } from '../../pipeline/core/tuning/space.ts';
import { parseSampling, resampleRows } from '../../pipeline/core/tuning/imbalance.ts';

const space: SearchSpace = parseSpace(
  {
    C: { low: 0.001, high: 100, log: true },
    maxIter: { low: 10, high: 60 },
    classWeight: { values: ['none', 'balanced'] },
    tol: 1e-6,
  },
  'test',
);

describe('search spaces', () => {
  it('parses ranges, choices and fixed values', () => {
    expect(space.C).toEqual({ type: 'float', low: 0.001, high: 100, log: true });
    expect(space.maxIter).toEqual({ type: 'int', low: 10, high: 60 });
    expect(space.tol).toEqual({ type: 'fixed', value: 1e-6 });
  });

  it("validates against the engine's paramSpec, naming the parameter", () => {
    const logistic = engineFactory('logistic');
    expect(() => validateSpace(logistic, space, 'test')).not.toThrow();
    expect(() => validateSpace(logistic, parseSpace({ Cee: { low: 1, high: 2 } }, 'f.json'), 'f.json')).toThrow(
      /f.json: engine "logistic" parameter "Cee" does not exist/,
    );
    expect(() => validateSpace(logistic, parseSpace({ C: { low: 0, high: 2 } }, 'f.json'), 'f.json')).toThrow(
      /"C" must be ≥ 0.000001/,
    );
    expect(() => validateSpace(logistic, parseSpace({ classWeight: { values: ['none', 'heavy'] } }, 'f'), 'f')).toThrow(
      /must be one of none, balanced/,
    );
    expect(() => validateSpace(logistic, parseSpace({ maxIter: { low: 1.5, high: 9.5 } }, 'f'), 'f')).toThrow(
      /whole number/,
    );
    expect(() => parseSpace({ C: { low: 5, high: 1 } }, 'f')).toThrow(/"low" \(5\) is above "high" \(1\)/);
    expect(() => parseSpace({ C: { low: 0, high: 1, log: true } }, 'f')).toThrow(/log-scale range needs "low" > 0/);
  });

  it('has a default space for every registered engine that its paramSpec accepts', () => {
    for (const [name, factory] of ENGINES) {
      expect(factory.searchSpace, name).toBeDefined();
      expect(() => validateSpace(factory, factory.searchSpace!, 'default')).not.toThrow();
    }
  });
});

describe('random search', () => {
  it("draws trial i's parameters from (seed, i) alone, inside the space", () => {
    for (let i = 0; i < 50; i++) {
      const p = randomParams(space, 11, i);
      expect(p).toEqual(randomParams(space, 11, i));
      expect(p.C as number).toBeGreaterThanOrEqual(0.001);
      expect(p.C as number).toBeLessThanOrEqual(100);
      expect(Number.isInteger(p.maxIter)).toBe(true);
      expect(p.maxIter as number).toBeGreaterThanOrEqual(10);
      expect(p.maxIter as number).toBeLessThanOrEqual(60);
      expect(['none', 'balanced']).toContain(p.classWeight);
      expect(p.tol).toBe(1e-6);
    }
    expect(randomParams(space, 11, 3)).not.toEqual(randomParams(space, 11, 4));
    expect(randomParams(space, 11, 3)).not.toEqual(randomParams(space, 12, 3));
  });

  it('covers a log range evenly in log space', () => {
    const cs = Array.from({ length: 400 }, (_, i) => randomParams(space, 5, i).C as number);
    const below1 = cs.filter((c) => c < 1).length;
    // log10 range −3..2: 60 % of the mass lies below 1.
    expect(below1 / cs.length).toBeGreaterThan(0.5);
    expect(below1 / cs.length).toBeLessThan(0.7);
  });
});

describe('TPE', () => {
  it('is deterministic, stays in the space, and concentrates near good trials', () => {
    const s = parseSpace({ C: { low: 0.001, high: 100, log: true } }, 't');
    // A synthetic objective peaked at C = 1.
    const history: Observation[] = [];
    for (let t = 0; t < 40; t++) {
      const p = tpeParams(s, 3, t, history);
      expect(p).toEqual(tpeParams(s, 3, t, history));
      const c = p.C as number;
      expect(c).toBeGreaterThanOrEqual(0.001);
      expect(c).toBeLessThanOrEqual(100);
      history.push({ params: p, score: -Math.abs(Math.log10(c)) });
    }
    const late = history.slice(25).map((h) => Math.abs(Math.log10(h.params.C as number)));
    const early = history.slice(0, 10).map((h) => Math.abs(Math.log10(h.params.C as number)));
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(late)).toBeLessThan(mean(early));
  });
});

describe('imbalance options', () => {
  const y = Uint8Array.from({ length: 200 }, (_, i) => (i % 20 === 0 ? 1 : 0));
  it('undersamples negatives and oversamples positives per class, deterministically', () => {
    const under = resampleRows(y, parseSampling('undersample:2'), 1);
    expect(Array.from(under).filter((i) => y[i] === 1).length).toBe(10);
    expect(Array.from(under).filter((i) => y[i] === 0).length).toBe(20);
    expect(Array.from(under)).toEqual(Array.from(resampleRows(y, parseSampling('undersample:2'), 1)));
    const over = resampleRows(y, parseSampling('oversample'), 1);
    expect(Array.from(over).filter((i) => y[i] === 1).length).toBe(190);
    expect(Array.from(over).filter((i) => y[i] === 0).length).toBe(190);
    expect(resampleRows(y, parseSampling('none'), 1).length).toBe(200);
    expect(() => parseSampling('smote')).toThrow(/none, undersample/);
    expect(() => parseSampling('undersample:0')).toThrow(/> 0/);
  });
});
