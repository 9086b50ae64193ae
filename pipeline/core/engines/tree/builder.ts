/**
 * The one histogram tree grower behind both the random forest and gradient boosting.
 *
 * Rows are given as gradient/hessian pairs (forest: g = -y·w, h = w, so the gain is
 * the weighted variance reduction, which on a 0/1 target is the Gini decrease). Each
 * node's rows are a contiguous range of one index array that splits partition in
 * place. Gains and leaf values follow XGBoost (L2 `lambda`, L1 `alpha`).
 */
import type { Rng } from '../../common/random.ts';
import { binCount, type BinnedMatrix } from './binning.ts';
import { roundSig, type CompactTree } from './compact.ts';
import { HistogramKernel } from './histogram-kernel.ts';

export interface TreeParams {
  /** Deepest node depth (root = 0); 0 = unlimited. */
  maxDepth: number;
  /** Largest number of leaves; 0 = unlimited. */
  maxLeaves: number;
  /** `leaf`: always split the leaf with the best gain next; `depth`: level by level. */
  growth: 'leaf' | 'depth';
  /** Fewest training rows in a child. */
  minSamplesLeaf: number;
  /** Smallest hessian sum in a child. */
  minChildWeight: number;
  lambda: number;
  alpha: number;
  /** A split must reduce the loss by more than this. */
  minSplitGain: number;
  /** Candidate features drawn per split from the tree's features; 0 = all of them. */
  featuresPerSplit: number;
  /** Multiplies leaf values (the boosting learning rate; 1 for forests). */
  shrinkage: number;
  /**
   * `direct` builds every node's histogram from its rows; `subtract` builds the smaller
   * child and derives the larger from the parent. `auto` subtracts unless few features
   * are drawn per split, where a direct build of just those features is cheaper.
   */
  histograms?: 'auto' | 'direct' | 'subtract';
  /**
   * Direct histograms only: copy the tree's rows row-major and partition the copies
   * (`auto`: when rows × features reach PACK_MIN_BYTES, i.e. outgrow the caches).
   */
  packRows?: 'auto' | 'always' | 'never';
}

export interface BuiltTree {
  tree: CompactTree;
  /** Per node: the split as a bucket (go left when 0 < bin ≤ it), for scoring binned rows. */
  binThreshold: Int32Array;
  /**
   * Where the training rows ended up: leaf `leafNode[j]` holds `rows[leafStart[j] ..
   * leafStart[j + 1])` of the row array given to `build` (reordered in place), so a
   * caller can update those rows without walking the tree.
   */
  leafNode: Int32Array;
  leafStart: Int32Array;
}

/** Histogram entries per bucket: gradient sum, hessian sum, row count. */
const STRIDE = 3;
/** Sampled rows × features (bytes of buckets) from which direct builds pack rows. */
const PACK_MIN_BYTES = 512 * 1024;
/** Memory the retained histograms of one builder may take. */
const POOL_BYTES = 128 * 1024 * 1024;

interface Node {
  id: number;
  start: number;
  end: number;
  depth: number;
  G: number;
  H: number;
  C: number;
  hist: Float64Array | null;
  gain: number;
  feature: number;
  bin: number;
  missingLeft: number;
  GL: number;
  HL: number;
  CL: number;
}

export class TreeBuilder {
  private readonly data: BinnedMatrix;
  private readonly nFeatures: number;
  /** Offset of each feature's buckets in a histogram, in buckets. */
  private readonly offset: Int32Array;
  private readonly nBins: Int32Array;
  private readonly histSize: number;
  private readonly og: Float64Array;
  private readonly oh: Float64Array;
  private readonly spill: Uint32Array;
  private readonly drawn: Int32Array;
  /** Every feature's buckets in one array (feature f from `colStart[f]`): one typed array in the hot loops. */
  private readonly flat: Uint8Array;
  private readonly colStart: Int32Array;
  private readonly drawnStart: Int32Array;
  private readonly drawnBase: Int32Array;
  private readonly scratchA: Float64Array;
  private readonly scratchB: Float64Array;
  private readonly free: Float64Array[] = [];
  /** Made on first use (`histogramKernel`): forests mostly build histograms directly and never need it. */
  private kernel: HistogramKernel | null = null;
  private poolLeft: number;

