/**
 * The Koa application: one middleware for request id, timing, logging, metrics and the
 * error shape; then API-key checks; then one router per area (predict, MLflow, model,
 * health/metrics, docs). A new area (dashboard, KServe v2) adds its router to ROUTERS.
 * In front of it, service/http/fast-route.ts answers valid single-applicant predictions.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type RequestListener } from 'node:http';
import Koa from 'koa';
import type Router from '@koa/router';
import type { Logger } from 'pino';
import { MlopsError, CreditModel, ScoringRuntime } from '../../pipeline/core/index.ts';
import type { ServiceOptions } from '../config.ts';
import { HttpError, type ErrorBody } from './http-error.ts';
import { SECURITY_HEADERS } from './security-headers.ts';
import { keyChecker } from './auth.ts';
import { createMetrics } from './metrics.ts';
import { createLogger, requestId } from '../logging/logging.ts';
import { resolveModelSource, type ModelSource } from '../scoring/model-source.ts';
import { Scorer } from '../scoring/scoring.ts';
import { compileValidator } from './validation.ts';
import { loadExplainer } from '../scoring/explain.ts';
import { openScoringLog } from '../logging/scoring-log.ts';
import { shareRegistry } from '../runtime/cluster-worker.ts';
import { withFastRoute } from './fast-route.ts';
import type { ServiceState } from './state.ts';
import { predictRouter } from './routes/predict.ts';
import { mlflowRouter } from './routes/mlflow.ts';
import { modelRouter } from './routes/model.ts';
import { opsRouter } from './routes/ops.ts';
import { docsRouter } from './routes/docs.ts';
import { v2Router } from './routes/v2.ts';
import { dashboardRouter } from './routes/dashboard.ts';

/** One router per area, mounted in this order. */
export const ROUTERS: ((s: ServiceState) => Router)[] = [
  opsRouter,
  predictRouter,
  mlflowRouter,
  modelRouter,
  docsRouter,
  v2Router,
  dashboardRouter,
];

export interface LoadedService {
  app: Koa;
  state: ServiceState;
  /** The node:http listener: the fast route for a valid single applicant, then the Koa app. */
  handler: RequestListener;
}

export interface AppExtras {
  logger?: Logger;
  /** /metrics text when it is gathered from several workers or threads. */
  metricsText?: () => Promise<string>;
  /**
   * Node process metrics (CPU, memory, event loop) in this app's registry; off in the
   * extra threads of WORKER_MODE=threads, whose process the main thread already reports.
   */
  processMetrics?: boolean;
}

/** Loads the bundle (refusing one whose digest does not verify) and builds the app. */
export function loadService(options: ServiceOptions, extra: AppExtras = {}): LoadedService {
  const source = resolveModelSource(options);
  // Requests are spread over the serving threads or workers (WORKERS); a batch is scored
  // on the thread that took its request, so one large batch cannot take every core from
  // the others, and the image ships no code a helper thread could start from.
  const model = CreditModel.load(source.path, { scoring: new ScoringRuntime({ threads: 0 }) });
  return createApp(model, source, options, extra);
}

export function createApp(
  model: CreditModel,
  source: ModelSource,
  options: ServiceOptions,
  extra: AppExtras = {},
): LoadedService {
  const logger = extra.logger ?? createLogger(options.logLevel);
  const validator = compileValidator(model.bundle.schema, options.unknownFields);
  const scorer = new Scorer(model, validator, source.version);
  const metrics = createMetrics(scorer.ref, { defaultMetrics: extra.processMetrics ?? true });
  shareRegistry(metrics.registry);
  const state: ServiceState = {
    options,
    model,
    source,
    scorer,
    metrics,
    logger,
    keys: keyChecker(options.apiKeys),
    ready: true,
    explain: loadExplainer(model),
    scoringLog: openScoringLog(options.scoringLog, model, logger),
    metricsText: extra.metricsText ?? (() => metrics.registry.metrics()),
    publicPaths: new Set(['/healthz', '/readyz', '/openapi.json', '/docs', '/docs/']),
  };
  if (!options.metricsAuth) state.publicPaths.add('/metrics');

  const app = new Koa();
  app.proxy = false;
  app.silent = true;
  app.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'response stream error'));
  app.use(core(state));
  app.use(async (ctx, next) => {
    if (!state.publicPaths.has(ctx.path) && !ctx.path.startsWith('/docs/')) state.keys.check(ctx.req.headers);
    await next();
  });
  for (const make of ROUTERS) {
    const r = make(state);
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  return { app, state, handler: withFastRoute(state, app.callback()) };
}

