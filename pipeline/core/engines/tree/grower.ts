/**
 * The one histogram tree grower behind both the random forest and gradient boosting (the
 * role of scikit-learn's `grower.py`): it takes rows as gradient/hessian pairs, keeps the
 * leaves to split in a queue (best gain first, or level by level), and for each node
 * gets its histograms (histogram.ts, or the WebAssembly kernel), asks the splitter for
 * the best split (splitter.ts) and partitions the node's rows between the children
 * (partition.ts). Rows are held in one of three layouts, chosen per tree:
 * - `subtract`: in the kernel's memory, which builds the smaller child's histogram and
 *   derives the larger one from its parent's;
 * - direct: every node's histogram built in JavaScript from its rows, over the feature
 *   columns, or over packed row-major copies once the sample outgrows the caches.
 */
import type { Rng } from '../../common/random.ts';
import { flatBuckets, type BinnedMatrix } from './binning.ts';
import { roundSig, type CompactTree } from './compact.ts';
import { HistogramKernel } from './histogram-kernel.ts';
import { addColumn, addPackedColumn, addRowsToColumns, gatherGradients, HistogramSet, STRIDE } from './histogram.ts';
import { PackedRows, partitionColumn } from './partition.ts';
import { leafWeight, Splitter, type SplitNode, type SplitParams } from './splitter.ts';

export interface TreeParams extends SplitParams {
  /** Deepest node depth (root = 0); 0 = unlimited. */
  maxDepth: number;
  /** Largest number of leaves; 0 = unlimited. */
  maxLeaves: number;
  /** `leaf`: always split the leaf with the best gain next; `depth`: level by level. */
  growth: 'leaf' | 'depth';
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

export interface GrownTree {
  tree: CompactTree;
  /** Per node: the split as a bucket (go left when 0 < bin ≤ it), for walking binned rows (binned-walk.ts). */
  binThreshold: Int32Array;
  /**
   * Where the training rows ended up: leaf `leafNode[j]` holds `rows[leafStart[j] ..
   * leafStart[j + 1])` of the row array given to `grow` (reordered in place), so a
   * caller can update those rows without walking the tree.
   */
  leafNode: Int32Array;
  leafStart: Int32Array;
}

/** Sampled rows × features (bytes of buckets) from which direct builds pack rows. */
const PACK_MIN_BYTES = 512 * 1024;

interface Node extends SplitNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array | null;
}

export class TreeGrower {
  private readonly data: BinnedMatrix;
  private readonly nFeatures: number;
  private readonly hists: HistogramSet;
  private readonly splitter: Splitter;
  private readonly og: Float64Array;
  private readonly oh: Float64Array;
  private readonly spill: Uint32Array;
  /** Every feature's buckets in one array (feature f from `colStart[f]`): one typed array in the hot loops. */
  private readonly flat: Uint8Array;
  private readonly colStart: Int32Array;
  private readonly drawnStart: Int32Array;
  private readonly drawnBase: Int32Array;
  private readonly packedRows = new PackedRows();
  /** Made on first use (`histogramKernel`): forests mostly build histograms directly and never need it. */
  private kernel: HistogramKernel | null = null;

  // Per-tree state.
  private rows!: Uint32Array;
  private grad!: Float64Array;
  private hess!: Float64Array;
  private features!: Int32Array;
  private p!: TreeParams;
  private direct = false;
  /** This tree's sampled rows are copied row-major and partitioned with them (see PackedRows). */
  private packed = false;

