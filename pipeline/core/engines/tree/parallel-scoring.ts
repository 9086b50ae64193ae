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
import type { ScoringRuntime } from './threads.ts';

export function addScoresInParallel(
  runtime: ScoringRuntime,
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
  void runtime.pool.prepare();
  const threads = runtime.acquireHelpers(helpers);
  for (const w of threads) w.postMessage({ type: 'score', batch } satisfies ScoreRequest);
  workOnBatch(batch, BY_MAIN);
  const stalled = waitForHelpers(ctl, nBlocks, runtime.stallMs);
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
  runtime.last = { blocks: nBlocks, byHelpers, stalled };
  out.set(shared);
  for (const w of threads) {
    if (stalled) runtime.pool.discard(w);
    else runtime.pool.release(w);
  }
}

/** Waits until every block is done; true when helpers stopped making progress first. */
function waitForHelpers(ctl: Int32Array, nBlocks: number, stallMs: number): boolean {
  let seen = Atomics.load(ctl, DONE);
  let since = performance.now();
  while (seen < nBlocks) {
    Atomics.wait(ctl, DONE, seen, 50);
    const now = Atomics.load(ctl, DONE);
    if (now !== seen) {
      seen = now;
      since = performance.now();
    } else if (performance.now() - since > stallMs) {
      return true;
    }
  }
  return false;
}
