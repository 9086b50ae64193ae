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
 * A RawTable from numeric and text columns (cells, or a column already built); each row's "line" is its 1-based row number in
 * what was read, so messages point at the row.
 */
export function typedTable(
  file: string,
  header: string[],
  rows: number,
  text: Map<string, readonly (string | null)[] | RawColumn>,
  numbers: Map<string, Float64Array>,
): RawTable {
  const columns = new Map<string, RawColumn>();
  for (const h of header) {
    const n = numbers.get(h);
    const t = text.get(h)!;
    columns.set(h, n ? new RawColumn(rows, n, null, []) : t instanceof RawColumn ? t : RawColumn.from(t));
  }
  const lines = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) lines[i] = i + 1;
  return { file, header, rows, columns, lines };
}