  constructor(data: BinnedMatrix) {
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
  grow(
    rows: Uint32Array,
    m: number,
    grad: Float64Array,
    hess: Float64Array,
    features: Int32Array,
    p: TreeParams,
    rng: Rng,
  ): GrownTree {
    this.rows = rows;
    this.grad = grad;
    this.hess = hess;
    this.features = features;
    this.p = p;
    this.splitter.reset(p, features, rng);
    const hists = this.hists;
    const k = p.featuresPerSplit > 0 ? Math.min(p.featuresPerSplit, features.length) : features.length;
    const mode = p.histograms ?? 'auto';
    this.direct = mode === 'direct' || (mode === 'auto' && 2 * k < features.length);
    const pack = p.packRows ?? 'auto';
    this.packed = this.direct && (pack === 'always' || (pack === 'auto' && m * this.nFeatures >= PACK_MIN_BYTES));
    if (this.packed) this.packedRows.pack(rows, m, grad, hess, this.flat, this.colStart);
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
        if (c.hist && hists.isScratch(c.hist)) c.hist = null;
        if (c.feature >= 0 && (c === left ? canL : canR)) queue.push(c);
        else settled.add(this.release(c));
      }
    }
    while (queue.size > 0) settled.add(this.release(queue.pop()));
    if (!this.direct) this.kernel!.store(rows, m);
    return { ...out.finish(p, this.data.edges), ...settled.finish(m) };
  }

  private canSplit(n: Node, maxDepth: number): boolean {
    return n.depth < maxDepth && n.C >= 2 * Math.max(1, this.p.minSamplesLeaf) && n.H >= 2 * this.p.minChildWeight;
  }

  /** Gives back a node's histogram; returns the node. */
  private release(n: Node): Node {
    this.hists.release(n.hist);
    n.hist = null;
    return n;
  }

  private histogramKernel(): HistogramKernel {
    this.kernel ??= new HistogramKernel(this.flat, this.data.rows, this.nFeatures, this.hists.size);
    return this.kernel;
  }

  /** Overwrites `hist` with the histogram of the loaded rows at positions [start, end) for the tree's features. */
  private buildInto(hist: Float64Array, start: number, end: number): void {
    const feats = this.features;
    const { offset, nBins } = this.hists;
    this.kernel!.histogram(start, end, feats, feats.length, this.colStart, offset, nBins, hist);
  }

  /** Best split among freshly drawn features, each histogram built from the node's rows into clean scratch. */
  private evaluateDirect(n: Node): void {
    const splitter = this.splitter;
    const k = splitter.drawFeatures();
    const drawn = splitter.drawn;
    const { scratchA: hist, offset, nBins } = this.hists;
    const { rows, grad, hess, flat, colStart } = this;
    const m = n.end - n.start;
    let widest = 0;
    for (let j = 0; j < k; j++) if (nBins[drawn[j]] > widest) widest = nBins[drawn[j]];
    if (m >= 2 * widest) {
      // Large node: one pass over the rows feeds every drawn feature; whole bucket ranges
      // are scanned and cleaned afterwards.
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
    // Small node: track the buckets actually hit so scanning and cleaning stay proportional to the rows.
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
  private evaluatePacked(n: Node): void {
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
  private evaluate(n: Node): void {
    const splitter = this.splitter;
    const k = splitter.drawFeatures();
    const hist = n.hist!;
    const nBins = this.hists.nBins;
    for (let j = 0; j < k; j++) splitter.scan(hist, n, splitter.drawn[j], 0, nBins[splitter.drawn[j]] - 1);
  }

  /** Sibling histograms: the smaller child built, the larger by subtraction when the parent's is kept. */
  private childHistograms(parent: Node, left: Node, right: Node): void {
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
  private split(n: Node, out: TreeArrays): [Node, Node] {
    const ml = n.missingLeft === 1;
    const l = !this.direct
      ? this.kernel!.partition(n.start, n.end, this.colStart[n.feature], n.bin, ml)
      : this.packed
        ? this.packedRows.partition(this.rows, this.spill, n.start, n.end, n.feature, n.bin, ml)
        : partitionColumn(this.rows, this.spill, this.flat, this.colStart[n.feature], n.start, n.end, n.bin, ml);
    const leftId = out.add(n.GL, n.HL);
    const rightId = out.add(n.G - n.GL, n.H - n.HL);
    out.setSplit(n.id, n.feature, n.bin, n.missingLeft, leftId, rightId, n.gain);
    const left = newNode(leftId, n.start, l, n.depth + 1, n.GL, n.HL, n.CL);
    const right = newNode(rightId, l, n.end, n.depth + 1, n.G - n.GL, n.H - n.HL, n.C - n.CL);
    return [left, right];
  }
}

function newNode(id: number, start: number, end: number, depth: number, G: number, H: number, C: number): Node {
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

  finish(p: TreeParams, edges: Float64Array[]): Pick<GrownTree, 'tree' | 'binThreshold'> {
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

  finish(m: number): Pick<GrownTree, 'leafNode' | 'leafStart'> {
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
