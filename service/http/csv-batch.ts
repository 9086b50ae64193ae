/**
 * `text/csv` batches, streamed in and out in constant memory: the request is parsed
 * row by row (csv-parse), scored in chunks, and the answer is written as it goes, with
 * backpressure. The header and the first chunk are checked before the answer starts, so
 * a wrong file gets a 422 listing every problem; rows after that which fail validation
 * are answered with an empty probability and the reason in the `error` column.
 */
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { Scorer } from '../scoring/scoring.ts';
import { badRequest, invalidInput, HttpError, type FieldError } from './http-error.ts';
import { batchMessage } from '../scoring/scoring.ts';

export const CSV_CHUNK_ROWS = 1000;
/** Longest CSV record accepted (bytes): bounds memory for a line without newlines. */
const MAX_RECORD_BYTES = 64 * 1024;

export interface CsvBatchResult {
  stream: PassThrough;
  /** Resolves with the number of rows scored, once the answer is complete. */
  done: Promise<{ rows: number; decisions: Map<string, number> }>;
}

export async function scoreCsvStream(
  req: IncomingMessage,
  scorer: Scorer,
  onError: (e: Error) => void,
): Promise<CsvBatchResult> {
  const parser = req.pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, max_record_size: MAX_RECORD_BYTES }),
  );
  req.on('error', (e) => parser.destroy(e));
  const rows = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const abort = (e: HttpError): HttpError => {
    parser.destroy();
    req.resume();
    return new HttpError(e.status, e.code, e.message, e.errors, { ...e.headers, Connection: 'close' });
  };

  let header: string[];
  try {
    const first = await rows.next();
    if (first.done) throw badRequest('request body is empty (expected a CSV header row and data rows)');
    header = first.value.map((h) => h.trim());
  } catch (e) {
    throw abort(csvError(e));
  }
  const features = scorer.schema.features.map((f) => f.name);
  const missing = features.filter((f) => !header.includes(f));
  if (missing.length > 0) {
    const errors: FieldError[] = missing.map((field) => ({
      field,
      problem: 'missing',
      message: `column "${field}" is missing from the CSV header`,
    }));
    throw abort(
      invalidInput(
        `the CSV lacks ${missing.length} column${missing.length > 1 ? 's' : ''} the model needs: ${missing.join(', ')}`,
        errors,
      ),
    );
  }
  const numeric = scorer.numericColumns();
  const idCols = scorer.ids.filter((c) => header.includes(c));
  const toRecord = (r: string[]): Record<string, unknown> => scorer.csvRecord(header, r, numeric);

  const readChunk = async (): Promise<Record<string, unknown>[]> => {
    const out: Record<string, unknown>[] = [];
    while (out.length < CSV_CHUNK_ROWS) {
      const n = await rows.next();
      if (n.done) break;
      out.push(toRecord(n.value));
    }
    return out;
  };

  let chunk: Record<string, unknown>[];
  try {
    chunk = await readChunk();
  } catch (e) {
    throw abort(csvError(e));
  }
  if (chunk.length === 0) throw abort(badRequest('the CSV has a header but no data rows'));
  const firstErrors = scorer.check(chunk);
  if (firstErrors.length > 0) throw abort(invalidInput(batchMessage(firstErrors, chunk.length), firstErrors));

  const stream = new PassThrough();
  const decisions = new Map<string, number>();
  const write = async (text: string): Promise<void> => {
    if (!stream.write(text)) await once(stream, 'drain');
  };
  const done = (async () => {
    let total = 0;
    await write(stringify([[...idCols, 'probability', 'decision', 'risk_band', 'error']]));
    while (chunk.length > 0) {
      const errs = new Map<number, string>();
      for (const e of scorer.check(chunk)) {
        if (e.row !== undefined) errs.set(e.row, errs.has(e.row) ? `${errs.get(e.row)}; ${e.message}` : e.message);
      }
      const good = errs.size === 0 ? chunk : chunk.filter((_, i) => !errs.has(i));
      const p = scorer.probabilities(good);
      let k = 0;
      const out = chunk.map((rec, i) => {
        const ids = idCols.map((c) => (rec[c] === null || rec[c] === undefined ? '' : String(rec[c])));
        const err = errs.get(i);
        if (err !== undefined) return [...ids, '', '', '', err];
        const prob = p[k++];
        const d = scorer.model.decision(prob);
        decisions.set(d, (decisions.get(d) ?? 0) + 1);
        return [...ids, String(prob), d, scorer.model.riskBand(prob), ''];
      });
      await write(stringify(out));
      total += chunk.length;
      chunk = await readChunk();
    }
    stream.end();
    return { rows: total, decisions };
  })();
  done.catch((e: Error) => {
    // The status line is sent: the only honest signal left is to cut the response short.
    onError(e);
    stream.destroy(e);
  });
  return { stream, done };
}

function csvError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  const err = e as Error & { lines?: number; code?: string };
  if (err.code === 'CSV_MAX_RECORD_SIZE')
    return new HttpError(413, 'PAYLOAD_TOO_LARGE', `a CSV record is longer than ${MAX_RECORD_BYTES} bytes`);
  return badRequest(`malformed CSV${err.lines ? ` at line ${err.lines}` : ''}: ${err.message}`);
}
