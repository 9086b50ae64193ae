/**
 * The row digest as it was before it wrote the rows' text into a buffer: one array and one
 * JSON.stringify per row. Kept as the oracle the buffered digest must agree with.
 */
import { createHash } from 'node:crypto';
import type { RawColumn, RawTable } from '../../pipeline/core/data/table.ts';
import { parseNumber } from '../../pipeline/core/data/values.ts';

export function referenceRowsDigest(table: RawTable): string {
  const h = createHash('sha256');
  h.update('credit-risk-gitops/rows/v1\n');
  h.update(JSON.stringify(table.header) + '\n');
  const nums = table.header.map((c) => table.columns.get(c)!.plainNumbers() ?? numbersIn(table.columns.get(c)!));
  const cols = table.header.map((c, i) => (nums[i] ? null : table.columns.get(c)!.toArray()));
  const row: (string | null)[] = new Array(cols.length);
  for (let r = 0; r < table.rows; r++) {
    for (let c = 0; c < cols.length; c++) {
      const n = nums[c];
      row[c] = n ? (Number.isNaN(n[r]) ? null : String(n[r])) : cols[c]![r];
    }
    h.update(JSON.stringify(row) + '\n');
  }
  return h.digest('hex');
}

function numbersIn(column: RawColumn): Float64Array | null {
  const out = new Float64Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const v = column.get(i);
    if (v === null) out[i] = NaN;
    else if (!Number.isFinite((out[i] = parseNumber(v)))) return null;
  }
  return out;
}
