/**
 * Tables from typed sources (Parquet, PostgreSQL): a column the source holds as numbers
 * stays those numbers (a RawColumn of plain numbers, NaN = missing), which schema
 * inference, the Dataset and the digest read without making a string per cell; any other
 * column is its text, under the same contract as a CSV's cells (trimmed, missing tokens null).
 */
import { isMissingText, RawColumn, type RawTable } from './table.ts';

/** A typed source's cell as the CSV contract keeps it: trimmed text, or null when missing. */
export function cellText(v: string): string | null {
  return isMissingText(v) ? null : v.trim();
}

/**
 * A RawTable from numeric and text columns; each row's "line" is its 1-based row number in
 * what was read, so messages point at the row.
 */
export function typedTable(
  file: string,
  header: string[],
  rows: number,
  text: Map<string, (string | null)[]>,
  numbers: Map<string, Float64Array>,
): RawTable {
  const columns = new Map<string, RawColumn>();
  for (const h of header) {
    const n = numbers.get(h);
    columns.set(h, n ? new RawColumn(rows, n, null, []) : RawColumn.from(text.get(h)!));
  }
  return { file, header, rows, columns, lines: Uint32Array.from({ length: rows }, (_, i) => i + 1) };
}
