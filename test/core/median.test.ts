/** Selection gives the median a sorted copy gives, and the summaries built on it are unchanged. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as aq from 'arquero';
import { medianInPlace, medianOf, observedValues } from '../../pipeline/core/common/median.ts';
import { summarizeNumeric } from '../../pipeline/core/data/summary.ts';

/** The median as it was computed before selection: sort a copy, interpolate between the middle values. */
function sortedMedian(values: number[]): number | null {
  const s = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const pos = (s.length - 1) * 0.5;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

// Few distinct values (ties, zeros of both signs), NaN as missing, and the odd large double.
const cell = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(NaN, -0, 0.1, 1e300, -1e-300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

describe('median by selection', () => {
  it('equals the sorted median on any column, and leaves the column itself as it was', () => {
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 300 }), (values) => {
        const column = Float64Array.from(values);
        const before = Array.from(column);
        expect(medianInPlace(observedValues(column))).toBe(sortedMedian(values));
        expect(Array.from(column)).toEqual(before);
      }),
      { numRuns: 2000 },
    );
  });

  it('medianOf equals the sorted median on long columns, bracketed from a sample or not, and never reorders them', () => {
    // Long columns from a seed: ties, NaN, runs in order, both zeros, wide doubles.
    const column = (seed: number, n: number, kind: number): Float64Array => {
      let x = seed >>> 0 || 1;
      const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
      return Float64Array.from({ length: n }, (_, i) => {
        const u = next();
        if (u < 0.05 * kind) return NaN;
        if (kind === 0) return Math.floor(u * 7) - 3;
        if (kind === 1) return i;
        if (kind === 2) return u < 0.5 ? -0 : 0;
        return (u - 0.5) * 1e6 * (i % 3 === 0 ? 1e-300 : 1);
      });
    };
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 0, max: 3 }), (seed, n, kind) => {
        const values = column(seed, n, kind);
        const before = Buffer.from(values.slice().buffer);
        expect(medianOf(values)).toBe(sortedMedian(Array.from(values)));
        expect(Buffer.from(values.buffer).equals(before)).toBe(true);
      }),
      { numRuns: 40 },
    );
    // A sample unlike the column (every tenth value huge, where the sample is drawn) misses the middle.
    const tricky = Float64Array.from({ length: 40_960 }, (_, i) => (i % 10 === 0 ? 1e9 : i % 97));
    expect(medianOf(tricky)).toBe(sortedMedian(Array.from(tricky)));
    expect(medianOf(new Float64Array(50_000).fill(NaN))).toBeNull();
  });

  it('stays linear on sorted, reversed and constant columns', () => {
    const n = 200_001;
    const up = Float64Array.from({ length: n }, (_, i) => i);
    expect(medianInPlace(up.slice())).toBe(100_000);
    expect(medianInPlace(up.slice().reverse())).toBe(100_000);
    expect(medianInPlace(new Float64Array(n).fill(7))).toBe(7);
    expect(medianInPlace(new Float64Array(0))).toBeNull();
  });

  it('summarizeNumeric gives the figures arquero’s rollup gave, to the bit (median: arquero’s own)', () => {
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 200 }), (values) => {
        const column = Float64Array.from(values);
        const [s] = aq
          .table({ v: column })
          .rollup({
            valid: aq.op.valid('v'),
            mean: aq.op.mean('v'),
            sd: aq.op.stdev('v'),
            min: aq.op.min('v'),
            max: aq.op.max('v'),
            median: aq.op.median('v'),
          })
          .objects() as Record<string, number | undefined>[];
        const valid = s.valid ?? 0;
        const num = (x: number | undefined): number | null =>
          valid > 0 && x !== undefined && Number.isFinite(x) ? x : null;
        const got = summarizeNumeric(column);
        expect(got.missing).toBe(column.length - valid);
        expect(got.mean).toBe(num(s.mean));
        expect(got.sd).toBe(valid > 1 ? num(s.sd) : 0);
        expect(got.min).toBe(num(s.min));
        expect(got.max).toBe(num(s.max));
        // The median as the schema's JSON stores it: a zero may lose its sign (arquero returns a lone -0
        // as it is), and the middle of two extreme doubles overflows to Infinity (arquero's own
        // interpolation gives it too, summarized as null): JSON writes 0 and null.
        expect(JSON.stringify(got.median)).toBe(JSON.stringify(num(s.median)));
      }),
      { numRuns: 1000 },
    );
  });
});
