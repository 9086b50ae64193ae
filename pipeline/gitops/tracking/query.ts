/**
 * Filtering and ordering runs: `--engine`, `--param k=v`, `--where metric>value`,
 * `--sort metric` (best first, honouring smaller-is-better metrics), `best`.
 */
import { usageError } from '../../core/index.ts';
import { RUN_METRICS, isHigherBetter, type TrackedRun } from './store.ts';

export type Op = '>' | '>=' | '<' | '<=' | '=' | '!=';

export interface Condition {
  metric: string;
  op: Op;
  value: number;
}

export interface RunQuery {
  /** train, run, tune, action:train… */
  command?: string;
  engine?: string;
  /** The data set: a prefix of its sha256, or its path as recorded. */
  data?: string;
  params?: Record<string, string>;
  where?: Condition[];
  sort?: string;
  limit?: number;
}

/** Metric names a query may use: the known metrics plus any a record carries (trials). */
export function knownMetrics(runs: TrackedRun[]): string[] {
  const names = new Set(RUN_METRICS);
  for (const r of runs) for (const k of Object.keys(r.metrics)) names.add(k);
  for (const r of runs) for (const k of Object.keys(r.timings)) names.add(k);
  return [...names];
}

export function metricValue(run: TrackedRun, metric: string): number | null {
  const v = Object.hasOwn(run.metrics, metric)
    ? run.metrics[metric]
    : Object.hasOwn(run.timings, metric)
      ? run.timings[metric]
      : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function checkMetric(metric: string, runs: TrackedRun[], flag: string): void {
  const known = knownMetrics(runs);
  if (!known.includes(metric)) throw usageError(`${flag}: unknown metric "${metric}" (known: ${known.join(', ')})`);
}

/** Parses `roc_auc>0.8`, `brier<=0.15`, `engine` conditions are flags of their own. */
export function parseCondition(text: string): Condition {
  const m = /^\s*([A-Za-z0-9_.-]+)\s*(>=|<=|!=|==|=|>|<)\s*(-?[0-9.eE+-]+)\s*$/.exec(text);
  if (!m || !Number.isFinite(Number(m[3]))) {
    throw usageError(
      `--where expects metric<op>number with op one of > >= < <= = != (got ${JSON.stringify(text)}), e.g. --where "roc_auc>0.8"`,
    );
  }
  return { metric: m[1], op: (m[2] === '==' ? '=' : m[2]) as Op, value: Number(m[3]) };
}

export function parseParamFilter(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw usageError(`--param expects key=value (got ${JSON.stringify(p)})`);
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

function holds(v: number | null, c: Condition): boolean {
  if (v === null) return false;
  switch (c.op) {
    case '>':
      return v > c.value;
    case '>=':
      return v >= c.value;
    case '<':
      return v < c.value;
    case '<=':
      return v <= c.value;
    case '=':
      return v === c.value;
    case '!=':
      return v !== c.value;
  }
}

/** `--param nTrees=500` matches 500 and "500"; `true` matches the boolean. */
function paramMatches(actual: unknown, wanted: string): boolean {
  if (actual === undefined) return false;
  if (typeof actual === 'number' && wanted.trim() !== '' && Number.isFinite(Number(wanted)))
    return actual === Number(wanted);
  return String(actual) === wanted;
}

/** Sorts best first by a metric; runs without a value go last, newest first among equals. */
export function sortByMetric(runs: TrackedRun[], metric: string): TrackedRun[] {
  const sign = isHigherBetter(metric) ? -1 : 1;
  return runs
    .map((r, i) => ({ r, i, v: metricValue(r, metric) }))
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      return a.v === b.v ? a.i - b.i : sign * (a.v - b.v);
    })
    .map((x) => x.r);
}

/** Applies a query to runs given newest first. */
export function queryRuns(runs: TrackedRun[], q: RunQuery): TrackedRun[] {
  for (const c of q.where ?? []) checkMetric(c.metric, runs, '--where');
  if (q.sort) checkMetric(q.sort, runs, '--sort');
  let out = runs.filter((r) => {
    if (q.command && r.command !== q.command) return false;
    if (q.engine && r.engine !== q.engine) return false;
    if (q.data && !dataMatches(r, q.data)) return false;
    for (const [k, v] of Object.entries(q.params ?? {})) if (!paramMatches(r.params[k], v)) return false;
    for (const c of q.where ?? []) if (!holds(metricValue(r, c.metric), c)) return false;
    return true;
  });
  if (q.sort) out = sortByMetric(out, q.sort);
  if (q.limit !== undefined) out = out.slice(0, q.limit);
  return out;
}

function dataMatches(r: TrackedRun, wanted: string): boolean {
  if (!r.data) return false;
  return r.data.path === wanted || (/^[0-9a-f]{4,64}$/i.test(wanted) && r.data.sha256.startsWith(wanted.toLowerCase()));
}

/** Runs measured on the same rows: the same data set (sha256) and the same split (test, cv5…). */
export interface RunGroup {
  data: TrackedRun['data'];
  split: string;
  runs: TrackedRun[];
}

/**
 * Groups runs by the rows their metrics were measured on. A metric measured on other data (or
 * on cross-validation folds rather than a test split) is not comparable: expected cost
 * depends on the default rate, AUC on how hard the rows are.
 */
export function groupByRows(runs: TrackedRun[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const r of runs) {
    const key = `${r.data?.sha256 ?? '?'} ${r.metrics_split}`;
    const g = groups.get(key) ?? { data: r.data, split: r.metrics_split, runs: [] };
    g.runs.push(r);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/**
 * The best run of each group of comparable runs (same data set and split), among runs that
 * have the metric; groups in the order of their newest run.
 */
export function bestRunPerRows(runs: TrackedRun[], metric: string): { group: RunGroup; best: TrackedRun }[] {
  checkMetric(metric, runs, '--metric');
  const withValue = runs.filter((r) => metricValue(r, metric) !== null);
  return groupByRows(withValue).map((group) => ({ group, best: sortByMetric(group.runs, metric)[0] }));
}
