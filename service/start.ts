/**
 * The scoring service as a library: `startService` loads the model and listens,
 * `serveForever` runs until SIGTERM/SIGINT. The container image, `npm start` and `mlops serve`
 * (through service/launch.ts) all run the bundle of service/main.ts, which comes through here.
 * With WORKERS > 1 (or `auto` = one per core), WORKER_MODE picks how: `threads` (default)
 * serves from that many threads of one process sharing one listening socket
 * (service/runtime/threads.ts), `cluster` from node:cluster worker processes
 * (service/runtime/cluster.ts). A bundle that does not verify stops the service before it listens.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { isMlopsError } from '../pipeline/core/index.ts';
import type { ServiceOptions } from './config.ts';
import { applyHeapPolicy } from './runtime/heap.ts';
import type { StartedService } from './runtime/started.ts';
import type { LoadedService } from './http/app.ts';
import type { RunningServer } from './http/server.ts';

export type { StartedService } from './runtime/started.ts';

/** Loads the model and listens; resolves once the service accepts requests. */
export async function startService(
  options: ServiceOptions,
  log: (line: string) => void = () => undefined,
): Promise<StartedService> {
  const workers = options.workers === 0 ? availableParallelism() : options.workers;
  if (workers > 1 && options.workerMode === 'threads' && isMainThread && !cluster.isWorker) {
    // Serving threads run the process entry: the bundle itself (this module is in its entry
    // chunk), or service/main.ts through a loader bootstrap when running from source.
    const { runThreads } = await import('./runtime/threads.ts');
    return runThreads(options, workers, new URL(import.meta.url), log);
  }
  if (workers > 1 && options.workerMode === 'cluster' && cluster.isPrimary) {
    // The primary only forks and relays metrics: it never loads the app or the model,
    // which keeps its memory small (parsing a bundle to check its digest here would keep
    // its parsed copy in the heap for good). Each worker verifies the bundle as it loads it; one that
    // fails to start (a digest that does not verify) stops the whole service.
    const { runPrimary } = await import('./runtime/cluster.ts');
    return runPrimary(options, workers, log);
  }
  const [{ loadService }, { listen }, { clusterMetricsText }] = await Promise.all([
    import('./http/app.ts'),
    import('./http/server.ts'),
    import('./runtime/cluster-worker.ts'),
  ]);
  let svc: LoadedService;
  let running: RunningServer;
  try {
    svc = loadService(options, cluster.isWorker ? { metricsText: clusterMetricsText(options) } : {});
    running = await listen(svc, options.host, options.port);
  } catch (e) {
    // A worker that cannot start (e.g. a bundle whose digest does not verify) must exit,
    // or its IPC channel keeps it alive and the primary waits for it forever.
    if (!cluster.isWorker) throw e;
    process.stderr.write(`error: ${isMlopsError(e) ? e.message : (e as Error).stack}\n`);
    process.exit(1);
  }
  const { ref } = svc.state.scorer;
  svc.state.logger.info(
    {
      url: running.url,
      model: ref,
      path: svc.state.source.path,
      workers: cluster.isWorker ? workers : 1,
      api_keys: svc.state.keys.enabled,
    },
    'listening',
  );
  if (!cluster.isWorker)
    log(`serving ${ref.name} v${ref.version ?? '?'} (${ref.digest.slice(0, 19)}…) at ${running.url}`);
  return {
    url: running.url,
    close: async () => {
      await running.close();
      svc.state.logger.flush();
    },
  };
}

/** Runs until SIGTERM/SIGINT, then shuts down gracefully. */
export async function serveForever(options: ServiceOptions, log: (line: string) => void): Promise<void> {
  // Before the model and the app are loaded: it bounds how much dead memory stays resident.
  applyHeapPolicy(options);
  const s = await startService(options, log);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      s.close().then(resolve, resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  // A cluster worker's IPC channel would keep it alive after draining; the primary
  // waits for every worker to exit before it exits itself.
  if (cluster.isWorker) process.exit(0);
}
