/** Operations: liveness, readiness and Prometheus metrics. */
import Router from '@koa/router';
import type { ServiceState } from '../state.ts';
import { HttpError } from '../http-error.ts';

export function opsRouter(s: ServiceState): Router {
  const r = new Router();
  r.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  r.get('/readyz', (ctx) => {
    if (!s.ready) throw new HttpError(503, 'UNAVAILABLE', 'not ready: the service is starting or shutting down');
    ctx.body = { status: 'ready', model: s.scorer.ref };
  });
  r.get('/metrics', async (ctx) => {
    ctx.type = s.metrics.registry.contentType;
    ctx.body = await s.metricsText();
  });
  return r;
}
