/**
 * `text/csv` batches, streamed in and out in constant memory, under the CSV contract of
 * pipeline/core/data/csv.ts: the request is parsed record by record, scored in chunks, and
 * the answer is written as it goes, with backpressure.
 *
 * Before the answer starts, the header and the first chunk are checked, so a wrong file
 * gets a 400 (a header without names, a name twice, bytes that are not UTF-8) or a 422
 * listing every problem of those rows (a missing column, a short or long row, a bad
 * value), each with its line. After that, a row that is short, long or has a bad value is
 * answered with an empty probability and the reason, with its line, in the `error`
 * column. An answer that cannot finish — the upload outlives REQUEST_TIMEOUT_MS, the CSV
 * breaks (an unclosed quote, bytes that are not UTF-8), anything else — ends with one
 * last record whose `error` starts with "batch incomplete:", never by being cut short.
 */
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { stringify } from 'csv-stringify/sync';
import { openCsvStream, widthProblem, isMlopsError, type CsvRecord } from '../../pipeline/core/index.ts';
import type { Scorer } from '../scoring/scoring.ts';
import { badRequest, invalidInput, HttpError, type FieldError } from './http-error.ts';
import { csvOptions } from './body.ts';

export const CSV_CHUNK_ROWS = 1000;
/** Longest CSV record accepted (bytes): bounds memory for a line without newlines. */
const MAX_RECORD_BYTES = 64 * 1024;
/** The `error` of the last record of an answer that could not finish starts with this. */
export const INCOMPLETE = 'batch incomplete:';

/**
 * Streamed answers in flight, by connection: the server's timeout handlers stop one
 * this way (it ends with its "batch incomplete" record) instead of cutting it short.
 */
export const streamedAnswers = new WeakMap<Socket, (reason: string) => void>();

export interface CsvBatchResult {
  stream: PassThrough;
  /** Resolves with the number of rows answered and the decisions made, once the answer is complete. */
  done: Promise<{ rows: number; decisions: Map<string, number>; incomplete: string | null }>;
}

/** A record that stopped the stream on purpose (a timeout), so the reason is reported as given. */
class Stopped extends Error {}

