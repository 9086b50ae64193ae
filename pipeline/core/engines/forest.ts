/**
 * Random forest on our histogram tree grower: bootstrap rows, a few random candidate
 * features per split, deep trees averaged. Trees are grown on worker threads when the
 * job is big enough to repay their start-up; each tree depends only on its own derived
 * seed, so the forest is byte-identical for any worker count.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type {
  Attribution,
  Engine,
  EngineFactory,
  EngineOptions,
  EngineState,
  FeatureMatrix,
  FitContext,
  ParamSpec,
} from './engine.ts';
import { classWeightsOf, rowWeights } from './class-weight.ts';
import { resolveParams } from './params.ts';
import { binMatrix } from './tree/binning.ts';
import {
  checkColumns,
  gainImportance,
  treeFromJSON,
  treeToJSON,
  type CompactTree,
  type CompactTreeJSON,
} from './tree/compact.ts';
import { PackedEnsemble } from './tree/packed.ts';
import type { WorkerReply, WorkerRequest } from './tree/forest-protocol.ts';
import { ForestGrower, OOB_SCALE, type ForestJob } from './tree/forest-trees.ts';
import { rocAuc } from '../evaluation/metrics.ts';
import { DEFAULT_FIT_THREADING, type FitThreading } from './tree/threads.ts';

const paramSpec: Record<string, ParamSpec> = {
  // scikit-learn's default count: on the bundled splits more trees score no better beyond
  // what the seed moves, for proportionally more time (README, Engines); raise it (or tune
  // it) for steadier scores between runs.
  nTrees: { type: 'integer', default: 100, min: 1, max: 100000, description: 'Number of trees.' },
  maxDepth: { type: 'integer', default: 0, min: 0, max: 64, description: 'Deepest split level; 0 = unlimited.' },
  // Credit targets are noisy: leaves of 15+ rows on half-size bootstrap samples validate
  // better than fully grown trees (cross-validated on both bundled data sets), and fit faster.
  minSamplesLeaf: { type: 'integer', default: 15, min: 1, max: 1e9, description: 'Fewest training rows in a leaf.' },
  maxLeaves: {
    type: 'integer',
    default: 4096,
    min: 0,
    max: 1e9,
    description:
      'Leaves per tree at most, best splits first; 0 = unlimited (trees on millions of rows then grow very large).',
  },
  maxFeatures: {
    type: 'number',
    default: 'sqrt',
    min: 1e-6,
    max: 1,
    values: ['sqrt', 'log2'],
    description: 'Candidate features per split: sqrt, log2, or a fraction of all features.',
  },
  sampling: {
    type: 'string',
    default: 'bootstrap',
    values: ['bootstrap', 'subsample'],
    description: 'Rows per tree drawn with replacement (bootstrap) or without (subsample).',
  },
  sampleFraction: {
    type: 'number',
    default: 0.5,
    min: 1e-6,
    max: 1,
    description: 'Rows per tree as a fraction of the training rows.',
  },
  classWeight: {
    type: 'string',
    default: 'none',
    values: ['none', 'balanced'],
    description: 'Weight classes inversely to their frequency.',
  },
  minSplitGain: {
    type: 'number',
    default: 0,
    min: 0,
    max: 1e9,
    description: 'Impurity decrease (weighted) a split must exceed.',
  },
  maxBins: {
    type: 'integer',
    default: 255,
    min: 3,
    max: 255,
    description: 'Quantile buckets per feature, missing included.',
  },
};

export interface ForestState {
  nFeatures: number;
  /** ROC AUC of out-of-bag votes on the training rows (null when no row was ever left out). */
  oobAuc: number | null;
  /** Training rows with at least one out-of-bag vote. */
  oobRows: number;
  trees: CompactTreeJSON[];
}

export class ForestEngine implements Engine {
  readonly name = 'forest';
  private readonly p: Record<string, number | string | boolean>;
  private nFeatures = 0;
  private oobAuc: number | null = null;
  private oobRows = 0;
  private treeList: CompactTree[] = [];
  private packed: PackedEnsemble | null = null;
  private lastThreadTrees = 0;

  constructor(
    params: Record<string, number | string | boolean>,
    private readonly options: EngineOptions = {},
    state?: ForestState,
  ) {
    this.p = params;
    if (state) {
      this.nFeatures = state.nFeatures;
      this.oobAuc = state.oobAuc;
      this.oobRows = state.oobRows;
      this.treeList = state.trees.map(treeFromJSON);
    }
  }

