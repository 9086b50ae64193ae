/**
 * How far V8 lets the old generation grow before its next full collection.
 *
 * Under load, every request still in flight when a young-generation collection runs is
 * promoted to the old generation and dies there soon after. By default V8 lets the old
 * generation grow to two to four times its live size before it collects it again, which
 * it chooses because it is cheap in CPU — but the service's live heap is small, so that
 * headroom is mostly dead requests, resident. A fixed growing factor of
 * 1 + HEAP_GROWTH_PERCENT/100 (V8 still adds some headroom of its own) keeps the peak
 * resident memory of the serving threads well below the default's, at the same
 * throughput (figures: docs/service.md, Performance). Full collections become more
 * frequent, and each is marked incrementally, with a short final pause (`--trace-gc`).
 *
 * V8 flags are per process and read at each collection, so setting this once, before the
 * model and the app are loaded, covers the serving threads too (node:worker_threads
 * isolates share the process's flags) and every way the service starts (`npm start`,
 * `mlops serve`, the image). It is not a NODE_OPTIONS setting: Node does not accept
 * this V8 flag there.
 */
import { setFlagsFromString } from 'node:v8';
import type { ServiceOptions } from '../config.ts';

/** The V8 flag for `HEAP_GROWTH_PERCENT`, or null for V8's own adaptive growth (0). */
export function heapGrowthFlag(percent: number): string | null {
  return percent > 0 ? `--heap-growing-percent=${percent}` : null;
}

/** Applies the service's old-generation growth limit to this process. */
export function applyHeapPolicy(
  options: Pick<ServiceOptions, 'heapGrowthPercent'>,
  set: (flag: string) => void = setFlagsFromString,
): void {
  const flag = heapGrowthFlag(options.heapGrowthPercent);
  if (flag) set(flag);
}
