/**
 * WORKER_MODE=threads (the default for WORKERS > 1): one process whose main thread loads
 * the app and listens, and whose other threads (node:worker_threads) load their own copy
 * and accept on the very same listening socket (`server.listen({ fd })`). One process
 * instead of a cluster's primary plus a process per worker: the Node binary, its
 * libraries and the process overhead are paid once (less resident memory than a cluster
 * at the same throughput; docs/service.md has the figures).
 *
 * - Connections are spread evenly over the threads by service/runtime/balance.ts.
 * - /metrics, answered by whichever thread gets the request, is every thread's registry
 *   (prom-client's JSON form) aggregated on the main thread, as in cluster mode. Process
 *   metrics (CPU, resident memory) come from the main thread only: they are the process's.
 * - On SIGTERM every thread stops accepting and drains its in-flight requests; the
 *   process exits once all threads have.
 * - Every thread's server wraps the same file descriptor (Node 20 cannot duplicate it), so
 *   the first thread to close its server closes the socket for all, and the others'
 *   closes of that number, moments later at shutdown, find it already closed.
 * - A thread that dies stops the service (exit code 1), for the supervisor (the
 *   container runtime, Kubernetes) to restart: a thread's exit closes the listening
 *   socket all threads share, so it cannot be replaced in place. Use WORKER_MODE=cluster
 *   where workers must be restarted in place.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import client from 'prom-client';
import { isMlopsError, MlopsError } from '../../pipeline/core/index.ts';
import type { ServiceOptions } from '../config.ts';
import type { StartedService } from './started.ts';
import { loadService } from '../http/app.ts';
import { createLogger } from '../logging/logging.ts';
import { listen } from '../http/server.ts';
import { connectionCounts } from './balance.ts';

/** What a serving thread is started with. */
export interface ThreadData {
  options: ServiceOptions;
  /** The main thread's listening socket. */
  fd: number;
  index: number;
  counts: Int32Array;
}

/** Messages between the main thread and a serving thread. */
type ToThread =
  | { type: 'collect'; id: number }
  | { type: 'metrics-text'; id: number; text?: string; error?: string }
  | { type: 'stop' };
type ToMain =
  | { type: 'listening' }
  | { type: 'part'; id: number; metrics?: unknown[]; error?: string }
  | { type: 'metrics'; id: number }
  | { type: 'failed'; message: string };

const KEY = 'mlopsServiceThread';
/** Time to gather every thread's metrics. */
const COLLECT_TIMEOUT_MS = 5000;

/** In a thread started by `runThreads`: its data, else null. */
export function serviceThreadData(): ThreadData | null {
  if (isMainThread) return null;
  const d = (workerData as Record<string, unknown> | null)?.[KEY];
  return d ? (d as ThreadData) : null;
}

/**
 * The code a serving thread runs: `entry` itself (the bundle, or service/main.ts under
 * the TypeScript loader the main thread runs with; `mlops serve` registers that loader in
 * code, which threads do not inherit, so then a bootstrap registers it first).
 */
function threadEntry(entry: URL): URL {
  // The bootstrap sits beside this file and loads service/main.ts itself.
  return entry.pathname.endsWith('.ts') ? new URL('./thread-bootstrap.mjs', import.meta.url) : entry;
}

