/**
 * Text for `mlops runs list|show|compare`: markdown (for PR comments and docs), an
 * aligned terminal table, or JSON. Everything is deterministic for the same records so
 * outputs can be diffed and tested exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { markdownTable } from 'markdown-table';
import { leaderboardMarkdown } from '../report/leaderboard.ts';
import { metricsTable } from '../report/tables.ts';
import { HIGHER_IS_BETTER, num, readBundle, signed, type MetricsFile, type Selection } from '../../core/index.ts';
import { metricValue } from './query.ts';
import { RUN_METRICS, isHigherBetter, type TrackedRun } from './store.ts';

export type Format = 'table' | 'markdown' | 'json';
type Align = 'l' | 'r';

/** A plain aligned table for terminals: header, a rule, rows. */
export function textTable(rows: string[][], align: Align[]): string {
  const widths = rows[0].map((_, j) => rows.reduce((w, r) => Math.max(w, [...(r[j] ?? '')].length), 0));
  const line = (r: string[]): string =>
    r
      .map((c, j) => (align[j] === 'r' ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function table(rows: string[][], align: Align[], format: 'table' | 'markdown'): string {
  return format === 'markdown' ? markdownTable(rows, { align }) : textTable(rows, align);
}

const shortCommit = (r: TrackedRun): string =>
  r.git.commit ? `${r.git.commit.slice(0, 7)}${r.git.dirty ? '*' : ''}` : '-';
const shortSha = (s: string | null | undefined): string => (s ? s.replace(/^sha256:/, '').slice(0, 8) : '-');
const created = (r: TrackedRun): string => r.created_at.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');

export const LIST_METRICS = ['roc_auc', 'pr_auc', 'brier', 'expected_cost'];

/** `mlops runs list`. Extra metric columns appear for the sort and --where metrics. */
/** `recorded`: how many runs the store holds before filtering (an empty list then says the filters matched none). */
export function renderList(
  runs: TrackedRun[],
  format: Format,
  extraMetrics: string[] = [],
  recorded = runs.length,
): string {
  if (format === 'json') return JSON.stringify(runs.map(summaryJson), null, 2);
  if (runs.length === 0 && recorded > 0)
    return `no run matches these filters (${recorded} run${recorded === 1 ? '' : 's'} recorded; "mlops runs list" without filters shows them)`;
  if (runs.length === 0) return 'no runs recorded yet (train with "mlops train" or "mlops run")';
  const metrics = [...LIST_METRICS, ...extraMetrics.filter((m) => !LIST_METRICS.includes(m))];
  const head = ['id', 'created (UTC)', 'command', 'engine', 'on', 'data', 'commit', ...metrics];
  const rows = runs.map((r) => [
    r.id,
    created(r),
    r.command,
    r.engine,
    r.metrics_split,
    shortSha(r.data?.sha256),
    shortCommit(r),
    ...metrics.map((m) => num(metricValue(r, m))),
  ]);
  const align: Align[] = [...head.slice(0, 7).map(() => 'l' as const), ...metrics.map(() => 'r' as const)];
  return table([head, ...rows], align, format);
}

export function summaryJson(r: TrackedRun): Record<string, unknown> {
  return {
    id: r.id,
    created_at: r.created_at,
    command: r.command,
    engine: r.engine,
    params: r.params,
    seed: r.seed,
    data: r.data,
    git: r.git,
    model_digest: r.model_digest,
    metrics_split: r.metrics_split,
    metrics: r.metrics,
    timings: r.timings,
    dir: r.dir,
    location: r.location,
  };
}

/** `mlops runs show`: everything about one run. */
export function renderShow(r: TrackedRun): string {
  const rec = r.record;
  const t = rec.tracking;
  const params = Object.entries(r.params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const rows: [string, string][] = [
    ['created', r.created_at],
    ['command', r.command],
    ['folder', r.location],
    [
      'git commit',
      r.git.commit ? `${r.git.commit}${r.git.dirty ? ' (uncommitted changes)' : ''}` : 'unknown (not a git checkout)',
    ],
    ['data', r.data ? `${r.data.path} · sha256 ${r.data.sha256} · ${r.data.rows} rows` : 'n/a'],
  ];
  if (rec.test_data)
    rows.push(['test data', `${rec.test_data.path} · sha256 ${rec.test_data.sha256} · ${rec.test_data.rows} rows`]);
  rows.push(
    ['engine', `${r.engine}${params ? ` · ${params}` : ''}`],
    ['seed', r.seed === null ? 'n/a' : String(r.seed)],
  );
  if (r.model_digest) rows.push(['model', `${r.model_name} ${r.model_digest}`]);
  if (typeof rec.threshold === 'number') rows.push(['threshold', num(rec.threshold)]);
  if (t?.trial)
    rows.push(['tuning trial', `${t.trial.index} of ${t.trial.study}${t.trial.baseline ? ' (baseline)' : ''}`]);
  if (t?.ci) rows.push(['CI run', t.ci.run_url ?? t.ci.run_id ?? 'unknown']);
  if (t?.mlflow) {
    rows.push([
      'MLflow',
      t.mlflow.status === 'logged'
        ? `run ${t.mlflow.run_id} in experiment ${t.mlflow.experiment_id} at ${t.mlflow.tracking_uri}`
        : `not logged (${t.mlflow.error}); retry with "mlops runs mlflow ${r.id}"`,
    ]);
  }
  const width = rows.reduce((w, [k]) => Math.max(w, k.length), 0);
  const out = [`run ${r.id}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`), ''];
  const metricsFile = readMetricsFile(r.location);
  if (metricsFile) {
    out.push(metricsTable({ train: metricsFile.train, validation: metricsFile.validation, test: metricsFile.test }));
  } else {
    out.push(
      markdownTable([['metric', r.metrics_split], ...Object.entries(r.metrics).map(([k, v]) => [k, num(v)])], {
        align: ['l', 'r'],
      }),
    );
  }
  const selection = selectionOf(r);
  if (selection)
    out.push('', 'model selection (engine: auto):', '', leaderboardMarkdown(selection, measuredFitSeconds(r)));
  if (Object.keys(r.timings).length) {
    out.push(
      '',
      `timings: ${Object.entries(r.timings)
        .map(([k, v]) => `${k.replace(/_s$/, '')} ${v}${k.endsWith('_s') ? ' s' : ''}`)
        .join(' · ')}`,
    );
  }
  if (t?.artifacts?.length) {
    out.push('', 'artifacts:');
    for (const a of t.artifacts)
      out.push(`  ${a.name.padEnd(12)} ${String(a.bytes).padStart(9)} B  sha256 ${a.sha256}`);
  }
  return out.join('\n');
}

/** The run's metrics.json when it is there and whole; show falls back to the record's metrics. */
/** The bundle's selection when the run's model.json is there and made by `engine: auto`. */
function selectionOf(r: TrackedRun): Selection | null {
  const file = join(r.location, 'model.json');
  if (!r.record.auto || !existsSync(file)) return null;
  try {
    return readBundle(file).selection ?? null;
  } catch {
    return null;
  }
}

function measuredFitSeconds(r: TrackedRun): Record<string, number> | undefined {
  const lb = r.record.auto?.leaderboard;
  return lb ? Object.fromEntries(lb.map((e) => [e.candidate, e.fit_s])) : undefined;
}

function readMetricsFile(dir: string): MetricsFile | null {
  const file = join(dir, 'metrics.json');
  if (!existsSync(file)) return null;
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as MetricsFile;
    return m && m.train && m.validation && m.test ? m : null;
  } catch {
    return null;
  }
}

/** Flattens the model-relevant parts of a recorded config for the "differs" table. */
function configFacts(r: TrackedRun): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.params)) out[k] = String(v);
  if (r.seed !== null) out.seed = String(r.seed);
  const c = r.record.tracking?.config;
  if (c) {
    out['split'] = `${c.split.train}/${c.split.validation}/${c.split.test}`;
    out['costs'] = `FN ${c.costs.false_negative} / FP ${c.costs.false_positive}`;
    out['data.target'] = `${c.data.target}=${c.data.positive}`;
    if (c.data.drop.length) out['data.drop'] = c.data.drop.join(',');
  }
  return out;
}

