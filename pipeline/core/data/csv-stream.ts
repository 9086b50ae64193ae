/**
 * The CSV contract of csv.ts over a stream (a file of any size, a request body): records
 * come one at a time, so scoring runs in constant memory, and every refusal still names
 * the line. Bytes are checked as UTF-8 while they stream (unless the source is Latin-1).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { Parser, type Options } from 'csv-parse';
import { inputError } from '../common/errors.ts';
import { BYTES_READ } from '../common/progress.ts';
import {
  checkHeader,
  checkWidth,
  csvParseOptions,
  firstInvalidUtf8,
  LineTracker,
  malformed,
  utf8Error,
  type CsvOptions,
  type CsvRecord,
} from './csv.ts';
import { RawTableBuilder, type RawTable } from './table.ts';

/** An open CSV source whose header has been read and checked. */
export interface CsvStream {
  header: string[];
  /** The next data record, or null at the end; a problem throws an MlopsError naming the line. */
  next(): Promise<CsvRecord | null>;
  /** Stops reading: the rest of the source is not parsed; a pending `next` throws `reason` if given. */
  close(reason?: Error): void;
}

export interface CsvStreamOptions extends CsvOptions {
  /** Longest record accepted, in bytes (bounds memory for a line without an end). */
  maxRecordBytes?: number;
}

/** Opens `source` under the contract; null when it holds no record at all (an empty source). */
export async function openCsvStream(
  source: Readable,
  where: string,
  opts: CsvStreamOptions = {},
): Promise<CsvStream | null> {
  const encoding = opts.encoding ?? 'utf8';
  const lines = new LineTracker();
  const options: Options<CsvRecord, string[]> = {
    ...csvParseOptions(encoding),
    ...(opts.maxRecordBytes ? { max_record_size: opts.maxRecordBytes } : {}),
    on_record: (fields, info) => ({ line: lines.startOf(info, fields), fields }),
  };
  // csv-parse types its constructor for string[] records; on_record makes them CsvRecords.
  const parser = new Parser(options as unknown as Options);
  const stop = (e?: Error): void => {
    parser.destroy(e);
  };
  source.on('error', (e) => stop(e));
  if (encoding === 'utf8') {
    const check = new Utf8Check(where, opts);
    check.on('error', (e) => stop(e));
    source.pipe(check).pipe(parser);
  } else source.pipe(parser);
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<CsvRecord>;
  const next = async (): Promise<CsvRecord | null> => {
    try {
      const r = await records.next();
      return r.done ? null : r.value;
    } catch (e) {
      throw malformed(e, where);
    }
  };
  const first = await next();
  if (first === null) return null;
  const header = checkHeader(first.fields, where, first.line);
  return {
    header,
    next,
    close: (reason) => {
      source.unpipe();
      stop(reason);
    },
  };
}

/** Passes bytes through once they are known to be UTF-8; the first bad sequence is an error naming its line. */
class Utf8Check extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private offset = 0;
  private newlines = 0;

  constructor(
    private readonly where: string,
    private readonly opts: CsvOptions,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      // A chunk may start inside a character begun in the previous one: look past its tail.
      let from = 0;
      while (from < 3 && from < chunk.length && (chunk[from] & 0xc0) === 0x80) from++;
      const bad = firstInvalidUtf8(chunk.subarray(from));
      done(utf8Error(chunk, bad === -1 ? 0 : bad + from, this.where, this.opts, this.offset, this.newlines));
      return;
    }
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.newlines++;
    this.offset += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decoder.decode();
      done();
    } catch {
      done(utf8Error(new Uint8Array(0), 0, this.where, this.opts, this.offset, this.newlines));
    }
  }
}

/**
 * Reads a CSV file in chunks of rows so scoring a file of any size runs in constant
 * memory. Each chunk is a RawTable whose `lines` point at the rows' lines in the file.
 */
export async function* readCsvChunks(file: string, opts: CsvOptions = {}, chunkRows = 5000): AsyncGenerator<RawTable> {
  if (!existsSync(file)) throw inputError(`data file not found: ${file}`);
  if (statSync(file).isDirectory()) throw inputError(`expected a CSV file but got a folder: ${file}`);
  const stream = createReadStream(file);
  const size = statSync(file).size;
  const csv = await openCsvStream(stream, file, opts);
  if (csv === null) throw inputError(`${file}: the file is empty (expected a header row and data rows)`);
  let chunk = new RawTableBuilder(file, csv.header, chunkRows);
  let any = false;
  try {
    for (let r = await csv.next(); r !== null; r = await csv.next()) {
      checkWidth(r, csv.header, file);
      chunk.push(r.fields, r.line);
      any = true;
      if (chunk.rows >= chunkRows) {
        opts.onProgress?.(Math.min(stream.bytesRead, size), size, BYTES_READ);
        yield chunk.finish();
        chunk = new RawTableBuilder(file, csv.header, chunkRows);
      }
    }
  } finally {
    csv.close();
  }
  if (!any) throw inputError(`${file}: has a header but no data rows`);
  opts.onProgress?.(size, size, BYTES_READ);
  if (chunk.rows > 0) yield chunk.finish();
}
