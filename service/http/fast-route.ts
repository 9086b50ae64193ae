/**
 * The hot path: a valid single-applicant `POST /v1/predict` (no query string) answered
 * straight from node:http, in front of the Koa app. At thousands of requests a second
 * Koa's context, middleware chain and router cost more CPU than reading, validating and
 * scoring the applicant together, so the one request the service exists for skips them.
 *
 * It only ever answers the happy path. Anything else — another route or method, a query
 * string (`?explain=true`), a missing or wrong API key, another content type, a body that
 * is too large, unreadable, not JSON or not a valid applicant, any exception — goes to
 * the Koa app untouched, with the body already read handed over through `body.ts`, so
 * every error response, header, metric and log line comes from the one place that makes
 * them (service/http/app.ts). What it does do is what the Koa path does for a 200: request id
 * (echoed in `X-Request-Id`), prediction counters, the scoring log, the request counter and
 * latency histogram under route `/v1/predict`, the same JSON log line (with the payload
 * only under LOG_PAYLOADS), the security headers, `Connection: close` while shutting
 * down, and the byte-for-byte same JSON body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ServiceState } from './state.ts';
import { bodyKind, handOver, readBody } from './body.ts';
import { requestId } from '../logging/logging.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

export const FAST_ROUTE = '/v1/predict';

/** The JSON text of a prediction: the same bytes Koa writes for `scorer.one(...)`. */
export function predictionJson(s: ServiceState): (probability: number, decision: string, riskBand: string) => string {
  const { threshold, ref } = s.scorer;
  const decisions = new Map<string, string>();
  const bands = new Map<string, string>();
  const quoted = (cache: Map<string, string>, v: string): string => {
    let q = cache.get(v);
    if (q === undefined) cache.set(v, (q = JSON.stringify(v)));
    return q;
  };
  const mid = `,"threshold":${JSON.stringify(threshold)},"risk_band":`;
  const tail = `,"model":${JSON.stringify(ref)}}`;
  return (p, decision, band) =>
    `{"probability":${JSON.stringify(p)},"decision":${quoted(decisions, decision)}${mid}${quoted(bands, band)}${tail}`;
}

/** node:http listener: the fast route for a valid single applicant, the Koa app for everything else. */
export function withFastRoute(s: ServiceState, koa: RequestListener): RequestListener {
  const { scorer, metrics, options } = s;
  const model = scorer.model;
  const validator = scorer.validator;
  const single = scorer.single;
  const json = predictionJson(s);
  // Bindings are serialised once by pino, not per line.
  const log = s.logger.child({ method: 'POST', path: FAST_ROUTE, route: FAST_ROUTE });
  const limit = options.bodyLimitBytes;

  const answer = (req: IncomingMessage, res: ServerResponse, buf: Buffer, start: bigint): boolean => {
    let body: unknown;
    try {
      body = JSON.parse(buf.toString('utf8'));
    } catch {
      return false;
    }
    if (!validator.check(body)) return false;
    const p = single(body as Record<string, unknown>);
    const decision = model.decision(p);
    const text = json(p, decision, model.riskBand(p));
    metrics.countPredictions(decision, 1);
    s.scoringLog?.record(body, p);
    const id = requestId(req.headers['x-request-id'], randomUUID);
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'X-Request-Id': id,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
    };
    // During shutdown, tell keep-alive clients not to reuse this connection.
    if (!s.ready) headers.Connection = 'close';
    res.writeHead(200, headers);
    res.end(text);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    metrics.observeRequest('POST', FAST_ROUTE, 200, seconds);
    if (log.isLevelEnabled('info')) {
      const line: Record<string, unknown> = { req_id: id, status: 200, ms: Math.round(seconds * 1e6) / 1000 };
      if (options.logPayloads) line.payload = body;
      log.info(line, 'request');
    }
    return true;
  };

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== FAST_ROUTE || bodyKind(req.headers['content-type']) !== 'json')
      return koa(req, res);
    if (s.keys.enabled && !s.publicPaths.has(FAST_ROUTE)) {
      try {
        s.keys.check(req.headers);
      } catch {
        return koa(req, res);
      }
    }
    const start = process.hrtime.bigint();
    const read = readBody(req, limit);
    const fallBack = (): void => {
      handOver(req, read);
      koa(req, res);
    };
    read.then((buf) => {
      let done = false;
      try {
        done = answer(req, res, buf, start);
      } catch {
        done = res.headersSent;
      }
      if (!done) fallBack();
    }, fallBack);
  };
}
