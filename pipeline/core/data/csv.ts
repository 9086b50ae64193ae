/**
 * The CSV contract, the same for every path that reads CSV (training, scoring, evaluation,
 * drift, ingestion, the service): csv-parse does the parsing (quotes, BOM, CRLF, blank
 * lines); this module adds the rules, each refusal naming the source and the line.
 *  - The bytes are UTF-8, unless the user says the text is Latin-1 (`latin1`): bytes that
 *    are not UTF-8 are refused, never decoded into replacement characters.
 *  - The first record is the header: every column has a name, and no name appears twice.
 *  - Every record has as many fields as the header (a short or long row is refused).
 * `readCsvFile` and `parseCsvBytes` read a whole source here; csv-stream.ts streams one.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { CsvError, parse } from 'csv-parse/sync';
import { inputError, MlopsError } from '../common/errors.ts';
import { PROGRESS_EVERY, type ProgressCallbacks } from '../common/progress.ts';
import { RawTableBuilder, type RawTable } from './table.ts';

export type CsvEncoding = 'utf8' | 'latin1';
export const CSV_ENCODINGS: readonly CsvEncoding[] = ['utf8', 'latin1'];

export interface CsvOptions {
  /** `utf8` (the default; other bytes are refused) or `latin1` (every byte is a character). */
  encoding?: CsvEncoding;
  /** How the user says the text is Latin-1 where this source is read, for the UTF-8 refusal. */
  latin1Hint?: string;
  /** Rows read so far of about how many (the file's line count); a streamed file counts its bytes. */
  onProgress?: ProgressCallbacks['onProgress'];
}

/** The hint on the command line; the service names its Content-Type charset instead. */
export const CLI_LATIN1_HINT = 'read it with --encoding latin1 (or "encoding": "latin1" in the data section of the config)';

/** A data record and the line of the source it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A parsed CSV source: its header, and a table whose `sha256` is that of the bytes read. */
export interface CsvTable extends RawTable {
  sha256: string;
}

/** The encoding a user named (a flag, a config key, a charset), checked. */
export function csvEncoding(value: string | undefined, where: string): CsvEncoding {
  if (value === undefined) return 'utf8';
  const v = value.trim().toLowerCase();
  if (v === 'utf8' || v === 'utf-8') return 'utf8';
  if (v === 'latin1' || v === 'latin-1' || v === 'iso-8859-1' || v === 'iso8859-1') return 'latin1';
  throw new MlopsError('usage', `${where} must be utf8 or latin1 (got ${JSON.stringify(value)})`);
}

/** csv-parse options shared by every reader: the fields as written, blank lines skipped. */
export function csvParseOptions(encoding: CsvEncoding) {
  return { bom: true, skip_empty_lines: true, relax_column_count: true, trim: false, encoding } as const;
}

/**
 * The line each record starts on, from csv-parse's running counts. A record starts one
 * line after the previous one ended, plus the blank lines skipped between; it ends as
 * many lines later as its quoted fields hold line breaks. csv-parse's own line count
 * cannot be used directly: inside quotes it counts "\r\n" as two lines.
 */
export class LineTracker {
  private prevEnd = 0;
  private prevCounted = 0;
  private prevEmpty = 0;

  startOf(info: { lines: number; empty_lines: number }, fields: readonly string[]): number {
    const empty = info.empty_lines - this.prevEmpty;
    const start = this.prevEnd + 1 + empty;
    let breaks = 0;
    // csv-parse counted more lines than the record's own only when a quoted field spans lines.
    if (info.lines - this.prevCounted - 1 - empty > 0)
      for (const f of fields) for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) breaks++;
    this.prevEnd = start + breaks;
    this.prevCounted = info.lines;
    this.prevEmpty = info.empty_lines;
    return start;
  }
}

/** The header's names, trimmed; refuses a column without a name or a name given twice. */
export function checkHeader(fields: readonly string[], where: string, line = 1): string[] {
  const header = fields.map((h) => h.trim());
  const first = new Map<string, number>();
  header.forEach((h, i) => {
    if (h === '') throw inputError(`${where}: line ${line}: column ${i + 1} of the header has no name`);
    const seen = first.get(h);
    if (seen !== undefined)
      throw inputError(
        `${where}: line ${line}: column "${h}" appears twice in the header (columns ${seen + 1} and ${i + 1})`,
      );
    first.set(h, i);
  });
  return header;
}

/** Why a record with `fields` fields does not fit the header, or null when it does. */
export function widthProblem(fields: number, header: readonly string[]): string | null {
  if (fields === header.length) return null;
  return fields < header.length
    ? `${fields} field${fields === 1 ? '' : 's'}, but the header has ${header.length} (a short row)`
    : `${fields} fields, but the header has ${header.length} (extra fields)`;
}