  // Per-tree state.
  private rows!: Uint32Array;
  private grad!: Float64Array;
  private hess!: Float64Array;
  private features!: Int32Array;
  private p!: TreeParams;
  private rng!: Rng;
  private direct = false;
  /** This tree's sampled rows copied row-major and partitioned with them (see `pack`). */
  private packed = false;
  private pb = new Uint8Array(0);
  /** The same bytes as 32-bit words: rows are `stride` bytes (features rounded up to 4) and move a word at a time. */
  private pw = new Uint32Array(0);
  private spillW = new Uint32Array(0);
  private stride = 0;
  private pg = new Float64Array(0);
  private ph = new Float64Array(0);
  private spillG = new Float64Array(0);
  private spillH = new Float64Array(0);
  private minGainFloor = 0;

  constructor(data: BinnedMatrix) {
    this.data = data;
    this.nFeatures = data.bins.length;
    this.offset = new Int32Array(this.nFeatures);
    this.nBins = new Int32Array(this.nFeatures);
    let total = 0;
    for (let f = 0; f < this.nFeatures; f++) {
      this.offset[f] = total;
      this.nBins[f] = binCount(data.edges[f]);
      total += this.nBins[f];
    }
    this.histSize = total * STRIDE;
    this.og = new Float64Array(data.rows);
    this.oh = new Float64Array(data.rows);
    this.spill = new Uint32Array(data.rows);
    this.drawn = new Int32Array(this.nFeatures);
    [this.flat, this.colStart] = flatBuckets(data);
    this.drawnStart = new Int32Array(this.nFeatures);
    this.drawnBase = new Int32Array(this.nFeatures);
    this.scratchA = new Float64Array(this.histSize);
    this.scratchB = new Float64Array(this.histSize);
    this.poolLeft = Math.max(4, Math.floor(POOL_BYTES / (8 * Math.max(1, this.histSize))));
  }

