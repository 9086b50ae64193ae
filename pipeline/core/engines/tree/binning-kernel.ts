/**
 * Sorting and bucketing a column with the WebAssembly kernels in `wasm/binning.wat`.
 * One kernel serves columns of up to `capacity` values: the column is copied into its
 * memory, sorted there (radix sort, row order kept for ties), and the sorted values and
 * each row's bucket are read back.
 */
import { BINNING_WASM } from './wasm/binning.wasm.ts';
import { kernel, Layout } from '../wasm/instance.ts';

interface Exports {
  order(col: number, n: number, keys: number, idx: number, keys2: number, idx2: number, counts: number): number;
  gather(col: number, idx: number, m: number, out: number): void;
  bins(col: number, n: number, idx: number, m: number, edges: number, ne: number, out: number): void;
  search(col: number, n: number, edges: number, ne: number, out: number): void;
}

const instantiate = kernel<Exports>(BINNING_WASM);

/** Edges a bucketing can take at most (255 buckets: missing + 254 value buckets → 253 edges, with room to spare). */
const MAX_EDGES = 256;

export class BinningKernel {
  private readonly x: Exports;
  private readonly at: {
    col: number;
    keys: number;
    keys2: number;
    idx: number;
    idx2: number;
    counts: number;
    sorted: number;
    edges: number;
    out: number;
  };
  private readonly col: Float64Array;
  private readonly idx: Uint32Array;
  private readonly sorted: Float64Array;
  private readonly edges: Float64Array;
  private readonly out: Uint8Array;
  private n = 0;
  private m = 0;

  constructor(readonly capacity: number) {
    const c = Math.max(1, capacity);
    const layout = new Layout();
    const take = (bytes: number): number => layout.take(bytes);
    this.at = {
      col: take(8 * c),
      keys: take(8 * c),
      keys2: take(8 * c),
      sorted: take(8 * c),
      idx: take(4 * c),
      idx2: take(4 * c),
      counts: take(8192),
      edges: take(8 * MAX_EDGES),
      out: take(c),
    };
    const { exports, buffer: buf } = instantiate(layout);
    this.x = exports;
    this.col = new Float64Array(buf, this.at.col, c);
    this.idx = new Uint32Array(buf, this.at.idx, c);
    this.sorted = new Float64Array(buf, this.at.sorted, c);
    this.edges = new Float64Array(buf, this.at.edges, MAX_EDGES);
    this.out = new Uint8Array(buf, this.at.out, c);
  }

  /** Sorts `column` (at most `capacity` values); returns how many are not NaN. */
  sort(column: Float64Array): number {
    if (column.length > this.capacity)
      throw new RangeError(`column of ${column.length} values exceeds the kernel's ${this.capacity}`);
    const a = this.at;
    this.col.set(column);
    this.n = column.length;
    this.m = this.x.order(a.col, this.n, a.keys, a.idx, a.keys2, a.idx2, a.counts);
    return this.m;
  }

  /** Row numbers of the last sorted column's non-NaN values, ascending by value (a view: copy to keep). */
  order(): Uint32Array {
    return this.idx.subarray(0, this.m);
  }

  /** The last sorted column's non-NaN values in ascending order (a view: copy to keep). */
  sortedValues(): Float64Array {
    this.x.gather(this.at.col, this.at.idx, this.m, this.at.sorted);
    return this.sorted.subarray(0, this.m);
  }

  /** Buckets of the last sorted column under `edges` (0 = NaN) into `out`. */
  bucket(edges: Float64Array, out: Uint8Array): void {
    if (edges.length > MAX_EDGES) throw new RangeError(`${edges.length} edges exceed ${MAX_EDGES}`);
    this.edges.set(edges);
    this.x.bins(this.at.col, this.n, this.at.idx, this.m, this.at.edges, edges.length, this.at.out);
    out.set(this.out.subarray(0, this.n));
  }

  /** Buckets of a column of any length under `edges` (0 = NaN) into `out`, by binary search, `capacity` values at a time. */
  bucketBySearch(column: Float64Array, edges: Float64Array, out: Uint8Array): void {
    if (edges.length > MAX_EDGES) throw new RangeError(`${edges.length} edges exceed ${MAX_EDGES}`);
    this.edges.set(edges);
    for (let start = 0; start < column.length; start += this.capacity) {
      const end = Math.min(column.length, start + this.capacity);
      this.col.set(column.subarray(start, end));
      this.x.search(this.at.col, end - start, this.at.edges, edges.length, this.at.out);
      out.set(this.out.subarray(0, end - start), start);
    }
  }
}