/** The main thread: loads the app, listens, starts `threads - 1` more serving threads. */
export async function runThreads(
  options: ServiceOptions,
  threads: number,
  entry: URL,
  log: (line: string) => void,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<StartedService> {
  const counts = connectionCounts(threads);
  const workers = new Set<Worker>();
  let nextId = 0;
  const collecting = new Map<number, { parts: unknown[][]; pending: number; done: (e: Error | null) => void }>();

  // Every thread's registry, aggregated with each metric's own rule (sum, or `first`).
  const registry = (): client.Registry => svc.state.metrics.registry;
  const metricsText = async (): Promise<string> => {
    const own = await registry().getMetricsAsJSON();
    const targets = [...workers];
    const parts: unknown[][] = [own];
    if (targets.length > 0) {
      const id = nextId++;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error('metrics aggregation timed out')), COLLECT_TIMEOUT_MS);
        timer.unref();
        const done = (e: Error | null): void => {
          clearTimeout(timer);
          collecting.delete(id);
          if (e) reject(e);
          else resolve();
        };
        collecting.set(id, { parts, pending: targets.length, done });
        for (const w of targets) w.postMessage({ type: 'collect', id } satisfies ToThread);
      });
    }
    return client.AggregatorRegistry.aggregate(
      parts as Parameters<typeof client.AggregatorRegistry.aggregate>[0],
    ).metrics();
  };

  // Log lines say which thread served the request.
  const svc = loadService(options, { metricsText, logger: createLogger(options.logLevel).child({ thread: 0 }) });
  const running = await listen(svc, options.host, options.port, { balance: { counts, index: 0 } });
  const fd = (running.server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    await running.close();
    throw new MlopsError(
      'state',
      'WORKER_MODE=threads needs a listening socket with a file descriptor; use WORKER_MODE=cluster here',
    );
  }

  let stopping = false;
  let started = false;
  let fail: (e: Error) => void = () => undefined;
  const stopped = new Promise<Error>((resolve) => (fail = resolve));
  const tuned = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-semi-space-size'));
  const start = (index: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(threadEntry(entry), {
        workerData: { [KEY]: { options, fd, index, counts } satisfies ThreadData },
        // Request garbage is short-lived: a small young generation keeps memory down, as
        // --max-semi-space-size=2 (the image's NODE_OPTIONS) does for the main thread.
        ...(tuned ? {} : { resourceLimits: { maxYoungGenerationSizeMb: 6 } }),
      });
      workers.add(w);
      let listening = false;
      let reason = '';
      w.on('message', (m: ToMain) => {
        if (m.type === 'listening') {
          listening = true;
          resolve();
        } else if (m.type === 'failed') reason = m.message;
        else if (m.type === 'part') {
          const c = collecting.get(m.id);
          if (!c) return;
          if (m.error !== undefined || !m.metrics) return c.done(new Error(m.error ?? 'a thread sent no metrics'));
          c.parts.push(m.metrics);
          if (--c.pending === 0) c.done(null);
        } else if (m.type === 'metrics') {
          metricsText().then(
            (text) => w.postMessage({ type: 'metrics-text', id: m.id, text } satisfies ToThread),
            (e: Error) => w.postMessage({ type: 'metrics-text', id: m.id, error: e.message } satisfies ToThread),
          );
        }
      });
      // Without a listener, a thread's uncaught error would be thrown on the main thread.
      w.on('error', (e) => (reason ||= e.stack ?? e.message));
      w.on('exit', (code) => {
        workers.delete(w);
        for (const c of collecting.values()) c.done(new Error('a thread exited while metrics were gathered'));
        if (!listening)
          return reject(
            new MlopsError(
              'state',
              `a serving thread exited with code ${code} before listening${reason ? `: ${reason}` : ''}`,
            ),
          );
        if (!stopping && started)
          fail(
            new MlopsError(
              'state',
              `serving thread ${index} exited (code ${code})${reason ? `: ${reason}` : ''}; stopping the service`,
            ),
          );
      });
    });

  const stopThreads = (): Promise<void> => {
    const exits = [...workers].map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    for (const w of workers) w.postMessage({ type: 'stop' } satisfies ToThread);
    return Promise.all(exits).then(() => undefined);
  };
  const close = async (): Promise<void> => {
    stopping = true;
    await Promise.all([running.close(), stopThreads()]);
    await new Promise<void>((resolve) => svc.state.logger.flush(() => resolve()));
  };

  try {
    await Promise.all(Array.from({ length: threads - 1 }, (_, i) => start(i + 1)));
    started = true;
  } catch (e) {
    await close();
    throw e;
  }
  stopped.then((e) => {
    if (stopping) return;
    log(`error: ${e.message}`);
    close().then(
      () => exit(1),
      () => exit(1),
    );
  });
  const { ref } = svc.state.scorer;
  svc.state.logger.info(
    { url: running.url, model: ref, path: svc.state.source.path, threads, api_keys: svc.state.keys.enabled },
    'listening',
  );
  log(
    `serving ${ref.name} v${ref.version ?? '?'} (${ref.digest.slice(0, 19)}…) with ${threads} threads at ${running.url}`,
  );
  return { url: running.url, close };
}

/** A serving thread: loads the app, accepts on the main thread's socket, answers the main thread's messages. */
export async function runServiceThread(data: ThreadData): Promise<void> {
  const port = parentPort!;
  const asked = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const metricsText = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      asked.set(id, { resolve, reject });
      const t = setTimeout(() => {
        asked.delete(id);
        reject(new Error('metrics aggregation timed out'));
      }, COLLECT_TIMEOUT_MS + 1000);
      t.unref();
      port.postMessage({ type: 'metrics', id } satisfies ToMain);
    });
  let running: Awaited<ReturnType<typeof listen>>;
  let svc: ReturnType<typeof loadService>;
  try {
    svc = loadService(data.options, {
      metricsText,
      processMetrics: false,
      logger: createLogger(data.options.logLevel).child({ thread: data.index }),
    });
    running = await listen(svc, data.options.host, data.options.port, {
      fd: data.fd,
      balance: { counts: data.counts, index: data.index },
    });
  } catch (e) {
    port.postMessage({
      type: 'failed',
      message: isMlopsError(e) ? e.message : ((e as Error).stack ?? String(e)),
    } satisfies ToMain);
    process.exit(1);
  }
  port.on('message', (m: ToThread) => {
    if (m.type === 'collect') {
      svc.state.metrics.registry.getMetricsAsJSON().then(
        (metrics) => port.postMessage({ type: 'part', id: m.id, metrics } satisfies ToMain),
        (e: Error) => port.postMessage({ type: 'part', id: m.id, error: e.message } satisfies ToMain),
      );
    } else if (m.type === 'metrics-text') {
      const p = asked.get(m.id);
      if (!p) return;
      asked.delete(m.id);
      if (m.text !== undefined) p.resolve(m.text);
      else p.reject(new Error(m.error ?? 'metrics aggregation failed'));
    } else if (m.type === 'stop') {
      running.close().then(() => svc.state.logger.flush(() => process.exit(0)));
    }
  });
  port.postMessage({ type: 'listening' } satisfies ToMain);
}
