/**
 * Prometheus metrics with prom-client, in a registry of the app's own (not the global
 * one) so several apps in one process (tests) do not collide. Label children are cached
 * because the request path records one observation per request.
 */
import client from 'prom-client';
import type { ModelRef } from '../scoring/scoring.ts';

export interface ServiceMetrics {
  registry: client.Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  countPredictions(decision: string, n: number): void;
}

/** Latency buckets (seconds) around the service's 10 ms target. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(model: ModelRef, opts: { defaultMetrics?: boolean } = {}): ServiceMetrics {
  const registry = new client.Registry();
  if (opts.defaultMetrics ?? true) client.collectDefaultMetrics({ register: registry });
  const version = model.version === null ? 'unknown' : String(model.version);
  const info = new client.Gauge({
    name: 'mlops_model_info',
    help: 'The model being served (value is always 1).',
    labelNames: ['model', 'version', 'digest'],
    registers: [registry],
    // Every worker serves the same model: aggregated over a cluster it stays 1.
    aggregator: 'first',
  });
  info.set({ model: model.name, version, digest: model.digest }, 1);
  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const predictions = new client.Counter({
    name: 'mlops_predictions_total',
    help: 'Applicants scored, by decision and model version.',
    labelNames: ['decision', 'model', 'version'],
    registers: [registry],
  });
  const reqChildren = new Map<string, { c: client.Counter.Internal; h: client.Histogram.Internal<string> }>();
  const predChildren = new Map<string, client.Counter.Internal>();
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let ch = reqChildren.get(key);
      if (!ch) {
        const labels = { method, route, status: String(status) };
        ch = { c: requests.labels(labels), h: duration.labels(labels) };
        reqChildren.set(key, ch);
      }
      ch.c.inc();
      ch.h.observe(seconds);
    },
    countPredictions(decision, n) {
      let ch = predChildren.get(decision);
      if (!ch) {
        ch = predictions.labels({ decision, model: model.name, version });
        predChildren.set(decision, ch);
      }
      ch.inc(n);
    },
  };
}
