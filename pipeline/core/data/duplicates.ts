/**
 * Duplicate rows: rows identical in every feature and the target. A file repeated
 * several times puts copies of the same rows on both sides of the split, so test metrics
 * measure memory, not generalisation (leakage between splits). Rows are compared by a
 * 53-bit hash of their cells, which keeps millions of rows cheap; a collision can only
 * over-count by a row in billions of pairs.
 */
import type { RawTable } from './table.ts';

export interface DuplicateCheck {
  /** Rows of the data file that repeat an earlier row. */
  duplicate_rows: number;
  /** Test rows (a split, or the holdout file). */
  test_rows: number;
  /** Test rows identical to a training row. */
  test_rows_in_train: number;
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

/** One hash per row over `columns` (the features and the target): equal rows hash equal. */
export function rowHashes(table: RawTable, columns: readonly string[]): Float64Array {
  const h1 = new Uint32Array(table.rows).fill(0x811c9dc5);
  const h2 = new Uint32Array(table.rows).fill(0x01000193);
  for (const name of columns) {
    const col = table.columns.get(name);
    if (!col) continue;
    for (let i = 0; i < table.rows; i++) {
      let a = h1[i];
      let b = h2[i];
      const n = col.number(i);
      if (!Number.isNaN(n)) {
        bits[0] = n;
        a = Math.imul(a ^ words[0], 16777619);
        b = Math.imul(b ^ words[1], 2246822519);
        a = Math.imul(a ^ words[1], 16777619);
      } else {
        const text = col.get(i);
        if (text === null) a = Math.imul(a ^ 0x9e3779b9, 16777619);
        else
          for (let k = 0; k < text.length; k++) {
            const c = text.charCodeAt(k);
            a = Math.imul(a ^ c, 16777619);
            b = Math.imul(b ^ c, 2246822519);
          }
      }
      // A separator, so ("ab", "c") and ("a", "bc") differ.
      h1[i] = Math.imul(a ^ 0x1f, 16777619);
      h2[i] = Math.imul(b ^ 0x1f, 2246822519);
    }
  }
  const out = new Float64Array(table.rows);
  for (let i = 0; i < table.rows; i++) out[i] = (h1[i] >>> 0) * 2 ** 21 + ((h2[i] >>> 0) & 0x1fffff);
  return out;
}

/** Duplicates in the data file, and test rows that are copies of training rows. */
export function duplicateCheck(
  hashes: Float64Array,
  trainRows: ArrayLike<number>,
  testHashes: ArrayLike<number>,
): DuplicateCheck {
  const seen = new Set<number>();
  let duplicates = 0;
  for (const h of hashes) {
    if (seen.has(h)) duplicates++;
    else seen.add(h);
  }
  const train = new Set<number>();
  for (let k = 0; k < trainRows.length; k++) train.add(hashes[trainRows[k]]);
  let leaked = 0;
  for (let k = 0; k < testHashes.length; k++) if (train.has(testHashes[k])) leaked++;
  return { duplicate_rows: duplicates, test_rows: testHashes.length, test_rows_in_train: leaked };
}

/** The warning of training and the report, or null when there is nothing to say. */
export function duplicateWarning(d: DuplicateCheck, file: string, rows: number): string | null {
  if (d.duplicate_rows === 0 && d.test_rows_in_train === 0) return null;
  const share = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`;
  const dup =
    d.duplicate_rows > 0
      ? `${file} has ${d.duplicate_rows.toLocaleString('en-US')} duplicate rows (${share(d.duplicate_rows, rows)} of ${rows.toLocaleString('en-US')}: identical in every feature and the target)`
      : `${file} has no duplicate rows`;
  const leak =
    d.test_rows_in_train > 0
      ? `; ${d.test_rows_in_train.toLocaleString('en-US')} of the ${d.test_rows.toLocaleString('en-US')} test rows (${share(d.test_rows_in_train, d.test_rows)}) are copies of training rows, so the test metrics overstate how the model does on new cases (leakage between splits). Remove the duplicates unless they are genuinely repeated cases`
      : '';
  return `${dup}${leak}.`;
}