  params(): Record<string, number | string | boolean> {
    return { ...this.p };
  }

  /** Trees grown on worker threads during the last fit (diagnostics). */
  get threadTrees(): number {
    return this.lastThreadTrees;
  }

  /** Out-of-bag ROC AUC of the last fit. */
  get outOfBagAuc(): number | null {
    return this.oobAuc;
  }

  async fit(X: FeatureMatrix, y: Uint8Array, ctx: FitContext): Promise<void> {
    const p = this.p;
    const n = X.rows;
    const d = X.columns.length;
    const nTrees = p.nTrees as number;
    const wanted = ctx.workers ?? Math.min(4, availableParallelism());
    const workers = Number.isFinite(wanted) ? Math.max(1, Math.floor(wanted)) : 1;
    const threaded = workers > 1;
    const binned = binMatrix(X, { maxBins: p.maxBins as number, shared: threaded });
    const job: ForestJob = {
      rows: n,
      bins: binned.bins.length > 0 ? (binned.bins[0].buffer as SharedArrayBuffer | ArrayBuffer) : new ArrayBuffer(0),
      edges: binned.edges,
      y: copyInto(y, threaded ? new Uint8Array(new SharedArrayBuffer(Math.max(1, n))) : new Uint8Array(n)),
      weight: rowWeights(
        y,
        classWeightsOf(p.classWeight as string, y),
        ctx.sampleWeight,
        threaded ? new Float64Array(new SharedArrayBuffer(Math.max(8, n * 8))).subarray(0, n) : new Float64Array(n),
      ),
      seed: ctx.seed,
      sampling: p.sampling === 'subsample' ? 'subsample' : 'bootstrap',
      sampleFraction: p.sampleFraction as number,
      tree: {
        maxDepth: p.maxDepth as number,
        maxLeaves: p.maxLeaves as number,
        growth: (p.maxLeaves as number) > 0 ? 'leaf' : 'depth',
        minSamplesLeaf: p.minSamplesLeaf as number,
        minChildWeight: 0,
        lambda: 0,
        alpha: 0,
        minSplitGain: p.minSplitGain as number,
        featuresPerSplit: featuresPerSplit(p.maxFeatures, d),
        shrinkage: 1,
      },
    };
    const threading = { ...DEFAULT_FIT_THREADING, ...ctx.threading };
    const grown = await growForest(job, nTrees, workers, threading, ctx);
    this.treeList = grown.trees;
    this.lastThreadTrees = grown.threadTrees;
    this.nFeatures = d;
    this.packed = null;
    const score = new Float64Array(n);
    let m = 0;
    const yOob = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (grown.oobCount[i] === 0) continue;
      score[m] = grown.oobSum[i] / OOB_SCALE / grown.oobCount[i];
      yOob[m++] = y[i];
    }
    const auc = m > 0 ? rocAuc(yOob.subarray(0, m), score.subarray(0, m)) : null;
    this.oobAuc = auc === null ? null : Number(auc.toPrecision(10));
    this.oobRows = m;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    checkColumns('forest', X, this.nFeatures, this.treeList.length);
    if (!this.packed) this.packed = new PackedEnsemble(this.treeList, this.options.scoring);
    const out = new Float64Array(X.rows);
    this.packed.addScores(X, out);
    const k = this.treeList.length;
    if (k > 0) for (let i = 0; i < out.length; i++) out[i] /= k;
    return out;
  }

  featureImportance(): Float64Array {
    return gainImportance(this.treeList, this.nFeatures);
  }

  /** The trees' leaf values are positive-class probabilities, averaged. */
  attribution(): Attribution {
    const k = this.treeList.length;
    return {
      kind: 'tree-ensemble',
      output: 'probability',
      ensemble: { trees: this.treeList, scale: k ? 1 / k : 0, base: 0 },
      margin: (X) => this.predictProba(X),
    };
  }

  toJSON(): EngineState {
    const state: ForestState = {
      nFeatures: this.nFeatures,
      oobAuc: this.oobAuc,
      oobRows: this.oobRows,
      trees: this.treeList.map(treeToJSON),
    };
    return { engine: this.name, params: { ...this.p }, state };
  }
}

