/**
 * The worker side of the cluster metrics protocol (see service/runtime/cluster.ts): each worker
 * answers the primary's collect request with its registry as JSON, and the worker that
 * got the /metrics request aggregates every worker's part with prom-client.
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import client from 'prom-client';
import type { ServiceOptions } from '../config.ts';
import type { CollectAsk, CollectReply, MetricsAsk, MetricsReply } from './cluster.ts';

/** In a worker: /metrics text aggregated over the cluster. */
export function clusterMetricsText(options: ServiceOptions): () => Promise<string> {
  const pending = new Map<string, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  process.on('message', (m: MetricsReply) => {
    if (m?.type !== 'mlops:metrics-reply') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.parts !== undefined) {
      // Aggregated with each metric's own rule (sum, or `first` for the model gauge).
      client.AggregatorRegistry.aggregate(m.parts as Parameters<typeof client.AggregatorRegistry.aggregate>[0])
        .metrics()
        .then(p.resolve, p.reject);
    } else p.reject(new Error(m.error ?? 'metrics aggregation failed'));
  });
  // The primary going away (killed) must not leave workers serving alone.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      pending.set(id, { resolve, reject });
      const t = setTimeout(
        () => {
          pending.delete(id);
          reject(new Error('metrics aggregation timed out'));
        },
        Math.min(options.requestTimeoutMs, 5000),
      );
      t.unref();
      process.send!({ type: 'mlops:metrics', id } satisfies MetricsAsk);
    });
}

/** In a worker: answers the primary's requests for this worker's metrics from `registry`. */
export function shareRegistry(registry: client.Registry): void {
  if (!cluster.isWorker) return;
  process.on('message', (m: CollectAsk) => {
    if (m?.type !== 'mlops:metrics-collect') return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send!({ type: 'mlops:metrics-part', id: m.id, metrics } satisfies CollectReply),
      (e: Error) => process.send!({ type: 'mlops:metrics-part', id: m.id, error: e.message } satisfies CollectReply),
    );
  });
}
