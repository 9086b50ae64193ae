/**
 * node:cluster mode: the primary forks one worker per core, restarts a worker that
 * dies, and on SIGTERM passes the signal on and waits for every worker to drain.
 * /metrics, answered by whichever worker gets the request, asks the primary, which
 * collects every worker's metrics (prom-client's JSON form) and hands them back to that
 * worker to aggregate (service/runtime/cluster-worker.ts). The primary itself loads nothing but
 * this file — no prom-client, no model, no Koa — so it stays small.
 */
import cluster, { type Worker } from 'node:cluster';
import { MlopsError } from '../../pipeline/core/index.ts';
import type { ServiceOptions } from '../config.ts';
import type { StartedService } from './started.ts';

/** Worker → primary: send me every worker's metrics. */
export interface MetricsAsk {
  type: 'mlops:metrics';
  id: string;
}
/** Primary → worker: the metrics of every worker (getMetricsAsJSON of each), or why not. */
export interface MetricsReply {
  type: 'mlops:metrics-reply';
  id: string;
  parts?: unknown[][];
  error?: string;
}
/** Primary → every worker: your metrics, please. */
export interface CollectAsk {
  type: 'mlops:metrics-collect';
  id: number;
}
export interface CollectReply {
  type: 'mlops:metrics-part';
  id: number;
  metrics?: unknown[];
  error?: string;
}

/** Time the primary waits for all workers' metrics. */
const COLLECT_TIMEOUT_MS = 5000;

export async function runPrimary(
  options: ServiceOptions,
  workers: number,
  log: (line: string) => void,
): Promise<StartedService> {
  // Request garbage is short-lived: small young-generation semi-spaces keep scavenges cheap
  // and lower each worker's resident memory (docs/service.md, measured with bench:service).
  const tuned = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-semi-space-size'));
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...(tuned ? [] : ['--max-semi-space-size=2'])] });
  let stopping = false;
  let started = false;
  const live = new Set<Worker>();
  let nextCollect = 0;
  const collecting = new Map<
    number,
    { parts: unknown[][]; pending: number; done: (r: Omit<MetricsReply, 'type' | 'id'>) => void }
  >();
  const collect = (): Promise<Omit<MetricsReply, 'type' | 'id'>> =>
    new Promise((resolve) => {
      const id = nextCollect++;
      const targets = [...live].filter((w) => w.isConnected());
      if (targets.length === 0) return resolve({ parts: [] });
      const timer = setTimeout(() => done({ error: 'metrics aggregation timed out' }), COLLECT_TIMEOUT_MS);
      timer.unref();
      const done = (r: Omit<MetricsReply, 'type' | 'id'>): void => {
        clearTimeout(timer);
        collecting.delete(id);
        resolve(r);
      };
      collecting.set(id, { parts: [], pending: targets.length, done });
      for (const w of targets) w.send({ type: 'mlops:metrics-collect', id } satisfies CollectAsk);
    });
  const fork = (): Worker => {
    const w = cluster.fork();
    live.add(w);
    w.on('message', (m: MetricsAsk | CollectReply) => {
      if (m?.type === 'mlops:metrics') {
        collect().then((r) => w.send({ type: 'mlops:metrics-reply', id: m.id, ...r } satisfies MetricsReply));
      } else if (m?.type === 'mlops:metrics-part') {
        const c = collecting.get(m.id);
        if (!c) return;
        if (m.error !== undefined || !m.metrics) return c.done({ error: m.error ?? 'a worker sent no metrics' });
        c.parts.push(m.metrics);
        if (--c.pending === 0) c.done({ parts: c.parts });
      }
    });
    w.on('exit', (code, signal) => {
      live.delete(w);
      // A worker that dies before the service has started is a start-up failure, not a crash.
      if (!stopping && started) {
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
      w.once('exit', (code) =>
        reject(new MlopsError('state', `a worker exited with code ${code} before listening (its error is above)`)),
      );
    });
  });
  try {
    await Promise.all(listening);
    started = true;
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
      const exits = [...live].map(
        (w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))),
      );
      for (const w of live) w.process.kill('SIGTERM');
      return Promise.all(exits).then(() => undefined);
    },
  };
}