function featuresPerSplit(v: number | string | boolean, d: number): number {
  if (v === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(d)));
  if (v === 'log2') return Math.max(1, Math.floor(Math.log2(Math.max(1, d))));
  return Math.max(1, Math.min(d, Math.floor(Number(v) * d)));
}

function copyInto(src: Uint8Array, dst: Uint8Array): Uint8Array {
  dst.set(src.subarray(0, dst.length));
  return dst;
}

interface Grown {
  trees: CompactTree[];
  /** How many of them worker threads grew. */
  threadTrees: number;
  oobSum: Float64Array;
  oobCount: Uint32Array;
}

/**
 * Grows trees on the main thread and, once the measured pace says the rest would take
 * longer than `threading.minSeconds`, on up to `workers - 1` pooled threads as
 * well; trees are handed out in small chunks to whoever is free and stored by index.
 * A thread that fails (e.g. it cannot load its code) costs time, not the fit: every
 * tree it grew or held is grown again on the main thread, out-of-bag votes included.
 */
async function growForest(
  job: ForestJob,
  nTrees: number,
  workers: number,
  threading: FitThreading,
  ctx: FitContext,
): Promise<Grown> {
  const { pool } = threading;
  const trees: (CompactTree | undefined)[] = new Array(nTrees);
  const local = new ForestGrower(job);
  const oobSum = local.oobSum;
  const oobCount = local.oobCount;
  let next = 0;
  let done = 0;
  const chunk = Math.max(1, Math.min(8, Math.floor(nTrees / (workers * 8))));
  const threads: Promise<void>[] = [];
  const redo: number[] = [];
  let helpers = 0;
  let threadTrees = 0;
  /** Threads not yet ready; when the main thread finishes first they are let go. */
  const pending = new Set<() => void>();

  const finished = (): void => {
    done++;
    ctx.onProgress?.(done, nTrees, 'trees');
  };
  const enlist = (worker: Worker): void => {
    helpers++;
    threads.push(
      new Promise<void>((resolve) => {
        let released = false;
        const held: number[] = [];
        const grown: number[] = [];
        const send = (msg: WorkerRequest): void => worker.postMessage(msg);
        const dispatch = (): void => {
          held.length = 0;
          if (next >= nTrees) return send({ type: 'finish' });
          while (held.length < chunk && next < nTrees) held.push(next++);
          send({ type: 'grow', trees: [...held] });
        };
        const letGo = (): void => {
          released = true;
          pending.delete(letGo);
          resolve();
        };
        pending.add(letGo);
        const onMessage = (msg: WorkerReply): void => {
          if (msg.type === 'ready') {
            if (released) return send({ type: 'finish' });
            pending.delete(letGo);
            dispatch();
          } else if (msg.type === 'trees') {
            for (const t of msg.trees) {
              trees[t.index] = t.tree;
              grown.push(t.index);
              threadTrees++;
              finished();
            }
            dispatch();
          } else {
            if (!released) {
              for (let i = 0; i < msg.sum.length; i++) {
                oobSum[i] += msg.sum[i];
                oobCount[i] += msg.count[i];
              }
            }
            detach();
            pool.release(worker);
            resolve();
          }
        };
        const onError = (err: unknown): void => {
          detach();
          pool.discard(worker);
          if (!released) {
            // Its out-of-bag votes died with it, so the trees it returned are grown again too.
            for (const t of held.concat(grown)) redo.push(t);
            threadTrees -= grown.length;
            done -= grown.length;
            ctx.onWarning?.(
              `forest: a worker thread failed (${err instanceof Error ? err.message : String(err)}); its trees are grown on the main thread`,
            );
          }
          resolve();
        };
        const onExit = (code: number): void => onError(new Error(`worker exited early (code ${code})`));
        const detach = (): void => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
        send({ type: 'job', job });
      }),
    );
  };
  const enlistAll = (k: number): void => {
    for (const w of pool.acquire(k)) enlist(w);
  };

  if (workers > 1 && !threading.mainThreadGrows) {
    await pool.prepare();
    enlistAll(workers);
  }
  // Bundling the worker code costs the main thread time too, so it starts only once new
  // threads look worth it.
  let preparing = false;
  let fastest = Infinity;
  const started = performance.now();
  const mainGrows = threading.mainThreadGrows || helpers === 0;
  while (mainGrows && (next < nTrees || redo.length > 0)) {
    const index = redo.length > 0 ? redo.pop()! : next++;
    const t0 = performance.now();
    trees[index] = local.grow(index);
    finished();
    fastest = Math.min(fastest, performance.now() - t0);
    // Judged after a few trees (or at once when they are slow), at the pace of the fastest
    // tree so far: the first trees run before the JIT has warmed up and would overstate
    // what is left.
    if (
      workers > 1 &&
      helpers === 0 &&
      next < nTrees &&
      (done >= 3 || performance.now() - started > 1000 * threading.minSecondsCold)
    ) {
      const rest = (fastest / 1000) * (nTrees - next);
      if (pool.idleCount() >= workers - 1) {
        if (rest > threading.minSeconds) enlistAll(workers - 1);
      } else if (rest > threading.minSecondsCold) {
        if (pool.ready()) enlistAll(workers - 1);
        else if (!preparing) {
          preparing = true;
          void pool.prepare();
        }
      }
    }
    // Let worker replies in between trees so they get their next chunk promptly (and,
    // before that, let the worker bundle finish).
    if (helpers > 0 || (preparing && !pool.ready())) await new Promise<void>((r) => setImmediate(r));
  }
  for (;;) {
    if (next >= nTrees) for (const letGo of [...pending]) letGo();
    await Promise.all(threads);
    if (redo.length === 0 && next >= nTrees) break;
    // Only reached when threads failed (or the main thread was not growing): finish here.
    while (redo.length > 0 || next < nTrees) {
      const index = redo.length > 0 ? redo.pop()! : next++;
      trees[index] = local.grow(index);
      finished();
    }
  }
  return { trees: trees.map((t, i) => t ?? missingTree(i)), threadTrees, oobSum, oobCount };
}

