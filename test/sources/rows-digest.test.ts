/** The buffered row digest hashes exactly the text the per-row JSON digest hashed. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rowsDigest } from '../../pipeline/core/data/rows-digest.ts';
import { RawColumn, type RawTable } from '../../pipeline/core/data/table.ts';
import { typedTable } from '../../pipeline/core/data/typed-columns.ts';
import { referenceRowsDigest } from './rows-digest-reference.ts';

// Integers near every boundary the digit writer has, zeros of both signs, decimals, exponents.
const number = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(NaN, -0, 0.1, -2.5, 1e21, 1e-7, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 2 ** 53 + 2, 1e300, 5e-324),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).map((k) => k * 1e6),
);
// Cells as a CSV keeps them: numbers written many ways, unicode, quotes, controls, missing.
const text = fc.oneof(
  fc.constantFrom(
    'yes',
    'no',
    '178',
    '178.0',
    '1e3',
    '-0',
    'Ünïcödé',
    '"quoted"',
    'back\\slash',
    'tab\there',
    '\u0001\u007f',
    '😀',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constant(null),
);

function table(numbers: number[][], texts: (string | null)[][], rows: number): RawTable {
  const header = [...numbers.map((_, i) => `n${i}`), ...texts.map((_, i) => `t${i}`)];
  return typedTable(
    'test',
    header,
    rows,
    new Map(texts.map((t, i) => [`t${i}`, t.map((v) => (v === null ? null : v.trim() || null))])),
    new Map(numbers.map((n, i) => [`n${i}`, Float64Array.from(n)])),
  );
}

describe('row digest', () => {
  it('equals the per-row JSON digest on typed and text columns of any values', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 40 })
          .chain((rows) =>
            fc.tuple(
              fc.constant(rows),
              fc.array(fc.array(number, { minLength: rows, maxLength: rows }), { maxLength: 3 }),
              fc.array(fc.array(text, { minLength: rows, maxLength: rows }), { maxLength: 3 }),
            ),
          ),
        ([rows, numbers, texts]) => {
          const t = table(numbers, texts, rows);
          expect(rowsDigest(t)).toBe(referenceRowsDigest(t));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('agrees across its buffer boundary, on long text and on more distinct values than it remembers', () => {
    const rows = 30_000;
    const long = 'x'.repeat(70_000);
    const t: RawTable = {
      file: 'test',
      header: ['n', 'free', 'long'],
      rows,
      columns: new Map([
        [
          'n',
          new RawColumn(
            rows,
            Float64Array.from({ length: rows }, (_, i) => (i % 3 ? i * 7.25 : -i)),
            null,
            [],
          ),
        ],
        ['free', RawColumn.from(Array.from({ length: rows }, (_, i) => `id-${i}-é`))],
        ['long', RawColumn.from(Array.from({ length: rows }, (_, i) => (i % 1000 === 0 ? `${long}${i}` : 'short')))],
      ]),
      lines: Uint32Array.from({ length: rows }, (_, i) => i + 1),
    };
    expect(rowsDigest(t)).toBe(referenceRowsDigest(t));
  });
});
