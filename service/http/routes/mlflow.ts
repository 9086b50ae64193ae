/**
 * The MLflow scoring protocol (`POST /invocations`, `GET /ping`, `GET /version`) so
 * existing MLflow clients work unchanged. Accepted JSON inputs: `dataframe_split`,
 * `dataframe_records`, `instances`, `inputs`; or `text/csv`. Answer: `{"predictions": [...]}`.
 */
import Router from '@koa/router';
import type { ServiceState } from '../state.ts';
import { csvOptions, parseJson, readBody, requireKind } from '../body.ts';
import { badRequest, HttpError } from '../http-error.ts';
import { parseCsvBytes, isMlopsError } from '../../../pipeline/core/index.ts';
import { setField } from '../../scoring/scoring.ts';

const INPUT_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'];

export function mlflowRouter(s: ServiceState): Router {
  const r = new Router();
  const features = s.scorer.schema.features.map((f) => f.name);

  r.get('/ping', (ctx) => {
    ctx.body = '\n';
  });
  r.get('/version', (ctx) => {
    ctx.body = { model: s.scorer.ref, protocol: 'mlflow-scoring' };
  });
  r.post('/invocations', async (ctx) => {
    const kind = requireKind(ctx.req, ['json', 'csv']);
    const csv = kind === 'csv' ? csvOptions(ctx.req) : null;
    const buf = await readBody(ctx.req, s.options.bodyLimitBytes);
    const { records, lines } = csv
      ? csvRecords(buf, csv, s)
      : { records: jsonRecords(parseJson(buf), features), lines: undefined };
    if (s.options.logPayloads) ctx.state.payload = records;
    if (records.length === 0) throw badRequest('no rows to score');
    if (records.length > s.options.maxBatchRows) {
      throw new HttpError(
        413,
        'PAYLOAD_TOO_LARGE',
        `the request has ${records.length} rows; the limit is ${s.options.maxBatchRows}`,
      );
    }
    const predictions = s.scorer
      .many(records, lines)
      .map(({ probability, decision, risk_band }) => ({ probability, decision, risk_band }));
    for (const p of predictions) s.metrics.countPredictions(p.decision, 1);
    ctx.body = { predictions };
  });
  return r;
}

/** A CSV body under the CSV contract (every refusal names its line), as records and their lines. */
function csvRecords(
  buf: Buffer,
  csv: ReturnType<typeof csvOptions>,
  s: ServiceState,
): { records: Record<string, unknown>[]; lines: Uint32Array } {
  if (buf.length === 0) throw badRequest('request body is empty (expected a CSV header row and data rows)');
  let table;
  try {
    table = parseCsvBytes(buf, 'request body', csv);
  } catch (e) {
    if (isMlopsError(e)) throw badRequest(e.message);
    throw e;
  }
  const numeric = s.scorer.numericColumns();
  const header = table.header;
  const cols = header.map((h) => table.columns.get(h)!);
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < table.rows; i++)
    records.push(
      s.scorer.csvRecord(
        header,
        cols.map((c) => c.get(i) ?? ''),
        numeric,
      ),
    );
  return { records, lines: table.lines };
}

/** The MLflow JSON request shapes, as a list of records (not yet validated). */
export function jsonRecords(body: unknown, features: string[]): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`the body must be a JSON object with one of: ${INPUT_KEYS.join(', ')}`);
  }
  const b = body as Record<string, unknown>;
  const keys = INPUT_KEYS.filter((k) => Object.hasOwn(b, k));
  const unknown = Object.keys(b).filter((k) => !INPUT_KEYS.includes(k) && k !== 'params');
  if (keys.length !== 1 || unknown.length > 0) {
    throw badRequest(
      `the body must have exactly one of ${INPUT_KEYS.join(', ')} (and optionally params); got ${
        Object.keys(b)
          .map((k) => JSON.stringify(k))
          .join(', ') || 'an empty object'
      }`,
    );
  }
  const key = keys[0];
  const v = b[key];
  if (key === 'dataframe_split') return splitRecords(v);
  if (key === 'dataframe_records') {
    if (!Array.isArray(v)) throw badRequest('dataframe_records must be an array of objects');
    return v;
  }
  if (key === 'instances') {
    if (!Array.isArray(v)) throw badRequest('instances must be an array');
    return v.map((row) => (Array.isArray(row) ? positional(row, features) : row));
  }
  // inputs: records, or columns ({"Age": [30, 41], ...}).
  if (Array.isArray(v)) return v.map((row) => (Array.isArray(row) ? positional(row, features) : row));
  if (v && typeof v === 'object') return columnRecords(v as Record<string, unknown>);
  throw badRequest('inputs must be an array of records or an object of columns');
}

function splitRecords(v: unknown): Record<string, unknown>[] {
  const split = v as { columns?: unknown; data?: unknown };
  if (!split || typeof split !== 'object' || !Array.isArray(split.columns) || !Array.isArray(split.data)) {
    throw badRequest('dataframe_split must be {"columns": [...], "data": [[...], ...]}');
  }
  const columns = split.columns as unknown[];
  if (!columns.every((c) => typeof c === 'string')) throw badRequest('dataframe_split.columns must be strings');
  return (split.data as unknown[]).map((row, i) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw badRequest(`dataframe_split.data[${i}] must be an array of ${columns.length} values (one per column)`);
    }
    const rec: Record<string, unknown> = {};
    columns.forEach((c, j) => setField(rec, c as string, row[j]));
    return rec;
  });
}

function positional(row: unknown[], features: string[]): Record<string, unknown> {
  if (row.length !== features.length)
    throw badRequest(`a positional row must have ${features.length} values in the order ${features.join(', ')}`);
  const rec: Record<string, unknown> = {};
  features.forEach((f, j) => setField(rec, f, row[j]));
  return rec;
}

function columnRecords(cols: Record<string, unknown>): Record<string, unknown>[] {
  const names = Object.keys(cols);
  const arrays = names.map((n) => cols[n]);
  if (!arrays.every(Array.isArray)) {
    // One row given as scalars.
    return [cols];
  }
  const n = (arrays[0] as unknown[] | undefined)?.length ?? 0;
  if (!arrays.every((a) => (a as unknown[]).length === n))
    throw badRequest('every column in inputs must have the same length');
  return Array.from({ length: n }, (_, i) => {
    const rec: Record<string, unknown> = {};
    names.forEach((name, j) => setField(rec, name, (arrays[j] as unknown[])[i]));
    return rec;
  });
}