/** Refuses a record that does not fit the header, naming its line. */
export function checkWidth(record: CsvRecord, header: readonly string[], where: string): void {
  const problem = widthProblem(record.fields.length, header);
  if (problem) throw inputError(`${where}: line ${record.line}: ${problem}`, [{ line: record.line, problem }]);
}

/**
 * The refusal of bytes that are not UTF-8, naming the line and byte of the bad sequence
 * at `at` in `bytes`, whose first byte is `offset` bytes and `linesBefore` line breaks
 * into the source.
 */
export function utf8Error(
  bytes: Uint8Array,
  at: number,
  where: string,
  opts: CsvOptions,
  offset = 0,
  linesBefore = 0,
): MlopsError {
  let lines = linesBefore;
  for (let i = 0; i < at; i++) if (bytes[i] === 10) lines++;
  const hex = at < bytes.length ? ` (byte 0x${bytes[at].toString(16).toUpperCase().padStart(2, '0')} at byte ${offset + at + 1})` : '';
  return inputError(
    `${where}: line ${lines + 1}: not valid UTF-8${hex}; if the text is Latin-1, ${opts.latin1Hint ?? CLI_LATIN1_HINT}`,
  );
}

/**
 * Index of the first byte of the first sequence that is not UTF-8 (an incomplete
 * sequence at the end counts), or -1. Only called once the fast check has failed.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    if (i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/** The error csv-parse throws (an unclosed quote, a record too long…) with the source and line; others as they are. */
export function malformed(e: unknown, where: string): unknown {
  if (!(e instanceof CsvError)) return e;
  const err = e as CsvError & { lines?: number };
  return inputError(`${where}: malformed CSV${err.lines ? ` at line ${err.lines}` : ''}: ${err.message}`, {
    code: err.code,
  });
}

/**
 * Reads every record of `bytes` under the contract: UTF-8 checked first, then the
 * header, then each data record handed to `onRecord` with its line (the width is the
 * caller's to check: strict readers refuse, ingestion quarantines the row).
 */
export function forEachCsvRecord(
  bytes: Buffer,
  where: string,
  opts: CsvOptions,
  onRecord: (record: CsvRecord, header: string[]) => void,
): string[] | null {
  const encoding = opts.encoding ?? 'utf8';
  if (encoding === 'utf8' && !isUtf8(bytes)) throw utf8Error(bytes, firstInvalidUtf8(bytes), where, opts);
  const lines = new LineTracker();
  let header: string[] | null = null;
  try {
    parse(bytes, {
      ...csvParseOptions(encoding),
      // Each record is handed on as it is parsed and never collected: memory stays that of the table.
      on_record: (fields: string[], info) => {
        const line = lines.startOf(info, fields);
        if (header === null) header = checkHeader(fields, where, line);
        else onRecord({ line, fields }, header);
        return null;
      },
    });
  } catch (e) {
    throw malformed(e, where);
  }
  return header;
}

/** A whole CSV source as a table, every rule of the contract checked. */
export function parseCsvBytes(bytes: Buffer, where: string, opts: CsvOptions = {}): CsvTable {
  if (isBlank(bytes))
    throw inputError(`${where}: the file is empty (expected a header row and data rows)`);
  let table: RawTableBuilder | null = null;
  // Line breaks bound the records from above: the count is an estimate until the end.
  let expected = 0;
  const header = forEachCsvRecord(bytes, where, opts, (record, h) => {
    checkWidth(record, h, where);
    if (table === null) {
      const breaks = lineBreaks(bytes);
      expected = Math.max(1, breaks - 2);
      table = new RawTableBuilder(where, h, breaks);
    }
    table.push(record.fields, record.line);
    if (opts.onProgress && table.rows % PROGRESS_EVERY === 0) opts.onProgress(table.rows, expected, 'rows read');
  });
  if (header === null) throw inputError(`${where}: the file is empty (expected a header row and data rows)`);
  if (table === null) throw inputError(`${where}: has a header but no data rows`);
  opts.onProgress?.((table as RawTableBuilder).rows, (table as RawTableBuilder).rows, 'rows read');
  return { ...(table as RawTableBuilder).finish(), sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function readCsvFile(file: string, opts: CsvOptions = {}): CsvTable {
  if (!existsSync(file)) throw inputError(`data file not found: ${file}`);
  if (statSync(file).isDirectory()) throw inputError(`expected a CSV file but got a folder: ${file}`);
  return parseCsvBytes(readFileSync(file), file, opts);
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return true;
}

/** Line breaks in `bytes`: an upper bound on its records, to size the columns once. */
function lineBreaks(bytes: Buffer): number {
  let n = 1;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}
