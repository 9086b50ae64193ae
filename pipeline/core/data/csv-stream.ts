/**
 * Reads a CSV in chunks of rows so scoring a file of any size runs in constant memory.
 * Each chunk is a RawTable whose `firstLine` keeps error messages pointing at the
 * right line of the file.
 */
import { createReadStream, existsSync } from 'node:fs';
import { parse } from 'csv-parse';
import { inputError } from '../common/errors.ts';
import { isMissingText, type RawTable } from './csv.ts';

export async function* readCsvChunks(file: string, chunkRows = 5000): AsyncGenerator<RawTable> {
  if (!existsSync(file)) throw inputError(`data file not found: ${file}`);
  const parser = createReadStream(file).pipe(parse({ bom: true, skip_empty_lines: true }));
  let header: string[] | null = null;
  let rows: string[][] = [];
  let line = 2;
  const flush = (): RawTable => {
    const columns = new Map<string, (string | null)[]>();
    header!.forEach((h, c) => columns.set(h, rows.map((r) => (r[c] === undefined || isMissingText(r[c]) ? null : r[c].trim()))));
    const t: RawTable = { file, header: header!, rows: rows.length, columns, firstLine: line };
    line += rows.length;
    rows = [];
    return t;
  };
  try {
    for await (const rec of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = rec.map((h) => h.trim());
        continue;
      }
      rows.push(rec);
      if (rows.length >= chunkRows) yield flush();
    }
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw inputError(`${file}: malformed CSV${err.lines ? ` at line ${err.lines}` : ''}: ${err.message}`);
  }
  if (!header) throw inputError(`${file}: the file is empty (expected a header row and data rows)`);
  if (rows.length > 0 || line === 2) {
    if (rows.length === 0) throw inputError(`${file}: has a header but no data rows`);
    yield flush();
  }
}
