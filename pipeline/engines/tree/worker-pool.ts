/**
 * Forest worker threads kept between fits: starting one costs a few hundred
 * milliseconds (it loads the TypeScript toolchain), far more than growing a small
 * forest, so repeated fits (tuning, cross-validation) reuse warm threads. Idle threads
 * are unreferenced and never keep the process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Where threads load their code from (replaceable so tests can simulate a broken install). */
export const workerPool = { bootstrap: new URL('./forest-worker-bootstrap.mjs', import.meta.url) };

const idle: Worker[] = [];
let live = 0;

/** Up to `k` threads: idle ones first, then new ones while fewer than the cores run. */
export function acquireWorkers(k: number): Worker[] {
  const out: Worker[] = [];
  while (out.length < k && idle.length > 0) out.push(idle.pop()!);
  const cap = Math.max(1, availableParallelism());
  while (out.length < k && live < cap) {
    const w = new Worker(workerPool.bootstrap);
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

/** Returns a thread that finished its part of a fit (its fit's listeners removed) to the pool. */
export function releaseWorker(w: Worker): void {
  w.unref();
  idle.push(w);
}

/** Drops a thread that failed. */
export function discardWorker(w: Worker): void {
  void w.terminate();
}