export async function scoreCsvStream(req: IncomingMessage, scorer: Scorer): Promise<CsvBatchResult> {
  const where = 'request body';
  let csv;
  try {
    csv = await openCsvStream(req, where, { ...csvOptions(req), maxRecordBytes: MAX_RECORD_BYTES });
  } catch (e) {
    throw refuse(req, csvError(e));
  }
  if (csv === null) throw refuse(req, badRequest('request body is empty (expected a CSV header row and data rows)'));
  const { header } = csv;
  const features = scorer.schema.features.map((f) => f.name);
  const missing = features.filter((f) => !header.includes(f));
  if (missing.length > 0) {
    const errors: FieldError[] = missing.map((field) => ({
      field,
      problem: 'missing',
      message: `column "${field}" is missing from the CSV header`,
    }));
    csv.close();
    throw refuse(
      req,
      invalidInput(
        `the CSV lacks ${missing.length} column${missing.length > 1 ? 's' : ''} the model needs: ${missing.join(', ')}`,
        errors,
      ),
    );
  }
  const numeric = scorer.numericColumns();
  const idCols = scorer.ids.filter((c) => header.includes(c));

  /** Up to CSV_CHUNK_ROWS records; a failure mid-chunk keeps the records read before it. */
  const readChunk = async (): Promise<{ rows: CsvRecord[]; failure: unknown }> => {
    const rows: CsvRecord[] = [];
    try {
      while (rows.length < CSV_CHUNK_ROWS) {
        const r = await csv.next();
        if (r === null) break;
        rows.push(r);
      }
    } catch (e) {
      return { rows, failure: e };
    }
    return { rows, failure: null };
  };
  /** Each row's record for the validator, or why the row cannot be read (a short or long row). */
  const judge = (r: CsvRecord): { rec: Record<string, unknown> | null; problems: FieldError[] } => {
    const width = widthProblem(r.fields.length, header);
    if (width)
      return {
        rec: null,
        problems: [{ field: null, problem: 'invalid', line: r.line, message: `line ${r.line}: ${width}` }],
      };
    const rec = scorer.csvRecord(header, r.fields, numeric);
    if (scorer.validator.check(rec)) return { rec, problems: [] };
    return { rec, problems: scorer.validator.errors(rec).map((e) => ({ ...e, line: r.line })) };
  };

  const firstRead = await readChunk();
  if (firstRead.failure !== null) {
    csv.close();
    throw refuse(req, csvError(firstRead.failure));
  }
  let chunk = firstRead.rows;
  if (chunk.length === 0) throw refuse(req, badRequest('the CSV has a header but no data rows'));
  const first = chunk.map(judge);
  const firstProblems = first.flatMap((j, i) => j.problems.map((p) => ({ ...p, row: i })));
  if (firstProblems.length > 0) {
    csv.close();
    const bad = first.filter((j) => j.problems.length > 0).length;
    throw refuse(
      req,
      invalidInput(
        `${bad} of the first ${chunk.length} row${chunk.length === 1 ? '' : 's'} ha${bad === 1 ? 's' : 've'} problems (first at line ${firstProblems[0].line}); nothing was scored`,
        firstProblems.slice(0, 1000),
      ),
    );
  }

  const stream = new PassThrough();
  const decisions = new Map<string, number>();
  const socket = req.socket;
  streamedAnswers.set(socket, (reason) => csv.close(new Stopped(reason)));
  // Koa destroys the body stream when the response closes early (the client went away).
  const write = async (text: string): Promise<void> => {
    if (stream.destroyed) throw new Stopped('the client closed the connection');
    if (stream.write(text)) return;
    await new Promise<void>((resolve) => {
      const go = (): void => {
        stream.off('drain', go);
        stream.off('close', go);
        resolve();
      };
      stream.on('drain', go);
      stream.on('close', go);
    });
  };
  const blank = idCols.map(() => '');
  const done = (async () => {
    let total = 0;
    let incomplete: string | null = null;
    await write(stringify([[...idCols, 'probability', 'decision', 'risk_band', 'error']]));
    try {
      let judged = first;
      let failure: unknown = null;
      while (chunk.length > 0) {
        const good: Record<string, unknown>[] = [];
        for (const j of judged) if (j.problems.length === 0) good.push(j.rec!);
        const p = scorer.probabilities(good);
        let k = 0;
        const out = judged.map((j) => {
          const ids = j.rec === null ? blank : idCols.map((c) => cell(j.rec![c]));
          if (j.problems.length > 0) return [...ids, '', '', '', j.problems.map((e) => e.message).join('; ')];
          const prob = p[k++];
          const d = scorer.model.decision(prob);
          decisions.set(d, (decisions.get(d) ?? 0) + 1);
          return [...ids, String(prob), d, scorer.model.riskBand(prob), ''];
        });
        await write(stringify(out));
        total += chunk.length;
        if (failure !== null) throw failure;
        const next = await readChunk();
        chunk = next.rows;
        failure = next.failure;
        judged = chunk.map(judge);
      }
      if (failure !== null) throw failure;
    } catch (e) {
      incomplete = `${INCOMPLETE} ${reasonOf(e)}; the ${total} row${total === 1 ? '' : 's'} above ${total === 1 ? 'is' : 'are'} all that was answered`;
      csv.close();
      if (!stream.destroyed) stream.write(stringify([[...blank, '', '', '', incomplete]]));
    } finally {
      streamedAnswers.delete(socket);
    }
    stream.end();
    return { rows: total, decisions, incomplete };
  })();
  return { stream, done };
}

function cell(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function reasonOf(e: unknown): string {
  if (e instanceof Stopped || isMlopsError(e)) return e.message;
  if (e instanceof HttpError) return e.message;
  return `the stream failed (${(e as Error).message})`;
}

/** Refuses the request before the answer starts; the rest of the body is not read, so the connection closes. */
function refuse(req: IncomingMessage, e: HttpError): HttpError {
  req.resume();
  return new HttpError(e.status, e.code, e.message, e.errors, { ...e.headers, Connection: 'close' });
}

function csvError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (!isMlopsError(e)) return badRequest(`the CSV could not be read: ${(e as Error).message}`);
  if ((e.details as { code?: string } | undefined)?.code === 'CSV_MAX_RECORD_SIZE')
    return new HttpError(413, 'PAYLOAD_TOO_LARGE', `${e.message} (the limit is ${MAX_RECORD_BYTES} bytes)`);
  return badRequest(e.message);
}