export interface Comparison {
  runs: TrackedRun[];
  /** Parameters (and model-relevant config) whose values differ between the runs. */
  differing: { name: string; values: (string | null)[] }[];
  metrics: { name: string; higher_is_better: boolean | null; values: (number | null)[]; deltas: (number | null)[] }[];
  notes: string[];
}

/** Params that differ, every metric side by side with deltas against the first run. */
export function compareRuns(runs: TrackedRun[]): Comparison {
  const facts = runs.map(configFacts);
  const names = [...new Set(facts.flatMap((f) => Object.keys(f)))].sort();
  const differing = names
    .map((name) => ({ name, values: facts.map((f) => f[name] ?? null) }))
    .filter((d) => new Set(d.values.map((v) => v ?? '\u0000')).size > 1);
  const metricNames = [
    ...RUN_METRICS,
    ...new Set(runs.flatMap((r) => Object.keys(r.metrics)).filter((k) => !RUN_METRICS.includes(k))),
  ];
  const metrics = metricNames
    .filter((m) => runs.some((r) => metricValue(r, m) !== null))
    .map((name) => {
      const values = runs.map((r) => metricValue(r, name));
      const base = values[0];
      return {
        name,
        higher_is_better: Object.hasOwn(HIGHER_IS_BETTER, name) || name.endsWith('_sd') ? isHigherBetter(name) : null,
        values,
        deltas: values.map((v, i) => (i === 0 || v === null || base === null ? null : v - base)),
      };
    });
  const notes: string[] = [];
  const splits = [...new Set(runs.map((r) => r.metrics_split))];
  if (splits.length > 1)
    notes.push(
      `The metrics were measured on different rows (${runs.map((r) => r.metrics_split).join(', ')}); compare with care.`,
    );
  const datas = [...new Set(runs.map((r) => r.data?.sha256 ?? 'unknown'))];
  if (datas.length > 1)
    notes.push('The runs were trained on different data: metric differences mix model and data changes.');
  return { runs, differing, metrics, notes };
}

