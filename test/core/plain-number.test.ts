/** A cell is kept as a number exactly when String() of its number gives its text back, fast path or not. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RawColumn } from '../../pipeline/core/data/table.ts';

/** The rule as it was written before the fast path: convert, convert back, compare. */
function reference(v: string): number {
  const c = v.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 45)) return NaN;
  const x = Number(v);
  return Number.isFinite(x) && String(x) === v ? x : NaN;
}

// Texts built from the characters numbers are made of, so most are near-numbers.
const numberish = fc
  .array(fc.constantFrom('0', '1', '5', '9', '.', '-', 'e', '+', '00', '000000', '123456789'), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => parts.join(''));
const written = fc.oneof(
  fc.double({ noNaN: true }).map(String),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }).map((x) => x.toFixed(4)),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
  fc.constantFrom(
    '0',
    '-0',
    '0.000001',
    '0.0000001',
    '1e-7',
    '0.1',
    '-0.5',
    '1.50',
    '0042',
    '1.',
    '-',
    '999999999999999',
    '9999999999999999',
    '0.30000000000000004',
    '123456789012345.6',
    '5e-324',
    'Infinity',
  ),
);

describe('plain numbers', () => {
  it('keeps a cell as a number exactly as converting it back to text decides', () => {
    fc.assert(
      fc.property(fc.oneof(numberish, written, fc.string()), (v) => {
        const col = RawColumn.from([v]);
        const expected = reference(v);
        expect(col.isText(0)).toBe(Number.isNaN(expected));
        expect(Object.is(col.number(0), Number.isNaN(expected) ? NaN : expected)).toBe(true);
        expect(col.get(0)).toBe(v);
      }),
      { numRuns: 20_000 },
    );
  });
});
