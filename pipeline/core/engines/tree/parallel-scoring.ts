/**
 * Large batches scored by the calling thread and pooled worker threads together, while
 * `predictProba` stays synchronous: the rows are copied into shared memory, each helper
 * is sent the batch, and every thread claims blocks of rows from a shared counter until
 * none is left; the caller then waits (Atomics.wait) only for blocks a helper has
 * claimed and not yet finished. A helper that is still starting simply finds nothing
 * left to claim, so the caller never waits for a thread to boot. Each row's trees are
 * summed in tree order whichever thread scores it, so results are bit-identical to
 * scoring on one thread.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { FeatureMatrix } from '../engine.ts';
import {
  BLOCK_ROWS,
  BY_HELPER,
  BY_MAIN,
  DONE,
  STATUS,
  blockCount,
  blockScratch,
  scoreBlock,
  workOnBatch,
  type BlockModel,
  type SharedBatch,
} from './block-walk.ts';
import type { ScoreRequest } from './forest-protocol.ts';
import { acquireWorkers, discardWorker, prepareWorkers, releaseWorker } from './worker-pool.ts';

export const parallelScoring = {
  /** Helper threads at most (besides the caller); 0 scores on the calling thread only. */
  threads: Math.min(3, availableParallelism() - 1),
  /**
   * Batches with fewer tree walks (rows × trees) than this stay on the calling thread:
   * about 3 ms of work, against some 50 µs to hand a batch over.
   */
  minWalks: 1 << 16,
  /** A helper that claimed a block and made no progress for this long is given up on. */
  stallMs: 10_000,
  /** The last parallel batch: its blocks, how many helpers scored, whether a helper stalled (diagnostics, tests). */
  last: { blocks: 0, byHelpers: 0, stalled: false },

  /** How many helpers a batch of `rows` rows × `trees` trees is worth. */
  helpersFor(rows: number, trees: number): number {
    // At least 64 rows for each thread taking part, the caller included.
    if (this.threads <= 0 || rows * trees < this.minWalks || rows < 128) return 0;
    return Math.min(this.threads, Math.floor(rows / 64) - 1);
  },
};

export function addScoresInParallel(
  model: BlockModel,
  X: FeatureMatrix,
  out: Float64Array,
  from: number,
  to: number,
  helpers: number,
): void {
  const n = X.rows;
  const d = X.columns.length;
  // Small enough blocks that every thread gets several, so none waits long for the last.
  const chunk = Math.max(32, Math.min(BLOCK_ROWS, Math.ceil(n / (4 * (helpers + 1)))));
  const nBlocks = blockCount(n, chunk);
  const columns = new Float64Array(new SharedArrayBuffer(Math.max(8, n * d * 8))).subarray(0, n * d);
  X.columns.forEach((c, f) => columns.set(c.subarray(0, n), f * n));
  const start = new Float64Array(new SharedArrayBuffer(Math.max(8, n * 8))).subarray(0, n);
  start.set(out.subarray(0, n));
  const shared = new Float64Array(new SharedArrayBuffer(Math.max(8, n * 8))).subarray(0, n);
  const ctl = new Int32Array(new SharedArrayBuffer(4 * (STATUS + nBlocks)));
  const batch: SharedBatch = { model, columns, rows: n, chunk, start, out: shared, from, to, ctl };
  // Later batches start threads from the bundled worker code (fast) once it is built.
  void prepareWorkers();
  const threads = acquireWorkers(helpers);
  for (const w of threads) watchForFailure(w);
  for (const w of threads) w.postMessage({ type: 'score', batch } satisfies ScoreRequest);
  workOnBatch(batch, BY_MAIN);
  const stalled = waitForHelpers(ctl, nBlocks);
  if (stalled) {
    // A helper died or hangs with blocks it claimed: score them here. Its late writes, if
    // any, are the same values.
    const cols = Array.from({ length: d }, (_, f) => columns.subarray(f * n, (f + 1) * n));
    const scratch = blockScratch(d);
    for (let b = 0; b < nBlocks; b++) {
      if (Atomics.load(ctl, STATUS + b) >= BY_MAIN) continue;
      const r0 = b * chunk;
      scoreBlock(model, cols, r0, Math.min(chunk, n - r0), start, shared, from, to, scratch);
    }
  }
  let byHelpers = 0;
  for (let b = 0; b < nBlocks; b++) if (Atomics.load(ctl, STATUS + b) === BY_HELPER) byHelpers++;
  parallelScoring.last = { blocks: nBlocks, byHelpers, stalled };
  out.set(shared);
  for (const w of threads) (stalled ? discardWorker : releaseWorker)(w);
}

const watched = new WeakSet<Worker>();
/**
 * A helper that fails (typically: it cannot start, as in a bundled service image that
 * ships neither the worker's source nor a TypeScript loader) turns helpers off for the
 * process, rather than a doomed thread being started for every batch.
 */
function watchForFailure(w: Worker): void {
  if (watched.has(w)) return;
  watched.add(w);
  w.once('error', () => {
    parallelScoring.threads = 0;
  });
}

/** Waits until every block is done; true when helpers stopped making progress first. */
function waitForHelpers(ctl: Int32Array, nBlocks: number): boolean {
  let seen = Atomics.load(ctl, DONE);
  let since = performance.now();
  while (seen < nBlocks) {
    Atomics.wait(ctl, DONE, seen, 50);
    const now = Atomics.load(ctl, DONE);
    if (now !== seen) {
      seen = now;
      since = performance.now();
    } else if (performance.now() - since > parallelScoring.stallMs) {
      return true;
    }
  }
  return false;
}
