/**
 * CSV in: csv-parse does the parsing (quotes, BOM, CRLF); we add the checks a user
 * needs — missing/empty file, ragged rows, duplicate headers — with file and row named.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { inputError } from '../common/errors.ts';

/** Column-major table of raw strings; `null` is a missing value. */
export interface RawTable {
  file: string;
  header: string[];
  rows: number;
  columns: Map<string, (string | null)[]>;
  /** Line in the file of the first data row (2 unless the table is a chunk of a stream). */
  firstLine?: number;
}

/** Field values that mean "missing" in the wild. */
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', '?']);

export function isMissingText(v: string): boolean {
  return MISSING.has(v.trim());
}

export function readCsvFile(file: string): RawTable {
  if (!existsSync(file)) throw inputError(`data file not found: ${file}`);
  if (statSync(file).isDirectory()) throw inputError(`expected a CSV file but got a folder: ${file}`);
  return parseCsvText(readFileSync(file, 'utf8'), file);
}

export function parseCsvText(text: string, file: string): RawTable {
  if (text.trim().length === 0) throw inputError(`${file}: the file is empty (expected a header row and data rows)`);
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: false }) as string[][];
  } catch (e) {
    const err = e as Error & { lines?: number; code?: string };
    const where = err.lines ? ` at line ${err.lines}` : '';
    throw inputError(`${file}: malformed CSV${where}: ${err.message.replace(/^Invalid Record Length: /, '')}`);
  }
  if (records.length === 0) throw inputError(`${file}: the file is empty`);
  const header = records[0].map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') throw inputError(`${file}: header column ${i + 1} has no name`);
    if (seen.has(h)) throw inputError(`${file}: column "${h}" appears twice in the header`);
    seen.add(h);
  });
  if (records.length === 1) throw inputError(`${file}: has a header but no data rows`);
  const columns = new Map<string, (string | null)[]>();
  for (const h of header) columns.set(h, new Array(records.length - 1));
  const cols = header.map((h) => columns.get(h)!);
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    for (let c = 0; c < header.length; c++) {
      const v = rec[c];
      cols[c][r - 1] = v === undefined || isMissingText(v) ? null : v.trim();
    }
  }
  return { file, header, rows: records.length - 1, columns };
}
