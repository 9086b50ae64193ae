/**
 * How the tree engines use worker threads, given to them explicitly: a fit's threading
 * comes with its FitContext, a loaded model's scoring runtime with the engine options it
 * is restored with. Nothing here is a process-wide switch; callers that pass nothing get
 * the defaults below, which share the process's worker pool.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { sharedWorkerPool, type WorkerPool } from './worker-pool.ts';

/** When a forest fit brings worker threads in (its results never depend on it). */
export interface FitThreading {
  pool: WorkerPool;
  /**
   * A warm pooled thread (left idle by an earlier fit or scoring, as in tuning and
   * cross-validation) joins cheaply, so a forest that the main thread alone would finish
   * within this many seconds is grown in-process.
   */
  minSeconds: number;
  /**
   * Starting a new thread costs far more (bundling its code, booting it, and first trees
   * that run before its JIT has warmed up), so new threads are started only when the rest
   * would take the main thread longer than this many seconds.
   */
  minSecondsCold: number;
  /** When false the main thread only coordinates, so threads surely take part (tests). */
  mainThreadGrows: boolean;
}

export const DEFAULT_FIT_THREADING: Readonly<FitThreading> = Object.freeze({
  pool: sharedWorkerPool,
  minSeconds: 0.1,
  minSecondsCold: 0.5,
  mainThreadGrows: true,
});

export interface ScoringOptions {
  /** Helper threads at most (besides the caller); 0 scores on the calling thread only. */
  threads: number;
  /** Batches with fewer tree walks (rows × trees) than this stay on the calling thread: handing them over costs more. */
  minWalks: number;
  /** A helper that claimed a block and made no progress for this long (ms) is given up on. */
  stallMs: number;
  pool: WorkerPool;
}

/**
 * Large batches scored by the calling thread and helper threads together
 * (parallel-scoring.ts); scores are bit-identical whatever the thread count.
 */
export class ScoringRuntime {
  readonly threads: number;
  readonly minWalks: number;
  readonly stallMs: number;
  readonly pool: WorkerPool;
  /** The last parallel batch: its blocks, how many helpers scored, whether a helper stalled (diagnostics, tests). */
  last = { blocks: 0, byHelpers: 0, stalled: false };
  private failed = false;
  private readonly watched = new WeakSet<Worker>();

  constructor(options: Partial<ScoringOptions> = {}) {
    this.threads = options.threads ?? Math.min(3, availableParallelism() - 1);
    this.minWalks = options.minWalks ?? 1 << 16;
    this.stallMs = options.stallMs ?? 10_000;
    this.pool = options.pool ?? sharedWorkerPool;
  }

  /**
   * True once a helper failed (typically: it could not start, as in a bundled service
   * image that ships neither the worker's source nor a TypeScript loader): helpers are
   * not asked again, rather than a doomed thread being started for every batch.
   */
  get helpersFailed(): boolean {
    return this.failed;
  }

  /** How many helpers a batch of `rows` rows × `trees` trees is worth. */
  helpersFor(rows: number, trees: number): number {
    // At least 64 rows for each thread taking part, the caller included.
    if (this.failed || this.threads <= 0 || rows * trees < this.minWalks || rows < 128) return 0;
    return Math.min(this.threads, Math.floor(rows / 64) - 1);
  }

  /** Up to `k` helper threads from the pool, each watched for failure. */
  acquireHelpers(k: number): Worker[] {
    const threads = this.pool.acquire(k);
    for (const w of threads) {
      if (this.watched.has(w)) continue;
      this.watched.add(w);
      w.once('error', () => {
        this.failed = true;
      });
    }
    return threads;
  }
}

/** The runtime of engines given none: up to three helpers from the process's pool. */
export const defaultScoring = new ScoringRuntime();
