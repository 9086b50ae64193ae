/**
 * Worker threads kept between jobs, so repeated fits (tuning, cross-validation) and
 * large batch scorings (parallel-scoring.ts) reuse warm threads. Idle threads are
 * unreferenced and never keep the process alive.
 *
 * Start-up cost decides whether threads pay at all on small data. A thread that loads
 * the TypeScript toolchain (the loader the main thread runs under) is slow to start, so
 * the worker's code is bundled once per pool with esbuild (in esbuild's own process,
 * while the main thread keeps growing trees) and started as plain JavaScript without the
 * loader. When esbuild is unavailable or fails, threads fall back to the loader.
 *
 * Inside a bundle (the actions' dist/index.js, which runs with no node_modules) there is
 * neither esbuild nor the loader: the build writes the worker, already bundled, beside
 * the bundle as forest-worker.cjs, and threads start from that.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Where a pool's threads load their code from. */
export interface WorkerCode {
  /** The worker module, bundled into one plain-JavaScript string for fast start-up. */
  entry: URL;
  /** Fallback: registers the TypeScript loader, then imports the worker module. */
  bootstrap: URL;
}

export const FOREST_WORKER: WorkerCode = {
  entry: new URL(import.meta.url.endsWith('.ts') ? './forest-worker.ts' : './forest-worker.cjs', import.meta.url),
  bootstrap: new URL('./forest-worker-bootstrap.mjs', import.meta.url),
};

export class WorkerPool {
  /** How the last thread was started (diagnostics and tests). */
  lastStart: 'none' | 'bundled' | 'loader' = 'none';
  /** undefined while the bundle is being built, null when it could not be built. */
  private bundled: string | null | undefined;
  private building: Promise<void> | null = null;
  private readonly idle: Worker[] = [];
  private live = 0;

  /** `code` is replaceable so tests can simulate a broken install or a hanging thread. */
  constructor(readonly code: WorkerCode = FOREST_WORKER) {}

  /**
   * Starts bundling the worker code if that has not happened yet; resolves when threads
   * can be started. Cheap to call repeatedly.
   */
  prepare(): Promise<void> {
    this.building ??= bundleWorker(fileURLToPath(this.code.entry)).then((code) => {
      this.bundled = code;
    });
    return this.building;
  }

  /** True once `prepare` has settled, i.e. starting a thread will not wait. */
  ready(): boolean {
    return this.bundled !== undefined;
  }

  /** Threads started earlier and idle now (they join a job without a start-up cost). */
  idleCount(): number {
    return this.idle.length;
  }

  /** Up to `k` threads: idle ones first, then new ones while fewer than the cores run. */
  acquire(k: number): Worker[] {
    const out: Worker[] = [];
    while (out.length < k && this.idle.length > 0) out.push(this.idle.pop()!);
    const cap = Math.max(1, availableParallelism());
    while (out.length < k && this.live < cap) {
      const w = this.start();
      // A thread that fails while no fit listens (e.g. one helping to score a batch, whose
      // caller does not wait for it) must not take the process down; 'exit' follows and
      // drops it from the pool. Fits add their own listener and report the failure.
      w.on('error', () => undefined);
      this.live++;
      w.once('exit', () => {
        this.live--;
        const i = this.idle.indexOf(w);
        if (i >= 0) this.idle.splice(i, 1);
      });
      out.push(w);
    }
    for (const w of out) w.ref();
    return out;
  }

  /** Returns a thread that finished its part of a job (its job's listeners removed) to the pool. */
  release(w: Worker): void {
    w.unref();
    this.idle.push(w);
  }

  /** Drops a thread that failed. */
  discard(w: Worker): void {
    void w.terminate();
  }

  /** Ends every idle thread. */
  async closeIdle(): Promise<void> {
    const all = this.idle.splice(0);
    await Promise.all(all.map((w) => w.terminate()));
  }

  private start(): Worker {
    if (this.bundled) {
      this.lastStart = 'bundled';
      return new Worker(this.bundled, { eval: true, execArgv: [] });
    }
    this.lastStart = 'loader';
    return new Worker(this.code.bootstrap);
  }
}

/** The process's pool: fits and batch scorings that are given no other share its warm threads. */
export const sharedWorkerPool = new WorkerPool();

async function bundleWorker(entry: string): Promise<string | null> {
  try {
    if (entry.endsWith('.cjs')) return await readFile(entry, 'utf8');
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
