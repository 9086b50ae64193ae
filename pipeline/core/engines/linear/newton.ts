/**
 * What logistic regression's Newton steps compute, by the WebAssembly kernel
 * `wasm/newton.wat` (why, see there): with the design matrix [1 | X], the log-odds Xβ,
 * each row's residual and curvature, the loss, X'r, X'SX, and the Cholesky factor and
 * solve of the penalised Hessian.
 *
 * One-hot and missing-indicator columns are mostly zeros, so they are kept as each row's
 * list of nonzero entries and the Hessian X'SX is summed over each row's nonzero pairs
 * only: a row costs (its nonzeros)² instead of (all columns)², which is what one-hot
 * encoding of many categories makes large. Columns are numbered as in the model: 0 the
 * intercept, j + 1 the matrix's column j.
 *
 * The kernel's memory holds the per-row vectors (weights, labels, two log-odds and their e^-|x|, residuals,
 * curvatures), the sparse entries, and the dense columns' values for one chunk of rows at a
 * time: data sets of up to a chunk are copied in once; larger ones chunk by chunk on every
 * product, which bounds the copy of the feature matrix (which stays where it is) to a chunk
 * whatever the number of rows.
 */
import type { FeatureMatrix } from '../engine.ts';
import { kernel, Layout } from '../wasm/instance.ts';
import { NEWTON_WASM } from './wasm/newton.wasm.ts';

export interface NewtonSystem {
  /** Sets every row's current log-odds to `value`. */
  fillMargin(value: number): void;
  /** Computes the trial log-odds X beta. */
  trialMargin(beta: Float64Array): void;
  /** Makes the trial log-odds the current ones. */
  accept(): void;
  /** The weighted log-loss (no penalty) at the current log-odds, or at the trial ones. */
  loss(trial: boolean): number;
  /** The sums of the row weights, of all rows and of the rows labelled 1, each in row order. */
  weightSums(): { all: number; positive: number };
  /** Residuals w (p − y) and curvatures w p (1 − p) at the current log-odds (once `loss` has been taken there). */
  weights(): void;
  /** g = X' r over all d columns. */
  gradient(g: Float64Array): void;
  /**
   * H = X' diag(s) X, both triangles, kept in the kernel's memory for `factor` (and
   * copied into `out` when given).
   */
  hessian(out?: Float64Array): void;
  /**
   * Factors (L L') the last Hessian plus `ridge` on its diagonal but the intercept's,
   * the penalised Hessian, for `solve` until the next call.
   */
  factor(ridge: number): void;
  /** x with L L' x = b, for the last factor. */
  solve(b: Float64Array): Float64Array;
  /** Leaves the kernel's memory to the next system on this thread; this one is not used after. */
  dispose(): void;
}

interface Exports {
  margin(
    dense: number,
    stride: number,
    D: number,
    idx: number,
    beta: number,
    rs: number,
    ec: number,
    ev: number,
    m: number,
    out: number,
  ): void;
  weights(eta: number, ex: number, w: number, y: number, r: number, s: number, n: number): void;
  loss(eta: number, ex: number, w: number, y: number, n: number): number;
  gradient(
    dense: number,
    stride: number,
    D: number,
    r: number,
    m: number,
    lanes: number,
    rs: number,
    ec: number,
    ev: number,
    g: number,
  ): void;
  hessian(
    dense: number,
    stride: number,
    D: number,
    idx: number,
    s: number,
    sc: number,
    m: number,
    lanes: number,
    rs: number,
    ec: number,
    ev: number,
    H: number,
    d: number,
  ): void;
  settle(H: number, lanes: number, idx: number, D: number, d: number): void;
  cholesky(A: number, L: number, d: number, ridge: number): void;
  weightSums(w: number, y: number, n: number, out: number): void;
  solve(L: number, b: number, z: number, x: number, d: number): void;
  nonzeros(x: number, m: number): number;
  countRows(x: number, m: number, counts: number): void;
  runningSum(counts: number, n: number): void;
  scatter(x: number, m: number, k: number, cursor: number, ec: number, ev: number): void;
}

const instantiate = kernel<Exports>(NEWTON_WASM);
type Instance = ReturnType<typeof instantiate>;

/**
 * The memory a disposed system left, for the next system on this thread to reuse when it
 * is large enough: its pages are mapped already, and mapping fresh ones (a page fault per
 * 4 KiB, slow on virtual machines) costs the many small fits of a cross-validated search
 * more than their arithmetic. Nothing is read from it before it is written, but the row
 * counts, which are summed into and so cleared first. Memories above SPARE_BYTES are not
 * kept, so one large fit does not hold its memory for the life of the process.
 */
