/** Scoring: one applicant (`/v1/predict`) and batches, JSON or streamed CSV (`/v1/predict/batch`). */
import Router from '@koa/router';
import type { ServiceState } from '../state.ts';
import { parseJson, readBody, requireKind } from '../body.ts';
import { HttpError, badRequest } from '../http-error.ts';
import { scoreCsvStream } from '../csv-batch.ts';

export function predictRouter(s: ServiceState): Router {
  const r = new Router();
  const limit = s.options.bodyLimitBytes;

  r.post('/v1/predict', async (ctx) => {
    requireKind(ctx.req, ['json']);
    const body = parseJson(await readBody(ctx.req, limit));
    if (s.options.logPayloads) ctx.state.payload = body;
    const explain = ctx.querystring.length > 0 && wantsExplain(ctx.query.explain);
    const prediction = s.scorer.one(body);
    s.metrics.countPredictions(prediction.decision, 1);
    s.scoringLog?.record(body, prediction.probability);
    if (!explain) {
      ctx.body = prediction;
      return;
    }
    if (!s.explain)
      throw new HttpError(
        501,
        'NOT_IMPLEMENTED',
        `the "${s.model.engine.name}" engine does not attribute its scores, so they cannot be explained; call without ?explain=true`,
      );
    const [explanation] = s.explain([body as Record<string, unknown>]);
    ctx.body = { ...prediction, explanation };
  });

  r.post('/v1/predict/batch', async (ctx) => {
    const kind = requireKind(ctx.req, ['json', 'csv']);
    if (kind === 'csv') {
      const { stream, done } = await scoreCsvStream(ctx.req, s.scorer);
      done.then(
        (r) => {
          for (const [d, n] of r.decisions) s.metrics.countPredictions(d, n);
          if (r.incomplete)
            s.logger.warn({ req_id: ctx.state.requestId, rows: r.rows, reason: r.incomplete }, 'CSV batch incomplete');
        },
        (e: Error) => s.logger.error({ req_id: ctx.state.requestId, err: { message: e.message } }, 'CSV batch failed'),
      );
      ctx.type = 'text/csv; charset=utf-8';
      ctx.body = stream;
      return;
    }
    const body = parseJson(await readBody(ctx.req, limit));
    if (s.options.logPayloads) ctx.state.payload = body;
    const records = Array.isArray(body) ? body : (body as { instances?: unknown })?.instances;
    if (!Array.isArray(records))
      throw badRequest('a JSON batch must be an array of applicants (or {"instances": [...]})');
    if (records.length === 0) throw badRequest('the batch is empty');
    if (records.length > s.options.maxBatchRows) {
      throw new HttpError(
        413,
        'PAYLOAD_TOO_LARGE',
        `the batch has ${records.length} rows; the limit is ${s.options.maxBatchRows} (send text/csv to stream any number of rows)`,
      );
    }
    const predictions = s.scorer.many(records);
    predictions.forEach((p, i) => {
      s.metrics.countPredictions(p.decision, 1);
      s.scoringLog?.record(records[i], p.probability);
    });
    ctx.body = { predictions, threshold: s.scorer.threshold, model: s.scorer.ref };
  });
  return r;
}

function wantsExplain(v: string | string[] | undefined): boolean {
  if (v === undefined) return false;
  const s = (Array.isArray(v) ? v[v.length - 1] : v).toLowerCase();
  if (s === 'true' || s === '1' || s === '') return true;
  if (s === 'false' || s === '0') return false;
  throw badRequest(`explain must be true or false, got ${JSON.stringify(s)}`);
}
