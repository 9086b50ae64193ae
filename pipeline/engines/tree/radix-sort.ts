/**
 * Ascending order of a column's numbers: the radix sort of the binning kernel
 * (`wasm/binning.wat`), which binning uses directly; this wrapper serves one-off callers.
 */
import { BinningKernel } from './binning-kernel.ts';

/**
 * Indices of the non-missing values of `column`, in ascending order of value (ties in
 * index order; -0 before +0, which compare equal anyway). NaN rows are left out.
 */
export function ascendingOrder(column: Float64Array): Uint32Array {
  const kernel = new BinningKernel(column.length);
  kernel.sort(column);
  return kernel.order().slice();
}