let spare: Instance | null = null;
const SPARE_BYTES = 64 * 1024 * 1024;

function acquire(layout: Layout): Instance {
  if (spare && spare.buffer.byteLength >= layout.size) {
    const reused = spare;
    spare = null;
    return reused;
  }
  return instantiate(layout);
}

function release(k: Instance): void {
  const bytes = k.buffer.byteLength;
  if (bytes <= SPARE_BYTES && !(spare && spare.buffer.byteLength >= bytes)) spare = k;
}

/** A column whose share of nonzero rows is at most this is stored by its nonzeros. */
const SPARSE_SHARE = 0.25;
/**
 * A chunk's dense values take about this (its rows a multiple of 4, so each chunk's dot
 * products start on sum 0). Small on purpose: copying a chunk in again for each product
 * costs less than first touching a copy of every dense value (each new page of memory is
 * a page fault, slow on virtual machines), and a small chunk stays in the processor's cache.
 */
const CHUNK_BYTES = 1024 * 1024;
/** Rows whose nonzeros are counted at a time. */
const SCAN_ROWS = 65_536;

/**
 * The system of a fit on X with labels y and row weights w. `chunkRows` lowers the rows
 * per chunk (rounded down to a multiple of 4), so tests can cross chunk boundaries on
 * small data.
 */
