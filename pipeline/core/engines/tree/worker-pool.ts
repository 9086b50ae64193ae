/**
 * Worker threads kept between jobs, so repeated fits (tuning, cross-validation) and
 * large batch scorings (parallel-scoring.ts) reuse warm threads. Idle threads are
 * unreferenced and never keep the process alive.
 *
 * Start-up cost decides whether threads pay at all on small data. A thread that loads
 * the TypeScript toolchain (the loader the main thread runs under) needs about 200 ms;
 * so the worker's code is bundled once per process with esbuild (about 30 ms, in
 * esbuild's own process while the main thread keeps growing trees) and started as
 * plain JavaScript without the loader, which is ready in about 40 ms. When esbuild is
 * unavailable or fails, threads fall back to the loader.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Where threads load their code from (replaceable so tests can simulate a broken install). */
export const workerPool = {
  /** The worker module, bundled into one plain-JavaScript string for fast start-up. */
  entry: new URL('./forest-worker.ts', import.meta.url),
  /** Fallback: registers the TypeScript loader, then imports the worker module. */
  bootstrap: new URL('./forest-worker-bootstrap.mjs', import.meta.url),
  /** How the last thread was started (diagnostics and tests). */
  lastStart: 'none' as 'none' | 'bundled' | 'loader',
};

/** undefined while the bundle is being built, null when it could not be built. */
let bundled: string | null | undefined;
let building: Promise<void> | null = null;
let builtFrom: string | null = null;

/**
 * Starts bundling the worker code if that has not happened yet; resolves when threads
 * can be started. Cheap to call repeatedly.
 */
export function prepareWorkers(): Promise<void> {
  const entry = workerPool.entry.href;
  if (building && builtFrom === entry) return building;
  builtFrom = entry;
  bundled = undefined;
  building = bundleWorker(fileURLToPath(workerPool.entry)).then((code) => {
    if (builtFrom === entry) bundled = code;
  });
  return building;
}

/** True once `prepareWorkers` has settled, i.e. starting a thread will not wait. */
export function workersReady(): boolean {
  return bundled !== undefined && builtFrom === workerPool.entry.href;
}

async function bundleWorker(entry: string): Promise<string | null> {
  try {
    // A computed specifier keeps bundlers (the service image is bundled) from pulling
    // esbuild itself in; the scoring service never trains forests.
    const specifier = 'esbuild';
    const esbuild = (await import(specifier)) as typeof import('esbuild');
    const result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
    });
    return result.outputFiles[0].text;
  } catch {
    return null;
  }
}

const idle: Worker[] = [];
let live = 0;

/** Threads started earlier and idle now (they join a job without a start-up cost). */
export function idleWorkers(): number {
  return idle.length;
}

/** Up to `k` threads: idle ones first, then new ones while fewer than the cores run. */
export function acquireWorkers(k: number): Worker[] {
  const out: Worker[] = [];
  while (out.length < k && idle.length > 0) out.push(idle.pop()!);
  const cap = Math.max(1, availableParallelism());
  while (out.length < k && live < cap) {
    const w = startWorker();
    // A thread that fails while no fit listens (e.g. one helping to score a batch, whose
    // caller does not wait for it) must not take the process down; 'exit' follows and
    // drops it from the pool. Fits add their own listener and report the failure.
    w.on('error', () => undefined);
    live++;
    w.once('exit', () => {
      live--;
      const i = idle.indexOf(w);
      if (i >= 0) idle.splice(i, 1);
    });
    out.push(w);
  }
  for (const w of out) w.ref();
  return out;
}

function startWorker(): Worker {
  if (workersReady() && bundled) {
    workerPool.lastStart = 'bundled';
    return new Worker(bundled, { eval: true, execArgv: [] });
  }
  workerPool.lastStart = 'loader';
  return new Worker(workerPool.bootstrap);
}

/** Returns a thread that finished its part of a fit (its fit's listeners removed) to the pool. */
export function releaseWorker(w: Worker): void {
  w.unref();
  idle.push(w);
}

/** Drops a thread that failed. */
export function discardWorker(w: Worker): void {
  void w.terminate();
}

/** Ends every idle thread (tests that swap the worker code use it to start afresh). */
export async function closeIdleWorkers(): Promise<void> {
  const all = idle.splice(0);
  await Promise.all(all.map((w) => w.terminate()));
}