  /**
   * Grows one tree on `rows[0..m)` (reordered in place), with per-row `grad`/`hess`
   * indexed by row number, using only the listed features.
   */
  build(
    rows: Uint32Array,
    m: number,
    grad: Float64Array,
    hess: Float64Array,
    features: Int32Array,
    p: TreeParams,
    rng: Rng,
  ): BuiltTree {
    this.rows = rows;
    this.grad = grad;
    this.hess = hess;
    this.features = features;
    this.p = p;
    this.rng = rng;
    const k = p.featuresPerSplit > 0 ? Math.min(p.featuresPerSplit, features.length) : features.length;
    const mode = p.histograms ?? 'auto';
    this.direct = mode === 'direct' || (mode === 'auto' && 2 * k < features.length);
    const pack = p.packRows ?? 'auto';
    this.packed = this.direct && (pack === 'always' || (pack === 'auto' && m * this.nFeatures >= PACK_MIN_BYTES));
    if (this.packed) this.pack(m);
    // Subtracted histograms: the rows live in the kernel's memory while the tree grows,
    // and the kernel builds their histograms and partitions them.
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
    this.minGainFloor = Math.max(p.minSplitGain, 0);
    const root = this.newNode(out.add(G, H), 0, m, 0, G, H, m);
    if (this.canSplit(root, maxDepth)) {
      if (this.packed) this.evaluatePacked(root);
      else if (this.direct) this.evaluateDirect(root);
      else {
        root.hist = this.acquire() ?? this.scratchA;
        this.buildInto(root.hist, root.start, root.end);
        this.evaluate(root);
        if (root.hist === this.scratchA) root.hist = null;
      }
    }
    const queue = new NodeQueue(p.growth === 'leaf');
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
        if (c.hist === this.scratchA || c.hist === this.scratchB) c.hist = null;
        if (c.feature >= 0 && (c === left ? canL : canR)) queue.push(c);
        else settled.add(this.release(c));
      }
    }
    while (queue.size > 0) settled.add(this.release(queue.pop()));
    if (!this.direct) this.kernel!.store(rows, m);
    return { ...out.finish(this.p, this.data.edges), ...settled.finish(m) };
  }

  /** Histogram of rows[start..end) over `features` into `out` (zeroed first). */
  histogram(
    rows: Uint32Array,
    start: number,
    end: number,
    grad: Float64Array,
    hess: Float64Array,
    features: Int32Array,
    out: Float64Array,
  ): void {
    const kernel = this.histogramKernel();
    kernel.load(rows.subarray(start, end), end - start, grad, hess);
    kernel.histogram(0, end - start, features, features.length, this.colStart, this.offset, this.nBins, out);
  }

  /** parent -= child over the features: the sibling's histogram without touching its rows. */
  subtract(parent: Float64Array, child: Float64Array, features: Int32Array): void {
    for (let j = 0; j < features.length; j++) {
      const f = features[j];
      const a = this.offset[f] * STRIDE;
      const b = a + this.nBins[f] * STRIDE;
      for (let i = a; i < b; i++) parent[i] -= child[i];
    }
  }

  /** Size of one histogram buffer (all features). */
  get histogramLength(): number {
    return this.histSize;
  }

  private newNode(id: number, start: number, end: number, depth: number, G: number, H: number, C: number): Node {
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
      CL: 0,
    };
  }

  private canSplit(n: Node, maxDepth: number): boolean {
    return n.depth < maxDepth && n.C >= 2 * Math.max(1, this.p.minSamplesLeaf) && n.H >= 2 * this.p.minChildWeight;
  }

  private acquire(): Float64Array | null {
    const b = this.free.pop();
    if (b) return b;
    if (this.poolLeft > 0) {
      this.poolLeft--;
      return new Float64Array(this.histSize);
    }
    return null;
  }

  /** Gives back a node's histogram; returns the node. */
  private release(n: Node): Node {
    const h = n.hist;
    n.hist = null;
    if (h && h !== this.scratchA && h !== this.scratchB) this.free.push(h);
    return n;
  }

  private gather(start: number, end: number): void {
    const { rows, grad, hess, og, oh } = this;
    for (let i = start; i < end; i++) {
      const r = rows[i];
      og[i] = grad[r];
      oh[i] = hess[r];
    }
  }

  private histogramKernel(): HistogramKernel {
    this.kernel ??= new HistogramKernel(this.flat, this.data.rows, this.nFeatures, this.histSize);
    return this.kernel;
  }

  /** Overwrites `hist` with the histogram of the loaded rows at positions [start, end) for the tree's features. */
  private buildInto(hist: Float64Array, start: number, end: number): void {
    const feats = this.features;
    this.kernel!.histogram(start, end, feats, feats.length, this.colStart, this.offset, this.nBins, hist);
  }

  /** Draws this split's candidate features into `drawn[0..k)`. */
  private drawFeatures(): number {
    const feats = this.features;
    const F = feats.length;
    const k = this.p.featuresPerSplit > 0 ? Math.min(this.p.featuresPerSplit, F) : F;
    const d = this.drawn;
    for (let i = 0; i < F; i++) d[i] = feats[i];
    if (k < F) {
      for (let i = 0; i < k; i++) {
        const j = i + this.rng.int(F - i);
        const t = d[i];
        d[i] = d[j];
        d[j] = t;
      }
    }
    return k;
  }

  /** Best split among freshly drawn features, each histogram built from the node's rows into clean scratch. */
  private evaluateDirect(n: Node): void {
    const k = this.drawFeatures();
    const hist = this.scratchA;
    const { rows, grad, hess, drawn } = this;
    const m = n.end - n.start;
    let widest = 0;
    for (let j = 0; j < k; j++) if (this.nBins[drawn[j]] > widest) widest = this.nBins[drawn[j]];
    if (m >= 2 * widest) {
      // Large node: one pass over the rows feeds every drawn feature (each row's gradient
      // is read once); whole bucket ranges are scanned and cleaned afterwards.
      const flat = this.flat;
      const starts = this.drawnStart;
      const bases = this.drawnBase;
      for (let j = 0; j < k; j++) {
        starts[j] = this.colStart[drawn[j]];
        bases[j] = this.offset[drawn[j]] * STRIDE;
      }
      for (let i = n.start; i < n.end; i++) {
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
      for (let j = 0; j < k; j++) {
        const f = drawn[j];
        const last = this.nBins[f] - 1;
        this.scan(hist, n, f, 0, last);
        hist.fill(0, bases[j], bases[j] + (last + 1) * STRIDE);
      }
      return;
    }
    // Small node: track the buckets actually hit so scanning and cleaning stay proportional to the rows.
    this.gather(n.start, n.end);
    const { og, oh, flat } = this;
    for (let j = 0; j < k; j++) {
      const f = drawn[j];
      const start = this.colStart[f];
      const base = this.offset[f] * STRIDE;
      let lo = 255;
      let hi = 0;
      for (let i = n.start; i < n.end; i++) {
        const b = flat[start + rows[i]];
        const at = base + b * STRIDE;
        hist[at] += og[i];
        hist[at + 1] += oh[i];
        hist[at + 2] += 1;
        if (b < lo) lo = b;
        if (b > hi) hi = b;
      }
      this.scan(hist, n, f, lo, hi);
      hist.fill(0, base + lo * STRIDE, base + (hi + 1) * STRIDE);
    }
  }

  private evaluate(n: Node): void {
    const k = this.drawFeatures();
    const hist = n.hist!;
    for (let j = 0; j < k; j++) this.scan(hist, n, this.drawn[j], 0, this.nBins[this.drawn[j]] - 1);
  }

  /** Sibling histograms: the smaller child built, the larger by subtraction when the parent's is kept. */
  private childHistograms(parent: Node, left: Node, right: Node): void {
    const feats = this.features;
    const small = left.C <= right.C ? left : right;
    const large = small === left ? right : left;
    if (parent.hist) {
      small.hist = this.acquire() ?? this.scratchA;
      this.buildInto(small.hist, small.start, small.end);
      this.subtract(parent.hist, small.hist, feats);
      large.hist = parent.hist;
      parent.hist = null;
    } else {
      small.hist = this.acquire() ?? this.scratchA;
      this.buildInto(small.hist, small.start, small.end);
      large.hist = this.acquire() ?? this.scratchB;
      this.buildInto(large.hist, large.start, large.end);
    }
  }

  /** Scans buckets lo..hi of feature f, updating the node's best split. */
  private scan(hist: Float64Array, n: Node, f: number, lo: number, hi: number): void {
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
    // Missing rows alone on the left, every value on the right.
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
        // Any edge between the last filled bucket and this one splits the rows alike; take the middle one.
        const t = prev + ((b - 1 - prev) >> 1);
        if (cl >= minLeaf && C - cl >= minLeaf && hl >= minChildWeight && H - hl >= minChildWeight) {
          const gain = 0.5 * (score(gl, hl, lambda, alpha) + score(G - gl, H - hl, lambda, alpha) - parentScore);
          if (gain > best) {
            best = gain;
            bestBin = t;
            // Without missing rows here, unseen missing values follow the heavier side.
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

  /**
   * Copies the tree's rows into position order: each row's buckets side by side (one
   * cache line instead of one per feature) and its gradient and hessian. On data larger
   * than the processor's caches, reading a row's buckets from separate feature columns
   * costs a memory round trip per feature once a node's rows are sparse; partitioning
   * these copies with the rows keeps every later read sequential.
   */
  private pack(m: number): void {
    const d = this.nFeatures;
    const stride = (this.stride = 4 * Math.ceil(d / 4));
    if (this.pg.length < m) {
      this.pb = new Uint8Array(m * stride);
      this.pw = new Uint32Array(this.pb.buffer);
      this.spillW = new Uint32Array(m * (stride / 4));
      this.pg = new Float64Array(m);
      this.ph = new Float64Array(m);
      this.spillG = new Float64Array(m);
      this.spillH = new Float64Array(m);
    }
    const { rows, grad, hess, pb, pg, ph, flat } = this;
    for (let f = 0; f < d; f++) {
      const start = this.colStart[f];
      for (let i = 0, at = f; i < m; i++, at += stride) pb[at] = flat[start + rows[i]];
    }
    for (let i = 0; i < m; i++) {
      pg[i] = grad[rows[i]];
      ph[i] = hess[rows[i]];
    }
  }

  /** `evaluateDirect` over the packed rows (same sums in the same order, so the same splits). */
  private evaluatePacked(n: Node): void {
    const k = this.drawFeatures();
    const hist = this.scratchA;
    const { drawn, pb, pg, ph } = this;
    const d = this.stride;
    const bases = this.drawnBase;
    for (let j = 0; j < k; j++) bases[j] = this.offset[drawn[j]] * STRIDE;
    const m = n.end - n.start;
    let widest = 0;
    for (let j = 0; j < k; j++) if (this.nBins[drawn[j]] > widest) widest = this.nBins[drawn[j]];
    const whole = m >= 2 * widest;
    for (let j = 0; j < k; j++) {
      const f = drawn[j];
      const base = bases[j];
      let lo = 255;
      let hi = 0;
      for (let i = n.start, at = n.start * d + f; i < n.end; i++, at += d) {
        const b = pb[at];
        const h = base + b * STRIDE;
        hist[h] += pg[i];
        hist[h + 1] += ph[i];
        hist[h + 2] += 1;
        if (b < lo) lo = b;
        if (b > hi) hi = b;
      }
      if (whole) {
        lo = 0;
        hi = this.nBins[f] - 1;
      }
      this.scan(hist, n, f, lo, hi);
      hist.fill(0, base + lo * STRIDE, base + (hi + 1) * STRIDE);
    }
  }

  /** Partitions the node's rows (stable, so rows stay in ascending memory order) and records the split. */
  private split(n: Node, out: TreeArrays): [Node, Node] {
    const l = !this.direct
      ? this.kernel!.partition(n.start, n.end, this.colStart[n.feature], n.bin, n.missingLeft === 1)
      : this.packed
        ? this.partitionPacked(n)
        : this.partition(n);
    const leftId = out.add(n.GL, n.HL);
    const rightId = out.add(n.G - n.GL, n.H - n.HL);
    out.setSplit(n.id, n.feature, n.bin, n.missingLeft, leftId, rightId, n.gain);
    const left = this.newNode(leftId, n.start, l, n.depth + 1, n.GL, n.HL, n.CL);
    const right = this.newNode(rightId, l, n.end, n.depth + 1, n.G - n.GL, n.H - n.HL, n.C - n.CL);
    return [left, right];
  }

  /** Stable partition of the packed rows and their row numbers; returns where the right-hand rows start. */
  private partitionPacked(n: Node): number {
    const { rows, spill, pb, pw, pg, ph, spillW, spillG, spillH } = this;
    const d = this.stride;
    const words = d >> 2;
    const f = n.feature;
    const t = n.bin;
    const ml = n.missingLeft === 1;
    let l = n.start;
    let s = 0;
    for (let i = n.start; i < n.end; i++) {
      const b = pb[i * d + f];
      const src = i * words;
      if (b === 0 ? ml : b <= t) {
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

  /** Stable partition of the node's row numbers; returns where the right-hand rows start. */
  private partition(n: Node): number {
    const flat = this.flat;
    const start = this.colStart[n.feature];
    const rows = this.rows;
    const spill = this.spill;
    const t = n.bin;
    const ml = n.missingLeft === 1;
    let l = n.start;
    let s = 0;
    for (let i = n.start; i < n.end; i++) {
      const r = rows[i];
      const b = flat[start + r];
      if (b === 0 ? ml : b <= t) rows[l++] = r;
      else spill[s++] = r;
    }
    rows.set(spill.subarray(0, s), l);
    return l;
  }
}

/**
 * The buckets as one array plus each feature's start in it: the matrix's own buffer when
 * its columns already lie there back to back (as `binMatrix` lays them out), else a copy.
 */
function flatBuckets(data: BinnedMatrix): [Uint8Array, Int32Array] {
  const d = data.bins.length;
  const start = new Int32Array(d);
  const first = data.bins[0];
  if (first && data.bins.every((c) => c.buffer === first.buffer)) {
    const flat = new Uint8Array(first.buffer, 0, first.buffer.byteLength);
    for (let f = 0; f < d; f++) start[f] = data.bins[f].byteOffset;
    return [flat, start];
  }
  const flat = new Uint8Array(Math.max(1, d * data.rows));
  for (let f = 0; f < d; f++) {
    start[f] = f * data.rows;
    flat.set(data.bins[f], start[f]);
  }
  return [flat, start];
}

function score(g: number, h: number, lambda: number, alpha: number): number {
  let t = g;
  if (alpha > 0) t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
  const den = h + lambda;
  return den > 0 ? (t * t) / den : 0;
}

/** XGBoost's leaf weight: -T_alpha(G) / (H + lambda). */
export function leafWeight(g: number, h: number, lambda: number, alpha: number): number {
  let t = g;
  if (alpha > 0) t = g > alpha ? g - alpha : g < -alpha ? g + alpha : 0;
  const den = h + lambda;
  return den > 0 ? -t / den : 0;
}

/** Node records while a tree grows; children of a node are always adjacent ids. */
class TreeArrays {
  private readonly feature: number[] = [];
  private readonly bin: number[] = [];
  private readonly missingLeft: number[] = [];
  private readonly left: number[] = [];
  private readonly right: number[] = [];
  private readonly G: number[] = [];
  private readonly H: number[] = [];
  private readonly gain: number[] = [];

  add(G: number, H: number): number {
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

  setSplit(
    id: number,
    feature: number,
    bin: number,
    missingLeft: number,
    left: number,
    right: number,
    gain: number,
  ): void {
    this.feature[id] = feature;
    this.bin[id] = bin;
    this.missingLeft[id] = missingLeft;
    this.left[id] = left;
    this.right[id] = right;
    this.gain[id] = gain;
  }

  finish(p: TreeParams, edges: Float64Array[]): Pick<BuiltTree, 'tree' | 'binThreshold'> {
    const m = this.feature.length;
    const tree: CompactTree = {
      feature: Int32Array.from(this.feature),
      threshold: new Float64Array(m),
      missingLeft: Uint8Array.from(this.missingLeft),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: new Float64Array(m),
      cover: new Float64Array(m),
      gain: new Float64Array(m),
    };
    for (let i = 0; i < m; i++) {
      const f = this.feature[i];
      if (f >= 0) {
        const t = this.bin[i];
        // Bucket 0 as a threshold means "only missing goes left": no finite value is ≤ it.
        tree.threshold[i] = t === 0 ? -Number.MAX_VALUE : edges[f][t - 1];
        tree.gain[i] = roundSig(this.gain[i], 8);
      }
      tree.value[i] = roundSig(p.shrinkage * leafWeight(this.G[i], this.H[i], p.lambda, p.alpha), 10);
      tree.cover[i] = roundSig(this.H[i], 10);
    }
    return { tree, binThreshold: Int32Array.from(this.bin) };
  }
}

/** The leaves' row ranges, collected as leaves are settled and put in row order at the end. */
class LeafRanges {
  private readonly nodes: Node[] = [];

  add(n: Node): void {
    this.nodes.push(n);
  }

  finish(m: number): Pick<BuiltTree, 'leafNode' | 'leafStart'> {
    const sorted = this.nodes.sort((a, b) => a.start - b.start);
    const leafNode = Int32Array.from(sorted, (n) => n.id);
    const leafStart = new Int32Array(sorted.length + 1);
    sorted.forEach((n, j) => (leafStart[j] = n.start));
    leafStart[sorted.length] = m;
    return { leafNode, leafStart };
  }
}

/** Pending leaves: a max-heap by gain (ties to the older node) or a FIFO for level-wise growth. */
class NodeQueue {
  private readonly items: Node[] = [];
  private head = 0;
  constructor(private readonly byGain: boolean) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(n: Node): void {
    const a = this.items;
    a.push(n);
    if (!this.byGain) return;
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): Node {
    const a = this.items;
    if (!this.byGain) return a[this.head++];
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
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
}

function before(a: Node, b: Node): boolean {
  return a.gain > b.gain || (a.gain === b.gain && a.id < b.id);
}

/**
 * Leaves reached by rows of binned data, walking the bucket thresholds of one tree at a
 * time. `load` copies the tree into flat per-node arrays that hold each split's byte
 * offset into the buckets (saving a dependent load per level of a walk). The builder
 * gives every right child the id after its left sibling, so the child is picked
 * arithmetically; bucket 0 (missing) is never above a threshold and so follows the
 * node's missing direction.
 */
export class BinnedWalk {
  private readonly flat: Uint8Array;
  private readonly colStart: Int32Array;
  private feature: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private offset = new Int32Array(0);
  private threshold = new Int32Array(0);
  private missingRight = new Int32Array(0);
  private left = new Int32Array(0);

  constructor(data: BinnedMatrix) {
    [this.flat, this.colStart] = flatBuckets(data);
  }

  /** Prepares walks through `t`. */
  load(t: BuiltTree): this {
    const { feature, left, missingLeft } = t.tree;
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
      this.threshold[i] = t.binThreshold[i];
      this.missingRight[i] = missingLeft[i] ^ 1;
      this.left[i] = left[i];
    }
    this.feature = feature;
    return this;
  }

  /** The leaf row `r` reaches in the loaded tree. */
  leaf(r: number): number {
    const { feature, offset, threshold, missingRight, left, flat } = this;
    let node = 0;
    while (feature[node] >= 0) {
      const b = flat[offset[node] + r];
      node = left[node] + (+(b > threshold[node]) | (+(b === 0) & missingRight[node]));
    }
    return node;
  }
}