export function newtonSystem(
  X: FeatureMatrix,
  y: Uint8Array,
  w: Float64Array,
  { chunkRows = Infinity }: { chunkRows?: number } = {},
): NewtonSystem {
  const n = X.rows;
  const d = X.columns.length + 1;
  const columns = X.columns;
  // Which columns are dense: counted chunk by chunk in a small instance of the kernel.
  const scanRows = Math.max(1, Math.min(n, chunkRows, SCAN_ROWS));
  const scanLayout = new Layout();
  scanLayout.take(8 * scanRows);
  const scan = acquire(scanLayout);
  const scanValues = new Float64Array(scan.buffer, 0, scanRows);
  const nonzeros = new Float64Array(columns.length);
  for (let lo = 0; lo < n; lo += scanRows) {
    const m = Math.min(n, lo + scanRows) - lo;
    for (let j = 0; j < columns.length; j++) {
      scanValues.set(columns[j].subarray(lo, lo + m));
      nonzeros[j] += scan.exports.nonzeros(0, m);
    }
  }
  release(scan);
  // Dense columns (the intercept always: its ones are written straight into the chunk) as
  // column arrays; sparse ones as per-row entries.
  const denseIndex: number[] = [0];
  const denseCols: Float64Array[] = [];
  const sparseIndex: number[] = [];
  let entries = 0;
  for (let j = 0; j < columns.length; j++) {
    if (nonzeros[j] > SPARSE_SHARE * n) {
      denseIndex.push(j + 1);
      denseCols.push(columns[j]);
    } else {
      sparseIndex.push(j + 1);
      entries += nonzeros[j];
    }
  }
  const D = denseIndex.length;
  const chunk = Math.max(4, Math.min(chunkRows, Math.floor(CHUNK_BYTES / (8 * D))) & ~3);
  const B = Math.max(1, Math.min(n, chunk));
  const chunks = Math.max(1, Math.ceil(n / B));
  const pairs = (D * (D + 1)) / 2;
  const layout = new Layout();
  const at = {
    idx: layout.take(4 * D),
    dense: layout.take(8 * D * B),
    sc: layout.take(8 * B),
    lanes: layout.take(32 * pairs),
    H: layout.take(8 * d * d),
    g: layout.take(8 * d),
    beta: layout.take(8 * d),
    L: layout.take(8 * d * d),
    z: layout.take(8 * d),
    x: layout.take(8 * d),
    sums: layout.take(16),
    w: layout.take(8 * n),
    y: layout.take(n),
    eta: [layout.take(8 * n), layout.take(8 * n)],
    // e^-|eta| of each log-odds vector, which its loss computes and its weights reuse.
    ex: [layout.take(8 * n), layout.take(8 * n)],
    r: layout.take(8 * n),
    s: layout.take(8 * n),
    // Row i's sparse entries are [rs[i], rs[i + 1]) of ec (model column) and ev (value).
    rs: layout.take(4 * (n + 1)),
    cursor: layout.take(4 * n),
    ec: layout.take(4 * entries),
    ev: layout.take(8 * entries),
  };
  const system = acquire(layout);
  const { exports: x, buffer } = system;
  new Int32Array(buffer, at.idx, D).set(denseIndex);
  new Float64Array(buffer, at.w, n).set(w);
  new Uint8Array(buffer, at.y, n).set(y);
  const dense = new Float64Array(buffer, at.dense, D * B);
  const lanes = new Float64Array(buffer, at.lanes, 4 * pairs);
  const Hk = new Float64Array(buffer, at.H, d * d);
  const gk = new Float64Array(buffer, at.g, d);
  const betaK = new Float64Array(buffer, at.beta, d);
  const xk = new Float64Array(buffer, at.x, d);
  const stride = 8 * B;

  // The sparse entries, built through the dense chunk's space: count each row's, sum, then
  // place each column's in increasing model order, so each row's entries are sorted.
  new Int32Array(buffer, at.rs, n + 1).fill(0);
  for (let lo = 0; lo < n; lo += B) {
    const m = Math.min(n, lo + B) - lo;
    for (const k of sparseIndex) {
      dense.set(columns[k - 1].subarray(lo, lo + m));
      x.countRows(at.dense, m, at.rs + 4 * (lo + 1));
    }
  }
  x.runningSum(at.rs, n + 1);
  new Int32Array(buffer, at.cursor, n).set(new Int32Array(buffer, at.rs, n));
  for (let lo = 0; lo < n; lo += B) {
    const m = Math.min(n, lo + B) - lo;
    for (const k of sparseIndex) {
      dense.set(columns[k - 1].subarray(lo, lo + m));
      x.scatter(at.dense, m, k, at.cursor + 4 * lo, at.ec, at.ev);
    }
  }

  let resident = -1;
  /** Copies chunk c's dense values into the kernel's memory (once, when there is one chunk); returns its row count. */
  const load = (c: number): number => {
    const lo = c * B;
    const m = Math.min(n, lo + B) - lo;
    if (resident !== c) {
      dense.fill(1, 0, m);
      for (let a = 1; a < D; a++) dense.set(denseCols[a - 1].subarray(lo, lo + m), a * B);
      resident = c;
    }
    return m;
  };
  /** The four running sums of dot product p, added as the JavaScript loop they replace did. */
  const sum = (p: number): number => lanes[4 * p] + lanes[4 * p + 1] + lanes[4 * p + 2] + lanes[4 * p + 3];
  // Which of the two log-odds vectors is current; the other takes trials.
  let current = 0;

  return {
    weightSums() {
      x.weightSums(at.w, at.y, n, at.sums);
      const [all, positive] = new Float64Array(buffer, at.sums, 2);
      return { all, positive };
    },
    fillMargin(value) {
      new Float64Array(buffer, at.eta[current], n).fill(value);
    },
    trialMargin(beta) {
      betaK.set(beta);
      const out = at.eta[1 - current];
      for (let c = 0; c < chunks; c++) {
        const m = load(c);
        x.margin(at.dense, stride, D, at.idx, at.beta, at.rs + 4 * c * B, at.ec, at.ev, m, out + 8 * c * B);
      }
    },
    accept() {
      current = 1 - current;
    },
    loss(trial) {
      const which = trial ? 1 - current : current;
      return x.loss(at.eta[which], at.ex[which], at.w, at.y, n);
    },
    weights() {
      x.weights(at.eta[current], at.ex[current], at.w, at.y, at.r, at.s, n);
    },
    gradient(g) {
      lanes.fill(0, 0, 4 * D);
      gk.fill(0);
      for (let c = 0; c < chunks; c++) {
        const m = load(c);
        x.gradient(at.dense, stride, D, at.r + 8 * c * B, m, at.lanes, at.rs + 4 * c * B, at.ec, at.ev, at.g);
      }
      g.set(gk);
      for (let a = 0; a < D; a++) g[denseIndex[a]] = sum(a);
    },
    hessian(out) {
      lanes.fill(0);
      Hk.fill(0);
      for (let c = 0; c < chunks; c++) {
        const m = load(c);
        x.hessian(
          at.dense,
          stride,
          D,
          at.idx,
          at.s + 8 * c * B,
          at.sc,
          m,
          at.lanes,
          at.rs + 4 * c * B,
          at.ec,
          at.ev,
          at.H,
          d,
        );
      }
      x.settle(at.H, at.lanes, at.idx, D, d);
      out?.set(Hk);
    },
    factor(ridge) {
      x.cholesky(at.H, at.L, d, ridge);
    },
    solve(b) {
      gk.set(b);
      x.solve(at.L, at.g, at.z, at.x, d);
      return xk.slice();
    },
    dispose() {
      release(system);
    },
  };
}
