"use strict";

// pipeline/core/engines/tree/forest-worker.ts
var import_node_worker_threads = require("node:worker_threads");

// pipeline/core/engines/tree/block-walk.ts
var BLOCK_ROWS = 256;
function rankBelow(cuts, from, to, x) {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = lo + hi >>> 1;
    if (cuts[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
function rankInto(cuts, cutStart, buf, i, low, f, x) {
  const from = f < cutStart.length - 1 ? cutStart[f] : 0;
  const to = f < cutStart.length - 1 ? cutStart[f + 1] : 0;
  if (x !== x) {
    buf[i] = to - from + 1;
    buf[i + low] = 0;
  } else {
    const rank = rankBelow(cuts, from, to, x) - from;
    buf[i] = rank;
    buf[i + low] = rank;
  }
}
function blockScratch(d) {
  return {
    buf: new Int32Array(2 * BLOCK_ROWS * Math.max(1, d)),
    at: new Int32Array(BLOCK_ROWS),
    sum: new Float64Array(BLOCK_ROWS)
  };
}
function scoreBlock(model, cols, r0, m, start, out, from, to, s) {
  const { roots, depth, walk, value, cuts, cutStart } = model;
  const { buf, at, sum } = s;
  const B = BLOCK_ROWS;
  const d = cols.length;
  const low = B * d;
  for (let f = 0; f < d; f++) {
    const col = cols[f];
    for (let r = 0; r < m; r++) rankInto(cuts, cutStart, buf, f * B + r, low, f, col[r0 + r]);
  }
  for (let r = 0; r < m; r++) sum[r] = start[r0 + r];
  for (let t = from; t < to; t++) {
    at.fill(roots[t] << 2, 0, m);
    for (let level = depth[t]; level > 0; level--) {
      for (let r = 0; r < m; r++) {
        const w = at[r];
        at[r] = walk[w] + (walk[w + 2] - buf[walk[w + 1] + r] >>> 31 << 2);
      }
    }
    for (let r = 0; r < m; r++) sum[r] += value[at[r] >> 2];
  }
  for (let r = 0; r < m; r++) out[r0 + r] = sum[r];
}
var NEXT = 0;
var DONE = 1;
var STATUS = 2;
var CLAIMED = 1;
var BY_HELPER = 3;
function blockCount(rows, chunk = BLOCK_ROWS) {
  return Math.ceil(rows / chunk);
}
function workOnBatch(batch, by) {
  const { rows, ctl, chunk } = batch;
  const nBlocks = blockCount(rows, chunk);
  const d = rows > 0 ? batch.columns.length / rows : 0;
  const cols = Array.from({ length: d }, (_, f) => batch.columns.subarray(f * rows, (f + 1) * rows));
  const scratch = blockScratch(d);
  let scored = 0;
  for (; ; ) {
    const b = Atomics.add(ctl, NEXT, 1);
    if (b >= nBlocks) return scored;
    Atomics.store(ctl, STATUS + b, CLAIMED);
    const r0 = b * chunk;
    scoreBlock(
      batch.model,
      cols,
      r0,
      Math.min(chunk, rows - r0),
      batch.start,
      batch.out,
      batch.from,
      batch.to,
      scratch
    );
    Atomics.store(ctl, STATUS + b, by);
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
    scored++;
  }
}

// pipeline/core/common/random.ts
function mixSeed(seed) {
  let z = (seed >>> 0) + 2654435769;
  z = Math.imul(z ^ z >>> 16, 2246822507);
  z = Math.imul(z ^ z >>> 13, 3266489909);
  return (z ^ z >>> 16) >>> 0;
}
function deriveSeed(seed, ...path) {
  let s = mixSeed(seed);
  for (const p of path) s = mixSeed(s ^ Math.imul(p + 1, 668265263));
  return s;
}
var Rng = class {
  a;
  b;
  c;
  d;
  constructor(seed) {
    this.a = mixSeed(seed);
    this.b = mixSeed(this.a ^ 1779033703);
    this.c = mixSeed(this.b ^ 3144134277);
    this.d = mixSeed(this.c ^ 1013904242);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }
  /** Uniform 32-bit unsigned integer. */
  nextU32() {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }
  /**
   * The next `count` values of `nextU32()` into `out[0..count)`, with the state in
   * locals: several times faster than calling `nextU32` per value, same stream.
   */
  fillU32(out, count) {
    let { a, b, c, d } = this;
    for (let i = 0; i < count; i++) {
      out[i] = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl(d, 11);
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }
  /** Uniform float in [0, 1). */
  next() {
    return this.nextU32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n) {
    return Math.floor(this.next() * n);
  }
  /**
   * Moves a uniform random choice of k of `items[0..n)` to the front, in the order drawn
   * (the first k steps of a Fisher–Yates shuffle from the front).
   */
  pickFront(items, n, k) {
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
  }
  /** Fisher–Yates shuffle in place. */
  shuffle(items) {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
  }
};
function rotl(x, k) {
  return x << k | x >>> 32 - k;
}

// pipeline/core/engines/wasm/instance.ts
var Layout = class {
  size = 0;
  /** Reserves `bytes` and returns where they start. */
  take(bytes) {
    const start = this.size;
    this.size = this.size + bytes + 7 & ~7;
    return start;
  }
};
function kernel(base64) {
  let compiled = null;
  return (layout) => {
    compiled ??= new WebAssembly.Module(Buffer.from(base64, "base64"));
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(layout.size / 65536)) });
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    return { exports: instance.exports, buffer: memory.buffer };
  };
}

// pipeline/core/engines/tree/binning.ts
function binCount(edges) {
  return edges.length + 2;
}
function flatBuckets(data) {
  const d = data.bins.length;
  const start = new Int32Array(d);
  const first = data.bins[0];
  if (first && data.bins.every((c) => c.buffer === first.buffer)) {
    const flat2 = new Uint8Array(first.buffer, 0, first.buffer.byteLength);
    for (let f = 0; f < d; f++) start[f] = data.bins[f].byteOffset;
    return [flat2, start];
  }
  const flat = new Uint8Array(Math.max(1, d * data.rows));
  for (let f = 0; f < d; f++) {
    start[f] = f * data.rows;
    flat.set(data.bins[f], start[f]);
  }
  return [flat, start];
}

// pipeline/core/engines/tree/binned-walk.ts
var BinnedWalk = class {
  flat;
  colStart;
  feature = new Int32Array(0);
  offset = new Int32Array(0);
  threshold = new Int32Array(0);
  missingRight = new Int32Array(0);
  left = new Int32Array(0);
  constructor(data) {
    [this.flat, this.colStart] = flatBuckets(data);
  }
  /** Prepares walks through `tree`, whose splits as buckets are `binThreshold` (go left when 0 < bin ≤ it). */
  load(tree, binThreshold) {
    const { feature, left, missingLeft } = tree;
    const m = feature.length;
    if (this.offset.length < m) {
      const size = Math.max(m, 2 * this.offset.length);
      this.offset = new Int32Array(size);
      this.threshold = new Int32Array(size);
      this.missingRight = new Int32Array(size);
      this.left = new Int32Array(size);
    }
    for (let i = 0; i < m; i++) {
      this.offset[i] = feature[i] >= 0 ? this.colStart[feature[i]] : 0;
      this.threshold[i] = binThreshold[i];
      this.missingRight[i] = missingLeft[i] ^ 1;
      this.left[i] = left[i];
    }
    this.feature = feature;
    return this;
  }
  /** The leaf row `r` reaches in the loaded tree. */
  leaf(r) {
    const { feature, offset, threshold, missingRight, left, flat } = this;
    let node = 0;
    while (feature[node] >= 0) {
      const b = flat[offset[node] + r];
      node = left[node] + (+(b > threshold[node]) | +(b === 0) & missingRight[node]);
    }
    return node;
  }
};

// pipeline/core/engines/tree/compact.ts
function roundSig(x, digits) {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? 0 : x;
  const k = digits - 1 - Math.floor(Math.log10(Math.abs(x)));
  if (k >= 0 && k <= 22) return Math.round(x * POW10[k]) / POW10[k] || 0;
  if (k < 0 && k >= -22) return Math.round(x / POW10[-k]) * POW10[-k] || 0;
  return Number(x.toPrecision(digits));
}
var POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

// pipeline/core/engines/tree/histogram.ts
var STRIDE = 3;
var POOL_BYTES = 128 * 1024 * 1024;
var HistogramSet = class {
  /** Offset of each feature's buckets in a histogram, in buckets. */
  offset;
  nBins;
  /** Doubles in one histogram (all features). */
  size;
  /** Two always-available buffers for histograms that are not kept. */
  scratchA;
  scratchB;
  free = [];
  poolLeft;
  constructor(edges) {
    const d = edges.length;
    this.offset = new Int32Array(d);
    this.nBins = new Int32Array(d);
    let total = 0;
    for (let f = 0; f < d; f++) {
      this.offset[f] = total;
      this.nBins[f] = binCount(edges[f]);
      total += this.nBins[f];
    }
    this.size = total * STRIDE;
    this.scratchA = new Float64Array(this.size);
    this.scratchB = new Float64Array(this.size);
    this.poolLeft = Math.max(4, Math.floor(POOL_BYTES / (8 * Math.max(1, this.size))));
  }
  /** A buffer to keep a node's histogram in, or null when the pool's memory is spent. */
  acquire() {
    const b = this.free.pop();
    if (b) return b;
    if (this.poolLeft > 0) {
      this.poolLeft--;
      return new Float64Array(this.size);
    }
    return null;
  }
  /** Takes a kept histogram back (scratch buffers are never kept). */
  release(h) {
    if (h && !this.isScratch(h)) this.free.push(h);
  }
  isScratch(h) {
    return h === this.scratchA || h === this.scratchB;
  }
  /** parent -= child over the features: the sibling's histogram without touching its rows. */
  subtract(parent, child, features) {
    for (let j = 0; j < features.length; j++) {
      const f = features[j];
      const a = this.offset[f] * STRIDE;
      const b = a + this.nBins[f] * STRIDE;
      for (let i = a; i < b; i++) parent[i] -= child[i];
    }
  }
};
function addRowsToColumns(hist, flat, rows, start, end, grad, hess, k, starts, bases) {
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const g = grad[r];
    const h = hess[r];
    for (let j = 0; j < k; j++) {
      const at = bases[j] + flat[starts[j] + r] * STRIDE;
      hist[at] += g;
      hist[at + 1] += h;
      hist[at + 2] += 1;
    }
  }
}
function gatherGradients(rows, start, end, grad, hess, og, oh) {
  for (let i = start; i < end; i++) {
    const r = rows[i];
    og[i] = grad[r];
    oh[i] = hess[r];
  }
}
function addColumn(hist, base, flat, col, rows, start, end, og, oh) {
  let lo = 255;
  let hi = 0;
  for (let i = start; i < end; i++) {
    const b = flat[col + rows[i]];
    const at = base + b * STRIDE;
    hist[at] += og[i];
    hist[at + 1] += oh[i];
    hist[at + 2] += 1;
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  return lo | hi << 8;
}
function addPackedColumn(hist, base, packed, f, start, end) {
  const { bytes: pb, grad: pg, hess: ph } = packed;
  const d = packed.stride;
  let lo = 255;
  let hi = 0;
  for (let i = start, at = start * d + f; i < end; i++, at += d) {
    const b = pb[at];
    const h = base + b * STRIDE;
    hist[h] += pg[i];
    hist[h + 1] += ph[i];
    hist[h + 2] += 1;
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  return lo | hi << 8;
}

// pipeline/core/engines/tree/wasm/histogram.wasm.ts
var HISTOGRAM_WASM = "AGFzbQEAAAABHAJgCH9/f39/f39/AGAMf39/f39/f39/f39/AX8CDwEDZW52Bm1lbW9yeQIAAQMDAgABBxoCCmhpc3RvZ3JhbXMAAAlwYXJ0aXRpb24AAQrDAwK7AQEGfyAEQQJ0IQwCQANAIAggBk8NASAAIAUoAgBqIQkgByAFKAIEaiEKIApBACAFKAII/AsAQQAhCwJAIARFDQADQCAKIAkgASALaigCAGotAABBGGxqIQ0gDSANKwMAIAIgC0EBdGorAwCgOQMAIA0gDSsDCCADIAtBAXRqKwMAoDkDCCANIA0rAxBEAAAAAAAA8D+gOQMQIAtBBGohCyALIAxJDQALCyAFQQxqIQUgCEEBaiEIDAALCwuDAgEFfyAEIQwgBCENAkADQCAMIAVPDQEgASAMQQJ0aigCACEPIAYgD2otAAAhECAIIBAgB00gEEUbBEAgASANQQJ0aiAPNgIAIAIgDUEDdGogAiAMQQN0aisDADkDACADIA1BA3RqIAMgDEEDdGorAwA5AwAgDUEBaiENBSAJIA5BAnRqIA82AgAgCiAOQQN0aiACIAxBA3RqKwMAOQMAIAsgDkEDdGogAyAMQQN0aisDADkDACAOQQFqIQ4LIAxBAWohDAwACwsgASANQQJ0aiAJIA5BAnT8CgAAIAIgDUEDdGogCiAOQQN0/AoAACADIA1BA3RqIAsgDkEDdPwKAAAgDQs=";

// pipeline/core/engines/tree/histogram-kernel.ts
var instantiate = kernel(HISTOGRAM_WASM);
var HistogramKernel = class {
  x;
  at;
  table;
  rows;
  g;
  h;
  hist;
  /**
   * @param flat every feature's buckets back to back (feature f's column starts at `colStart[f]`)
   * @param nRows rows a tree can hold at most
   * @param histLength doubles in one histogram
   */
  constructor(flat, nRows, nFeatures, histLength) {
    const layout = new Layout();
    layout.take(flat.length);
    const n = Math.max(1, nRows);
    const take = (bytes) => layout.take(bytes);
    this.at = {
      feats: take(12 * nFeatures),
      rows: take(4 * n),
      g: take(8 * n),
      h: take(8 * n),
      sr: take(4 * n),
      sg: take(8 * n),
      sh: take(8 * n),
      hist: take(8 * histLength)
    };
    const { exports: exports2, buffer: buf } = instantiate(layout);
    this.x = exports2;
    new Uint8Array(buf, 0, flat.length).set(flat);
    this.table = new Int32Array(buf, this.at.feats, 3 * nFeatures);
    this.rows = new Uint32Array(buf, this.at.rows, n);
    this.g = new Float64Array(buf, this.at.g, n);
    this.h = new Float64Array(buf, this.at.h, n);
    this.hist = new Float64Array(buf, this.at.hist, histLength);
  }
  /** Loads a tree's rows `rows[0..m)` with their gradients and hessians (indexed by row number). */
  load(rows, m, grad, hess) {
    this.rows.set(rows.subarray(0, m));
    gatherGradients(rows, 0, m, grad, hess, this.g, this.h);
  }
  /** Copies the loaded rows, as partitions left them, back into `rows[0..m)`. */
  store(rows, m) {
    rows.set(this.rows.subarray(0, m));
  }
  /**
   * Overwrites features `feats[0..k)` of `hist` with the histogram of loaded positions
   * [start, end). `offset[f]`, `nBins[f]`: feature f's first bucket and bucket count.
   */
  histogram(start, end, feats, k, colStart, offset, nBins, hist) {
    const t = this.table;
    for (let j = 0; j < k; j++) {
      const f = feats[j];
      t[3 * j] = colStart[f];
      t[3 * j + 1] = 24 * offset[f];
      t[3 * j + 2] = 24 * nBins[f];
    }
    const a = this.at;
    this.x.histograms(0, a.rows + 4 * start, a.g + 8 * start, a.h + 8 * start, end - start, a.feats, k, a.hist);
    for (let j = 0; j < k; j++) {
      const from = 3 * offset[feats[j]];
      hist.set(this.hist.subarray(from, from + 3 * nBins[feats[j]]), from);
    }
  }
  /**
   * Stable partition of loaded positions [start, end) on a split: rows whose bucket in the
   * column at `col` is 1..bin (or 0, missing, when `missingLeft`) first. Returns where the
   * others start.
   */
  partition(start, end, col, bin, missingLeft) {
    const a = this.at;
    return this.x.partition(0, a.rows, a.g, a.h, start, end, col, bin, missingLeft ? 1 : 0, a.sr, a.sg, a.sh);
  }
};

// pipeline/core/engines/tree/partition.ts
function partitionColumn(rows, spill, flat, col, start, end, bin, missingLeft) {
  let l = start;
  let s = 0;
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const b = flat[col + r];
    if (b === 0 ? missingLeft : b <= bin) rows[l++] = r;
    else spill[s++] = r;
  }
  rows.set(spill.subarray(0, s), l);
  return l;
}
var PackedRows = class {
  /** Row i's bucket of feature f at `bytes[i · stride + f]`. */
  bytes = new Uint8Array(0);
  /** The same bytes as 32-bit words: rows are `stride` bytes (features rounded up to 4) and move a word at a time. */
  words = new Uint32Array(0);
  spillWords = new Uint32Array(0);
  stride = 0;
  grad = new Float64Array(0);
  hess = new Float64Array(0);
  spillGrad = new Float64Array(0);
  spillHess = new Float64Array(0);
  /** Copies `rows[0..m)`: their buckets from the feature columns in `flat` and their gradients and hessians. */
  pack(rows, m, grad, hess, flat, colStart) {
    const d = colStart.length;
    const stride = this.stride = 4 * Math.ceil(d / 4);
    if (this.grad.length < m) {
      this.bytes = new Uint8Array(m * stride);
      this.words = new Uint32Array(this.bytes.buffer);
      this.spillWords = new Uint32Array(m * (stride / 4));
      this.grad = new Float64Array(m);
      this.hess = new Float64Array(m);
      this.spillGrad = new Float64Array(m);
      this.spillHess = new Float64Array(m);
    }
    const { bytes, grad: pg, hess: ph } = this;
    for (let f = 0; f < d; f++) {
      const start = colStart[f];
      for (let i = 0, at = f; i < m; i++, at += stride) bytes[at] = flat[start + rows[i]];
    }
    for (let i = 0; i < m; i++) {
      pg[i] = grad[rows[i]];
      ph[i] = hess[rows[i]];
    }
  }
  /**
   * Stable partition of positions [start, end) on feature f, moving the row numbers in
   * `rows` (with `spill` as room for the right-hand ones) along with the copies. Returns
   * where the right-hand rows start.
   */
  partition(rows, spill, start, end, f, bin, missingLeft) {
    const { bytes: pb, words: pw, grad: pg, hess: ph, spillWords: spillW, spillGrad: spillG, spillHess: spillH } = this;
    const d = this.stride;
    const words = d >> 2;
    let l = start;
    let s = 0;
    for (let i = start; i < end; i++) {
      const b = pb[i * d + f];
      const src = i * words;
      if (b === 0 ? missingLeft : b <= bin) {
        if (l !== i) {
          const dst = l * words;
          for (let c = 0; c < words; c++) pw[dst + c] = pw[src + c];
          rows[l] = rows[i];
          pg[l] = pg[i];
          ph[l] = ph[i];
        }
        l++;
      } else {
        const dst = s * words;
        for (let c = 0; c < words; c++) spillW[dst + c] = pw[src + c];
        spill[s] = rows[i];
        spillG[s] = pg[i];
        spillH[s] = ph[i];
        s++;
      }
    }
    rows.set(spill.subarray(0, s), l);
    pw.set(spillW.subarray(0, s * words), l * words);
    pg.set(spillG.subarray(0, s), l);
    ph.set(spillH.subarray(0, s), l);
    return l;
  }
};

// pipeline/core/engines/tree/splitter.ts
var Splitter = class {
  /** @param offset each feature's first bucket in a histogram (see histogram.ts) */
  constructor(nFeatures, offset) {
    this.offset = offset;
    this.drawn = new Int32Array(nFeatures);
  }
  offset;
  /** The candidate features of the current split, in `drawn[0..k)` (see `drawFeatures`). */
  drawn;
  p;
  features;
  rng;
  minGainFloor = 0;
  /** Starts a tree: its parameters, the features it may split on and its random stream. */
  reset(p, features, rng) {
    this.p = p;
    this.features = features;
    this.rng = rng;
    this.minGainFloor = Math.max(p.minSplitGain, 0);
  }
  /** Draws this split's candidate features into `drawn[0..k)`; returns k. */
  drawFeatures() {
    const feats = this.features;
    const F = feats.length;
    const k = this.p.featuresPerSplit > 0 ? Math.min(this.p.featuresPerSplit, F) : F;
    const d = this.drawn;
    for (let i = 0; i < F; i++) d[i] = feats[i];
    if (k < F) this.rng.pickFront(d, F, k);
    return k;
  }
  /** Scans buckets lo..hi of feature f's histogram, updating the node's best split. */
  scan(hist, n, f, lo, hi) {
    const { lambda, alpha, minChildWeight } = this.p;
    const minLeaf = Math.max(1, this.p.minSamplesLeaf);
    const G = n.G;
    const H = n.H;
    const C = n.C;
    const parentScore = score(G, H, lambda, alpha);
    let best = Math.max(n.gain, this.minGainFloor + 1e-12 * (Math.abs(parentScore) + 1));
    let bestBin = -1;
    let bestMl = 0;
    let bGL = 0;
    let bHL = 0;
    let bCL = 0;
    const base = this.offset[f] * STRIDE;
    const gm = hist[base];
    const hm = hist[base + 1];
    const cm = hist[base + 2];
    if (cm >= minLeaf && C - cm >= minLeaf && hm >= minChildWeight && H - hm >= minChildWeight) {
      const gain = 0.5 * (score(gm, hm, lambda, alpha) + score(G - gm, H - hm, lambda, alpha) - parentScore);
      if (gain > best) {
        best = gain;
        bestBin = 0;
        bestMl = 1;
        bGL = gm;
        bHL = hm;
        bCL = cm;
      }
    }
    let gl = 0;
    let hl = 0;
    let cl = 0;
    let prev = -1;
    for (let b = lo < 1 ? 1 : lo; b <= hi; b++) {
      const at = base + b * STRIDE;
      const c = hist[at + 2];
      if (c === 0) continue;
      if (prev > 0) {
        const t = prev + (b - 1 - prev >> 1);
        if (cl >= minLeaf && C - cl >= minLeaf && hl >= minChildWeight && H - hl >= minChildWeight) {
          const gain = 0.5 * (score(gl, hl, lambda, alpha) + score(G - gl, H - hl, lambda, alpha) - parentScore);
          if (gain > best) {
            best = gain;
            bestBin = t;
            bestMl = cm > 0 ? 0 : hl >= H - hl ? 1 : 0;
            bGL = gl;
            bHL = hl;
            bCL = cl;
          }
        }
        if (cm > 0) {
          const gL = gl + gm;
          const hL = hl + hm;
          const cL = cl + cm;
          if (cL >= minLeaf && C - cL >= minLeaf && hL >= minChildWeight && H - hL >= minChildWeight) {
            const gain = 0.5 * (score(gL, hL, lambda, alpha) + score(G - gL, H - hL, lambda, alpha) - parentScore);
            if (gain > best) {
              best = gain;
              bestBin = t;
              bestMl = 1;
              bGL = gL;
              bHL = hL;
              bCL = cL;
            }
          }
        }
      }
      gl += hist[at];
      hl += hist[at + 1];
      cl += c;
      prev = b;
    }
    if (bestBin >= 0) {
      n.gain = best;
      n.feature = f;
      n.bin = bestBin;
      n.missingLeft = bestMl;
      n.GL = bGL;
      n.HL = bHL;
      n.CL = bCL;
    }
  }
};
function score(g, h, lambda, alpha) {
  let t = g;
  if (alpha > 0) t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
  const den = h + lambda;
  return den > 0 ? t * t / den : 0;
}
function leafWeight(g, h, lambda, alpha) {
  let t = g;
  if (alpha > 0) t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
  const den = h + lambda;
  return den > 0 ? -t / den : 0;
}

// pipeline/core/engines/tree/grower.ts
var PACK_MIN_BYTES = 512 * 1024;
var TreeGrower = class {
  data;
  nFeatures;
  hists;
  splitter;
  og;
  oh;
  spill;
  /** Every feature's buckets in one array (feature f from `colStart[f]`): one typed array in the hot loops. */
  flat;
  colStart;
  drawnStart;
  drawnBase;
  packedRows = new PackedRows();
  /** Made on first use (`histogramKernel`): forests mostly build histograms directly and never need it. */
  kernel = null;
  // Per-tree state.
  rows;
  grad;
  hess;
  features;
  p;
  direct = false;
  /** This tree's sampled rows are copied row-major and partitioned with them (see PackedRows). */
  packed = false;
  constructor(data) {
    this.data = data;
    this.nFeatures = data.bins.length;
    this.hists = new HistogramSet(data.edges);
    this.splitter = new Splitter(this.nFeatures, this.hists.offset);
    this.og = new Float64Array(data.rows);
    this.oh = new Float64Array(data.rows);
    this.spill = new Uint32Array(data.rows);
    [this.flat, this.colStart] = flatBuckets(data);
    this.drawnStart = new Int32Array(this.nFeatures);
    this.drawnBase = new Int32Array(this.nFeatures);
  }
  /**
   * Grows one tree on `rows[0..m)` (reordered in place), with per-row `grad`/`hess`
   * indexed by row number, using only the listed features.
   */
  grow(rows, m, grad, hess, features, p, rng) {
    this.rows = rows;
    this.grad = grad;
    this.hess = hess;
    this.features = features;
    this.p = p;
    this.splitter.reset(p, features, rng);
    const hists = this.hists;
    const k = p.featuresPerSplit > 0 ? Math.min(p.featuresPerSplit, features.length) : features.length;
    const mode = p.histograms ?? "auto";
    this.direct = mode === "direct" || mode === "auto" && 2 * k < features.length;
    const pack = p.packRows ?? "auto";
    this.packed = this.direct && (pack === "always" || pack === "auto" && m * this.nFeatures >= PACK_MIN_BYTES);
    if (this.packed) this.packedRows.pack(rows, m, grad, hess, this.flat, this.colStart);
    if (!this.direct) this.histogramKernel().load(rows, m, grad, hess);
    const maxDepth = p.maxDepth > 0 ? p.maxDepth : Number.MAX_SAFE_INTEGER;
    const maxLeaves = p.maxLeaves > 0 ? p.maxLeaves : Number.MAX_SAFE_INTEGER;
    const out = new TreeArrays();
    let G = 0;
    let H = 0;
    for (let i = 0; i < m; i++) {
      G += grad[rows[i]];
      H += hess[rows[i]];
    }
    const root = newNode(out.add(G, H), 0, m, 0, G, H, m);
    if (this.canSplit(root, maxDepth)) {
      if (this.packed) this.evaluatePacked(root);
      else if (this.direct) this.evaluateDirect(root);
      else {
        root.hist = hists.acquire() ?? hists.scratchA;
        this.buildInto(root.hist, root.start, root.end);
        this.evaluate(root);
        if (root.hist === hists.scratchA) root.hist = null;
      }
    }
    const queue = new NodeQueue(p.growth === "leaf");
    const settled = new LeafRanges();
    if (root.feature >= 0) queue.push(root);
    else settled.add(this.release(root));
    let leaves = 1;
    while (queue.size > 0 && leaves < maxLeaves) {
      const node = queue.pop();
      const [left, right] = this.split(node, out);
      leaves++;
      const canL = this.canSplit(left, maxDepth);
      const canR = this.canSplit(right, maxDepth);
      if (this.packed) {
        if (canL) this.evaluatePacked(left);
        if (canR) this.evaluatePacked(right);
      } else if (this.direct) {
        if (canL) this.evaluateDirect(left);
        if (canR) this.evaluateDirect(right);
      } else if (canL || canR) {
        this.childHistograms(node, left, right);
        if (canL) this.evaluate(left);
        if (canR) this.evaluate(right);
      } else this.release(node);
      node.hist = null;
      for (const c of [left, right]) {
        if (c.hist && hists.isScratch(c.hist)) c.hist = null;
        if (c.feature >= 0 && (c === left ? canL : canR)) queue.push(c);
        else settled.add(this.release(c));
      }
    }
    while (queue.size > 0) settled.add(this.release(queue.pop()));
    if (!this.direct) this.kernel.store(rows, m);
    return { ...out.finish(p, this.data.edges), ...settled.finish(m) };
  }
  canSplit(n, maxDepth) {
    return n.depth < maxDepth && n.C >= 2 * Math.max(1, this.p.minSamplesLeaf) && n.H >= 2 * this.p.minChildWeight;
  }
  /** Gives back a node's histogram; returns the node. */
  release(n) {
    this.hists.release(n.hist);
    n.hist = null;
    return n;
  }
  histogramKernel() {
    this.kernel ??= new HistogramKernel(this.flat, this.data.rows, this.nFeatures, this.hists.size);
    return this.kernel;
  }
  /** Overwrites `hist` with the histogram of the loaded rows at positions [start, end) for the tree's features. */
  buildInto(hist, start, end) {
    const feats = this.features;
    const { offset, nBins } = this.hists;
    this.kernel.histogram(start, end, feats, feats.length, this.colStart, offset, nBins, hist);
  }
  /** Best split among freshly drawn features, each histogram built from the node's rows into clean scratch. */
  evaluateDirect(n) {
    const splitter = this.splitter;
    const k = splitter.drawFeatures();
    const drawn = splitter.drawn;
    const { scratchA: hist, offset, nBins } = this.hists;
    const { rows, grad, hess, flat, colStart } = this;
    const m = n.end - n.start;
    let widest = 0;
    for (let j = 0; j < k; j++) if (nBins[drawn[j]] > widest) widest = nBins[drawn[j]];
    if (m >= 2 * widest) {
      const starts = this.drawnStart;
      const bases = this.drawnBase;
      for (let j = 0; j < k; j++) {
        starts[j] = colStart[drawn[j]];
        bases[j] = offset[drawn[j]] * STRIDE;
      }
      addRowsToColumns(hist, flat, rows, n.start, n.end, grad, hess, k, starts, bases);
      for (let j = 0; j < k; j++) {
        const f = drawn[j];
        const last = nBins[f] - 1;
        splitter.scan(hist, n, f, 0, last);
        hist.fill(0, bases[j], bases[j] + (last + 1) * STRIDE);
      }
      return;
    }
    gatherGradients(rows, n.start, n.end, grad, hess, this.og, this.oh);
    for (let j = 0; j < k; j++) {
      const f = drawn[j];
      const base = offset[f] * STRIDE;
      const hit = addColumn(hist, base, flat, colStart[f], rows, n.start, n.end, this.og, this.oh);
      const lo = hit & 255;
      const hi = hit >> 8;
      splitter.scan(hist, n, f, lo, hi);
      hist.fill(0, base + lo * STRIDE, base + (hi + 1) * STRIDE);
    }
  }
  /** `evaluateDirect` over the packed rows (same sums in the same order, so the same splits). */
  evaluatePacked(n) {
    const splitter = this.splitter;
    const k = splitter.drawFeatures();
    const drawn = splitter.drawn;
    const { scratchA: hist, offset, nBins } = this.hists;
    const m = n.end - n.start;
    let widest = 0;
    for (let j = 0; j < k; j++) if (nBins[drawn[j]] > widest) widest = nBins[drawn[j]];
    const whole = m >= 2 * widest;
    for (let j = 0; j < k; j++) {
      const f = drawn[j];
      const base = offset[f] * STRIDE;
      const hit = addPackedColumn(hist, base, this.packedRows, f, n.start, n.end);
      const lo = whole ? 0 : hit & 255;
      const hi = whole ? nBins[f] - 1 : hit >> 8;
      splitter.scan(hist, n, f, lo, hi);
      hist.fill(0, base + lo * STRIDE, base + (hi + 1) * STRIDE);
    }
  }
  /** Best split among freshly drawn features, from the node's kept histogram. */
  evaluate(n) {
    const splitter = this.splitter;
    const k = splitter.drawFeatures();
    const hist = n.hist;
    const nBins = this.hists.nBins;
    for (let j = 0; j < k; j++) splitter.scan(hist, n, splitter.drawn[j], 0, nBins[splitter.drawn[j]] - 1);
  }
  /** Sibling histograms: the smaller child built, the larger by subtraction when the parent's is kept. */
  childHistograms(parent, left, right) {
    const hists = this.hists;
    const small = left.C <= right.C ? left : right;
    const large = small === left ? right : left;
    if (parent.hist) {
      small.hist = hists.acquire() ?? hists.scratchA;
      this.buildInto(small.hist, small.start, small.end);
      hists.subtract(parent.hist, small.hist, this.features);
      large.hist = parent.hist;
      parent.hist = null;
    } else {
      small.hist = hists.acquire() ?? hists.scratchA;
      this.buildInto(small.hist, small.start, small.end);
      large.hist = hists.acquire() ?? hists.scratchB;
      this.buildInto(large.hist, large.start, large.end);
    }
  }
  /** Partitions the node's rows and records the split. */
  split(n, out) {
    const ml = n.missingLeft === 1;
    const l = !this.direct ? this.kernel.partition(n.start, n.end, this.colStart[n.feature], n.bin, ml) : this.packed ? this.packedRows.partition(this.rows, this.spill, n.start, n.end, n.feature, n.bin, ml) : partitionColumn(this.rows, this.spill, this.flat, this.colStart[n.feature], n.start, n.end, n.bin, ml);
    const leftId = out.add(n.GL, n.HL);
    const rightId = out.add(n.G - n.GL, n.H - n.HL);
    out.setSplit(n.id, n.feature, n.bin, n.missingLeft, leftId, rightId, n.gain);
    const left = newNode(leftId, n.start, l, n.depth + 1, n.GL, n.HL, n.CL);
    const right = newNode(rightId, l, n.end, n.depth + 1, n.G - n.GL, n.H - n.HL, n.C - n.CL);
    return [left, right];
  }
};
function newNode(id, start, end, depth, G, H, C) {
  return {
    id,
    start,
    end,
    depth,
    G,
    H,
    C,
    hist: null,
    gain: 0,
    feature: -1,
    bin: 0,
    missingLeft: 0,
    GL: 0,
    HL: 0,
    CL: 0
  };
}
var TreeArrays = class {
  feature = [];
  bin = [];
  missingLeft = [];
  left = [];
  right = [];
  G = [];
  H = [];
  gain = [];
  add(G, H) {
    this.feature.push(-1);
    this.bin.push(0);
    this.missingLeft.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.G.push(G);
    this.H.push(H);
    this.gain.push(0);
    return this.feature.length - 1;
  }
  setSplit(id, feature, bin, missingLeft, left, right, gain) {
    this.feature[id] = feature;
    this.bin[id] = bin;
    this.missingLeft[id] = missingLeft;
    this.left[id] = left;
    this.right[id] = right;
    this.gain[id] = gain;
  }
  finish(p, edges) {
    const m = this.feature.length;
    const tree = {
      feature: Int32Array.from(this.feature),
      threshold: new Float64Array(m),
      missingLeft: Uint8Array.from(this.missingLeft),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: new Float64Array(m),
      cover: new Float64Array(m),
      gain: new Float64Array(m)
    };
    for (let i = 0; i < m; i++) {
      const f = this.feature[i];
      if (f >= 0) {
        const t = this.bin[i];
        tree.threshold[i] = t === 0 ? -Number.MAX_VALUE : edges[f][t - 1];
        tree.gain[i] = roundSig(this.gain[i], 8);
      }
      tree.value[i] = roundSig(p.shrinkage * leafWeight(this.G[i], this.H[i], p.lambda, p.alpha), 10);
      tree.cover[i] = roundSig(this.H[i], 10);
    }
    return { tree, binThreshold: Int32Array.from(this.bin) };
  }
};
var LeafRanges = class {
  nodes = [];
  add(n) {
    this.nodes.push(n);
  }
  finish(m) {
    const sorted = this.nodes.sort((a, b) => a.start - b.start);
    const leafNode = Int32Array.from(sorted, (n) => n.id);
    const leafStart = new Int32Array(sorted.length + 1);
    sorted.forEach((n, j) => leafStart[j] = n.start);
    leafStart[sorted.length] = m;
    return { leafNode, leafStart };
  }
};
var NodeQueue = class {
  constructor(byGain) {
    this.byGain = byGain;
  }
  byGain;
  items = [];
  head = 0;
  get size() {
    return this.items.length - this.head;
  }
  push(n) {
    const a = this.items;
    a.push(n);
    if (!this.byGain) return;
    let i = a.length - 1;
    while (i > 0) {
      const parent = i - 1 >> 1;
      if (!before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }
  pop() {
    const a = this.items;
    if (!this.byGain) return a[this.head++];
    const top = a[0];
    const last = a.pop();
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
};
function before(a, b) {
  return a.gain > b.gain || a.gain === b.gain && a.id < b.id;
}

// pipeline/core/engines/tree/forest-trees.ts
var OOB_SCALE = 2 ** 30;
function jobMatrix(job) {
  const bins = job.edges.map((_, f) => new Uint8Array(job.bins, f * job.rows, job.rows));
  return { rows: job.rows, bins, edges: job.edges };
}
var ForestGrower = class {
  job;
  data;
  grower;
  counts;
  rowIdx;
  grad;
  hess;
  features;
  oobSum;
  oobCount;
  oobRows;
  walk;
  constructor(job) {
    this.job = job;
    this.data = jobMatrix(job);
    this.grower = new TreeGrower(this.data);
    const n = job.rows;
    this.counts = new Uint32Array(n);
    this.rowIdx = new Uint32Array(n);
    this.grad = new Float64Array(n);
    this.hess = new Float64Array(n);
    this.features = Int32Array.from({ length: job.edges.length }, (_, f) => f);
    this.oobSum = new Float64Array(n);
    this.oobCount = new Uint32Array(n);
    this.oobRows = new Uint32Array(n);
    this.walk = new BinnedWalk(this.data);
  }
  grow(index) {
    const { job, counts, rowIdx, grad, hess } = this;
    const n = job.rows;
    const rng = new Rng(deriveSeed(job.seed, index));
    counts.fill(0);
    if (job.sampling === "bootstrap") {
      const draws = Math.max(1, Math.round(n * job.sampleFraction));
      for (let k = 0; k < draws; k++) counts[rng.int(n)]++;
    } else {
      for (let i = 0; i < n; i++) if (rng.next() < job.sampleFraction) counts[i] = 1;
    }
    const { y, weight } = job;
    let m = 0;
    let o = 0;
    for (let i = 0; i < n; i++) {
      const c = counts[i];
      if (c === 0) {
        this.oobRows[o++] = i;
        continue;
      }
      rowIdx[m++] = i;
      const w = weight[i] * c;
      hess[i] = w;
      grad[i] = y[i] === 1 ? -w : 0;
    }
    const grown = this.grower.grow(rowIdx, m, grad, hess, this.features, job.tree, rng);
    if (o > 0) this.voteOutOfBag(grown, o);
    return grown.tree;
  }
  /** Adds this tree's votes for the first `o` out-of-bag rows. */
  voteOutOfBag(grown, o) {
    const walk = this.walk.load(grown.tree, grown.binThreshold);
    const value = grown.tree.value;
    const rows = this.oobRows;
    for (let j = 0; j < o; j++) {
      const r = rows[j];
      this.oobSum[r] += Math.round(value[walk.leaf(r)] * OOB_SCALE);
      this.oobCount[r]++;
    }
  }
};
function treeBuffers(t) {
  return [t.feature, t.threshold, t.missingLeft, t.left, t.right, t.value, t.cover, t.gain].map(
    (a) => a.buffer
  );
}

// pipeline/core/engines/tree/forest-worker.ts
var port = import_node_worker_threads.parentPort;
var grower = null;
function reply(msg, transfer = []) {
  port.postMessage(msg, transfer);
}
port.on("message", (msg) => {
  if (msg.type === "job") {
    grower = new ForestGrower(msg.job);
    reply({ type: "ready" });
  } else if (msg.type === "score") {
    workOnBatch(msg.batch, BY_HELPER);
  } else if (msg.type === "grow") {
    const g = grower;
    const trees = msg.trees.map((index) => ({ index, tree: g.grow(index) }));
    reply(
      { type: "trees", trees },
      trees.flatMap((t) => treeBuffers(t.tree))
    );
  } else {
    const sum = grower?.oobSum ?? new Float64Array(0);
    const count = grower?.oobCount ?? new Uint32Array(0);
    grower = null;
    reply({ type: "oob", sum, count }, [sum.buffer, count.buffer]);
  }
});