const label = (r: TrackedRun): string => r.id;

export function renderComparison(c: Comparison, format: Format): string {
  if (format === 'json') {
    return JSON.stringify(
      { runs: c.runs.map(summaryJson), differing: c.differing, metrics: c.metrics, notes: c.notes },
      null,
      2,
    );
  }
  const md = format === 'markdown';
  const heads = c.runs.map(label);
  const runAlign: Align[] = c.runs.map(() => 'l');
  const overview = [
    ['', ...heads],
    ['created (UTC)', ...c.runs.map(created)],
    ['command', ...c.runs.map((r) => r.command)],
    ['engine', ...c.runs.map((r) => r.engine)],
    [
      'data',
      ...c.runs.map((r) =>
        r.data ? `${basename(r.data.path)} (${shortSha(r.data.sha256)}, ${r.data.rows} rows)` : 'n/a',
      ),
    ],
    ['git commit', ...c.runs.map(shortCommit)],
    ['model', ...c.runs.map((r) => shortSha(r.model_digest))],
    ['fit time (s)', ...c.runs.map((r) => num(r.timings.fit_s ?? null, 3))],
  ];
  const h = (level: number, text: string): string => (md ? `${'#'.repeat(level)} ${text}` : text);
  const out = [h(2, `Comparing ${c.runs.length} runs`), '', table(overview, ['l', ...runAlign], format), ''];
  out.push(h(3, 'Parameters that differ'), '');
  if (c.differing.length === 0) out.push('None: every parameter is the same.');
  else
    out.push(
      table(
        [['parameter', ...heads], ...c.differing.map((d) => [d.name, ...d.values.map((v) => v ?? '–')])],
        ['l', ...c.runs.map(() => 'r' as const)],
        format,
      ),
    );
  const split = [...new Set(c.runs.map((r) => r.metrics_split))].join(', ');
  out.push('', h(3, `Metrics (${split} rows; Δ against ${heads[0]})`), '');
  const rows = c.metrics.map((m) => [
    m.higher_is_better === null ? m.name : `${m.name} ${m.higher_is_better ? '↑' : '↓'}`,
    ...m.values.map((v, i) =>
      i === 0 || v === null || m.deltas[i] === null ? num(v) : `${num(v)} (${signed(m.deltas[i]!)})`,
    ),
  ]);
  out.push(table([['metric', ...heads], ...rows], ['l', ...c.runs.map(() => 'r' as const)], format));
  out.push('', '↑ higher is better, ↓ lower is better.');
  for (const n of c.notes) out.push('', `Note: ${n}`);
  return out.join('\n');
}