function missingTree(i: number): never {
  throw new Error(`forest tree ${i} was never grown`);
}

export const forestFactory: EngineFactory = {
  name: 'forest',
  encoding: 'tree',
  description: 'Random forest (bootstrap, random features per split, histogram splits; multi-threaded, deterministic).',
  paramSpec,
  usesValidation: false,
  // scikit-learn's grid for RandomForest, within what a two-core CI runner affords per trial.
  searchSpace: {
    nTrees: { type: 'int', low: 100, high: 400 },
    // 0 = unlimited depth (the engine default), leaves then bounded by minSamplesLeaf.
    maxDepth: { type: 'choice', values: [0, 6, 8, 10, 12, 16] },
    minSamplesLeaf: { type: 'int', low: 2, high: 60, log: true },
    maxFeatures: { type: 'choice', values: ['sqrt', 'log2', 0.33, 0.5] },
    sampleFraction: { type: 'float', low: 0.3, high: 1 },
  },
  // Per tree: a fixed cost plus histogram work over the distinct rows a bootstrap draws, the
  // candidate features per split (sublinear: a split's sort and partition do not grow with
  // them) and the levels grown; constants fitted to the README's benchmark machine.
  fitSeconds(params, shape) {
    const n =
      shape.rows *
      (params.sampling === 'subsample' ? Number(params.sampleFraction) : 1 - Math.exp(-Number(params.sampleFraction)));
    const mf = params.maxFeatures;
    const mtry =
      mf === 'sqrt' ? Math.sqrt(shape.columns) : mf === 'log2' ? Math.log2(shape.columns) : Number(mf) * shape.columns;
    const grown = Math.max(1, Math.log2(Math.max(2, n / Number(params.minSamplesLeaf))));
    const levels = Number(params.maxDepth) > 0 ? Math.min(Number(params.maxDepth), grown) : grown;
    return 0.05 + Number(params.nTrees) * (1.3e-3 + 2.5e-8 * n * Math.max(1, mtry) ** 0.6 * levels);
  },
  size: (params) => Number(params.nTrees),
  create(params, options) {
    return new ForestEngine(resolveParams('forest', paramSpec, params), options);
  },
  fromJSON(state: EngineState, options) {
    if (state.engine !== 'forest') throw new Error(`expected a forest state, got "${state.engine}"`);
    return new ForestEngine(resolveParams('forest', paramSpec, state.params), options, state.state as ForestState);
  },
};
