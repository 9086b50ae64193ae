/**
 * node:cluster mode: the primary forks one worker per core, restarts a worker that
 * dies, and on SIGTERM passes the signal on and waits for every worker to drain.
 * /metrics, answered by whichever worker gets the request, asks the primary, which
 * aggregates all workers' registries with prom-client's AggregatorRegistry.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import client from 'prom-client';
import type { ServiceOptions } from './config.ts';
import type { StartedService } from './main.ts';

interface MetricsAsk {
  type: 'mlops:metrics';
  id: string;
}
interface MetricsReply {
  type: 'mlops:metrics-reply';
  id: string;
  text?: string;
  error?: string;
}

export async function runPrimary(options: ServiceOptions, workers: number, log: (line: string) => void): Promise<StartedService> {
  const aggregator = new client.AggregatorRegistry();
  // Request garbage is short-lived: small young-generation semi-spaces keep scavenges cheap
  // and take about 20 MB off each worker's resident memory (measured with bench:service).
  const tuned = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-semi-space-size'));
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...(tuned ? [] : ['--max-semi-space-size=2'])] });
  let stopping = false;
  const live = new Set<Worker>();
  const fork = (): Worker => {
    const w = cluster.fork();
    live.add(w);
    w.on('message', (m: MetricsAsk) => {
      if (m?.type !== 'mlops:metrics') return;
      aggregator.clusterMetrics().then(
        (text) => w.send({ type: 'mlops:metrics-reply', id: m.id, text } satisfies MetricsReply),
        (e: Error) => w.send({ type: 'mlops:metrics-reply', id: m.id, error: e.message } satisfies MetricsReply),
      );
    });
    w.on('exit', (code, signal) => {
      live.delete(w);
      if (!stopping) {
        log(`worker ${w.process.pid} exited (${signal ?? code}); starting another`);
        fork();
      }
    });
    return w;
  };
  const listening = Array.from({ length: workers }, () => {
    const w = fork();
    return new Promise<void>((resolve, reject) => {
      w.once('listening', () => resolve());
      w.once('exit', (code) => reject(new Error(`worker exited with code ${code} before listening (see its log)`)));
    });
  });
  try {
    await Promise.all(listening);
  } catch (e) {
    stopping = true;
    for (const w of live) w.process.kill('SIGTERM');
    throw e;
  }
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${shownHost}:${options.port}`;
  log(`serving with ${workers} workers at ${url}`);
  return {
    url,
    close: () => {
      stopping = true;
      const exits = [...live].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
      for (const w of live) w.process.kill('SIGTERM');
      return Promise.all(exits).then(() => undefined);
    },
  };
}

/** In a worker: /metrics text aggregated over the cluster by the primary. */
export function clusterMetricsText(options: ServiceOptions): () => Promise<string> {
  const pending = new Map<string, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  process.on('message', (m: MetricsReply) => {
    if (m?.type !== 'mlops:metrics-reply') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.text !== undefined) p.resolve(m.text);
    else p.reject(new Error(m.error ?? 'metrics aggregation failed'));
  });
  // The primary going away (killed) must not leave workers serving alone.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      pending.set(id, { resolve, reject });
      const t = setTimeout(() => {
        pending.delete(id);
        reject(new Error('metrics aggregation timed out'));
      }, Math.min(options.requestTimeoutMs, 5000));
      t.unref();
      process.send!({ type: 'mlops:metrics', id } satisfies MetricsAsk);
    });
}

/** Registers the worker's registry with prom-client's cluster protocol. */
export function shareRegistry(registry: client.Registry): void {
  if (!cluster.isWorker) return;
  // Constructing one installs prom-client's worker-side listener for the primary's requests.
  new client.AggregatorRegistry();
  client.AggregatorRegistry.setRegistries([registry]);
}