function core(state: ServiceState): Koa.Middleware {
  const { logger, metrics } = state;
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    const id = requestId(ctx.req.headers['x-request-id'], randomUUID);
    ctx.state.requestId = id;
    ctx.set(SECURITY_HEADERS);
    ctx.set('X-Request-Id', id);
    try {
      await next();
      // A status without a body (no route, a method the route or the router lacks) gets the error shape too.
      if (ctx.status >= 400 && (ctx.body === undefined || ctx.body === null)) throw bodylessError(ctx);
    } catch (e) {
      errorResponse(ctx, e, id, logger);
    }
    // During shutdown, tell keep-alive clients not to reuse this connection.
    if (!state.ready) ctx.set('Connection', 'close');
    const route = (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    metrics.observeRequest(ctx.method, route, ctx.status, seconds);
    if (ctx.status >= 500)
      logger.error(
        { req_id: id, method: ctx.method, path: ctx.path, route, status: ctx.status, ms: seconds * 1000 },
        'request failed',
      );
    else if (logger.isLevelEnabled('info')) {
      const line: Record<string, unknown> = {
        req_id: id,
        method: ctx.method,
        path: ctx.path,
        route,
        status: ctx.status,
        ms: Math.round(seconds * 1e6) / 1000,
      };
      if (state.options.logPayloads && ctx.state.payload !== undefined) line.payload = ctx.state.payload;
      logger.info(line, 'request');
    }
  };
}

function bodylessError(ctx: Koa.Context): HttpError {
  const allowed = String(ctx.response.get('Allow') || 'none');
  switch (ctx.status) {
    case 404:
      return new HttpError(404, 'NOT_FOUND', `no route for ${ctx.method} ${ctx.path}`);
    case 405:
      return new HttpError(
        405,
        'METHOD_NOT_ALLOWED',
        `${ctx.method} is not allowed on ${ctx.path} (allowed: ${allowed})`,
      );
    case 501:
      return new HttpError(
        501,
        'NOT_IMPLEMENTED',
        `${ctx.method} is not a method this service implements (allowed on ${ctx.path}: ${allowed})`,
      );
    default:
      return new HttpError(
        ctx.status,
        (STATUS_CODES[ctx.status] ?? 'ERROR').toUpperCase().replace(/[^A-Z]+/g, '_'),
        `${ctx.method} ${ctx.path}: ${STATUS_CODES[ctx.status] ?? 'error'}`,
      );
  }
}

function errorResponse(ctx: Koa.Context, e: unknown, id: string, logger: Logger): void {
  let body: ErrorBody;
  if (e instanceof HttpError) {
    body = { error_code: e.code, message: e.message, status: e.status, request_id: id };
    if (e.errors) body.errors = e.errors;
    if (e.headers) for (const [k, v] of Object.entries(e.headers)) ctx.set(k, v);
  } else if (e instanceof MlopsError && (e.kind === 'input' || e.kind === 'usage')) {
    body = { error_code: 'INVALID_PARAMETER_VALUE', message: e.message, status: 422, request_id: id };
  } else {
    // Koa's own errors (e.g. ctx.throw) carry an HTTP status; anything else is our bug.
    const status = (e as { status?: number; expose?: boolean }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      body = { error_code: 'BAD_REQUEST', message: (e as Error).message, status, request_id: id };
    } else {
      logger.error({ req_id: id, err: e }, 'unhandled error');
      body = {
        error_code: 'INTERNAL_ERROR',
        message: 'internal error; see the service log for request ' + id,
        status: 500,
        request_id: id,
      };
    }
  }
  ctx.status = body.status;
  ctx.body = body;
}
