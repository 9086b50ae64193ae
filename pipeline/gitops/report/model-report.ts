/**
 * Everything a model report says, computed once from a bundle (and its run folder's
 * metrics.json when there is one) on the model's own test rows, then written as a
 * model card, a self-contained report.html, report.json for the service and dashboard,
 * and charts/*.svg. Used by `mlops report` for run folders (card README.md) and by the
 * registry for promoted versions (`reports/<model>/v<N>/`, card `models/<model>/v<N>/card.md`).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  readBundle,
  type Bundle,
  type FileRef,
  legacyDataRefs,
  type Dataset,
  computeMetrics,
  globalImportance,
  explainRows,
  referenceFrom,
  shapValues,
  attributionOf,
  type ShapValues,
  percentileOf,
  DEFAULT_FAIRNESS,
  fairnessReport,
  resolveColumn,
  duplicateWarning,
  sensitiveFeatures,
  sensitiveFeatureWarning,
  type FairnessConfig,
  writeFileAtomic,
  writeJsonAtomic,
  CreditModel,
  MlopsError,
  type MetricsFile,
  type RawTable,
  type ProgressCallbacks,
  Rng,
  deriveSeed,
} from '../../core/index.ts';
import { readMetricsFile, readRunRecord, trainedAt, type RunRecord } from '../run/run-folder.ts';
import { bootstrapIntervals } from './bootstrap.ts';
import { renderCharts, type Chart } from './charts/index.ts';
import { calibrationBins } from './charts/specs.ts';
import { renderModelCard } from './card.ts';
import {
  dataSummary,
  dependencyReport,
  runEnvironment,
  timingRows,
  type DependencyCheckOptions,
  type DependencyReport,
} from './diagnostics.ts';
import { evaluationRows, recordedTable, rowsColumn, rowsDataset, type EvaluationRows } from '../run/evaluation-rows.ts';
import { runDataRecord, type DataRecord } from '../run/data-record.ts';
import { renderHtmlReport } from './html.ts';
import type { ReportData } from './report-data.ts';

export interface ReportOptions extends ProgressCallbacks {
  bundle: Bundle;
  /** metrics.json of the run (timings, overfitting); optional for registry versions. */
  metrics?: MetricsFile | null;
  run?: RunRecord | null;
  /** Where the model's rows were read from; default: the run's record (run.json). */
  record?: DataRecord | null;
  /** Project folder: the recorded data paths resolve against it. */
  baseDir: string;
  /** Further folders to look for the data in (e.g. the current folder). */
  alsoIn?: string[];
  /** Evaluate on this labelled CSV instead of rebuilding the test rows. */
  data?: string;
  /** The training rows as read at training time (a database need not be read twice). */
  table?: RawTable;
  champion?: Bundle | null;
  fairness?: FairnessConfig;
  /** false = skip; options = run `npm outdated` with them. Default: skip. */
  dependencies?: false | DependencyCheckOptions;
  /** Registry version number, for the card title. */
  version?: number | null;
  /** Seed of bootstrap, permutation and sampling (default: the model's seed). */
  seed?: number;
  /** Largest TreeSHAP workload for the global summary (see shapRowLimit). */
  shapBudget?: number;
}

export interface BuiltReport {
  data: ReportData;
  charts: Chart[];
}

/**
 * Rows explained for the SHAP summary. Exact TreeSHAP costs about nodes × depth per
 * tree and row; a deep forest costs orders of magnitude more than a shallow boosted
 * model, so its summary uses a seeded sample that keeps report generation short.
 */
export function shapRowLimit(model: CreditModel, budget = 6e7): number {
  const a = attributionOf(model);
  if (a?.kind !== 'tree-ensemble') return Infinity;
  let work = 0;
  for (const t of a.ensemble.trees) {
    let depth = 0;
    const stack: [number, number][] = [[0, 0]];
    while (stack.length) {
      const [n, d] = stack.pop()!;
      if (t.feature[n] < 0) depth = Math.max(depth, d);
      else stack.push([t.left[n], d + 1], [t.right[n], d + 1]);
    }
    work += t.feature.length * Math.max(1, depth);
  }
  return Math.max(50, Math.floor(budget / Math.max(1, work)));
}

function sampleRows(n: number, limit: number, seed: number): number[] | undefined {
  if (n <= limit) return undefined;
  const idx = Array.from({ length: n }, (_, i) => i);
  new Rng(deriveSeed(seed, 505)).shuffle(idx);
  return idx.slice(0, limit).sort((a, b) => a - b);
}

function positiveRate(y: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i];
  return y.length ? s / y.length : 0;
}

/** Colour of each SHAP dot: the row's feature value as a percentile (null for categories). */
export function shapColours(ds: Dataset, s: ShapValues): (number | null)[][] {
  const ref = referenceFrom(ds);
  return s.rows.map((r) =>
    s.features.map((f) => {
      const v = ds.numeric.get(f);
      const sorted = ref.get(f);
      if (!v || !sorted || Number.isNaN(v[r])) return null;
      return percentileOf(sorted, v[r]) / 100;
    }),
  );
}

function pickExamples(p: Float64Array, threshold: number): { row: number; label: string }[] {
  const order = Array.from(p, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  const out: { row: number; label: string }[] = [];
  if (order.length) out.push({ row: order[0], label: 'highest-risk applicant' });
  const refused = order.filter((i) => p[i] >= threshold);
  const nearest = refused.length ? refused[refused.length - 1] : undefined;
  if (nearest !== undefined && nearest !== order[0])
    out.push({ row: nearest, label: 'refused applicant closest to the threshold' });
  const median = order[Math.floor(order.length / 2)];
  if (median !== undefined && !out.some((o) => o.row === median))
    out.push({ row: median, label: 'median-risk applicant' });
  return out;
}

function limitations(d: Omit<ReportData, 'limitations'>, model: CreditModel): string[] {
  const out: string[] = [];
  out.push(
    `Trained on ${d.model.data.rows.toLocaleString('en-US')} historical applications from one source (\`${d.model.data.path}\`, ${(100 * d.target.positive_rate).toFixed(1)} % ${d.target.positive}); it knows nothing of applicants unlike them, and its probabilities assume the same mix of applicants and economic conditions.`,
  );
  const test = d.intervals.find((i) => i.metric === 'roc_auc');
  if (test && test.lo !== null && test.hi !== null) {
    out.push(
      `The test ROC AUC is an estimate from ${d.evaluation.rows} rows: its 95 % interval is ${test.lo.toFixed(3)} – ${test.hi.toFixed(3)}; differences between models smaller than that width are not evidence.`,
    );
  }
  if (d.overfitting?.flagged)
    out.push(
      `Train − test ROC AUC gap ${d.overfitting.gap?.toFixed(3)} exceeds ${d.overfitting.max_gap}: the model fits its training rows much better than new ones.`,
    );
  if (d.calibration.max_gap !== null && d.calibration.max_gap > 0.1) {
    out.push(
      `Probabilities are not well calibrated: in some probability band the observed default rate differs from the predicted one by ${(100 * d.calibration.max_gap).toFixed(0)} points. Use the decision and risk band, not the raw probability, as a price input.`,
    );
  }
  const missing = d.data_summary.filter((c) => c.missing_pct >= 5);
  if (missing.length)
    out.push(
      `Often missing in the data: ${missing.map((c) => `${c.column} (${c.missing_pct.toFixed(1)} %)`).join(', ')}; the model learned what missing means in this data set, which may not hold elsewhere.`,
    );
  if (d.fairness.verdict.status !== 'passed') out.push(d.fairness.verdict.text);
  const small = d.fairness.attributes.flatMap((a) =>
    a.groups.filter((g) => g.small).map((g) => `${a.attribute} = ${g.group}`),
  );
  if (small.length) out.push(`Too few test rows to judge fairness for: ${small.join(', ')}.`);
  const kind = attributionOf(model)?.kind;
  if (kind === 'weighted-sum')
    out.push(
      "A soft-voting ensemble: its probability is the weighted mean of its members' probabilities, and each member's contributions are expressed in probability (log-odds ones rescaled per applicant), so an applicant's contributions add up to the ensemble's probability minus its base value. It is less transparent than one model: the reasons are a blend of its members'.",
    );
  else if (kind === 'linear')
    out.push(
      'Logistic contributions are measured from an applicant with every standardised number at the training mean and no one-hot category set; they explain the log-odds, not the probability.',
    );
  else if (d.explanations)
    out.push(
      `Tree explanations are path-dependent TreeSHAP values: they follow the training data's correlations between features, so a feature that merely travels with a risky one can receive credit.`,
    );
  out.push(
    "Not for use as the sole basis of a decision: a person reviews refusals, and the reason codes are the model's reasons, not proof of the applicant's creditworthiness.",
  );
  return out;
}

/** A bare bundle's rows, for a report on rows given with --data: known by their digest only. */
function unrecorded(bundle: Bundle): DataRecord {
  const p = bundle.provenance;
  const ref = (r: { digest: string; rows: number }): FileRef => ({
    path: 'rows read from a source this bundle does not record',
    sha256: r.digest,
    rows: r.rows,
  });
  return { data: ref(p.data), test_data: p.test_data ? ref(p.test_data) : null };
}

export async function buildReport(opts: ReportOptions): Promise<BuiltReport> {
  const bundle = opts.bundle;
  const model = new CreditModel(bundle);
  const seed = opts.seed ?? bundle.provenance.seed;
  const warnings: string[] = [];
  const stages: Record<string, number> = {};
  let mark = performance.now();
  const stage = (name: string): void => {
    const now = performance.now();
    stages[name] = Math.round(now - mark) / 1000;
    mark = now;
  };
  const record = opts.record ?? (opts.run ? runDataRecord(opts.run) : legacyDataRefs(bundle));
  if (!record && !opts.data)
    throw new MlopsError(
      'input',
      `model ${bundle.digest} pins its rows by digest only, and no run record says where they were read from; report its run folder, or pass --data FILE with labelled rows`,
    );
  opts.onStage?.('report: rebuilding and scoring the test rows');
  const rows: EvaluationRows = evaluationRows(bundle, {
    record: record ?? unrecorded(bundle),
    baseDir: opts.baseDir,
    alsoIn: opts.alsoIn,
    data: opts.data,
    table: opts.table ?? (opts.data ? undefined : await recordedTable(bundle, record!, opts.baseDir)),
  });
  const ds = rowsDataset(rows, bundle.schema);
  const y = ds.y!;
  const p = model.score(ds);
  const test = computeMetrics(y, p, bundle.threshold, bundle.costs);
  if (
    !opts.data &&
    bundle.metrics.test.roc_auc !== null &&
    test.roc_auc !== null &&
    Math.abs(bundle.metrics.test.roc_auc - test.roc_auc) > 1e-9
  ) {
    warnings.push(
      `The rebuilt test rows give ROC AUC ${test.roc_auc.toFixed(6)}, the bundle says ${bundle.metrics.test.roc_auc.toFixed(6)}: the rows may differ from training's.`,
    );
  }

  stage('rebuild and score test rows');
  let champion: ReportData['champion'] = null;
  const series = [{ label: opts.champion ? `challenger (${bundle.engine.engine})` : bundle.engine.engine, y, p }];
  if (opts.champion) {
    opts.onStage?.('report: scoring the champion');
    const c = opts.champion;
    try {
      const cm = new CreditModel(c);
      const cds = rowsDataset(rows, c.schema);
      const cp = cm.score(cds);
      champion = {
        name: c.name,
        digest: c.digest,
        engine: c.engine.engine,
        test: computeMetrics(cds.y!, cp, c.threshold, c.costs),
        note: null,
      };
      series.push({ label: `champion (${c.engine.engine})`, y: cds.y!, p: cp });
    } catch (e) {
      champion = {
        name: c.name,
        digest: c.digest,
        engine: c.engine.engine,
        test: null,
        note: `could not score the champion on these rows: ${(e as Error).message}`,
      };
      warnings.push(champion.note!);
    }
  }

  stage('score champion');
  opts.onStage?.('report: explanations and importance');
  let importance: ReportData['importance'] = [];
  let explanations: ReportData['explanations'] = null;
  let shapInput: Parameters<typeof renderCharts>[0]['shap'];
  const engineImportance = new Map(bundle.feature_importance.map((f) => [f.feature, f.importance]));
  try {
    const sample = sampleRows(ds.rows, shapRowLimit(model, opts.shapBudget), seed);
    const s = shapValues(model, ds, sample);
    const imp = globalImportance(model, ds, { shap: s, repeats: 3, seed });
    importance = imp.map((r) => ({ ...r, engine: engineImportance.get(r.feature) ?? null }));
    shapInput = { features: s.features, values: s.values, colour: shapColours(ds, s), output: s.output };
    const ref = referenceFrom(ds);
    const examples = pickExamples(p, bundle.threshold).map(({ row, label }) => {
      const [e] = explainRows(model, ds, [row], { reference: ref });
      return {
        label,
        probability: e.probability,
        decision: model.decision(p[row]),
        reasons: e.reason_codes,
        contributions: e.contributions.slice(0, 6),
      };
    });
    explanations = {
      output: s.output,
      method: explanationMethod(attributionOf(model)?.kind),
      rows: s.rows.length,
      base_value: s.base,
      examples,
    };
  } catch (e) {
    warnings.push(`explanations skipped: ${(e as Error).message}`);
    importance = bundle.feature_importance.map((f) => ({
      feature: f.feature,
      mean_abs_shap: 0,
      permutation: null,
      permutation_sd: null,
      engine: f.importance,
    }));
  }

  stage('explanations and importance');
  opts.onStage?.('report: fairness and dependencies');
  const fairnessConfig = opts.fairness ?? DEFAULT_FAIRNESS;
  const dq = opts.metrics?.data_quality;
  const duplicated = dq
    ? duplicateWarning(dq, (record ?? unrecorded(bundle)).data.path, bundle.provenance.data.rows)
    : null;
  if (duplicated) warnings.push(duplicated);
  const keep = (bundle.provenance.config as { data?: { keep?: string[] } }).data?.keep ?? [];
  const sensitive = sensitiveFeatureWarning(
    sensitiveFeatures(
      bundle.schema.features.map((f) => f.name),
      fairnessConfig,
      keep,
    ),
  );
  if (sensitive) warnings.push(sensitive[0].toUpperCase() + sensitive.slice(1));
  const columns = new Map<string, (string | null)[]>();
  for (const a of fairnessConfig.attributes) {
    const column = resolveColumn(a.column, rows.table.header);
    const v = column === null ? null : rowsColumn(rows, column);
    if (column !== null && v) columns.set(column, v);
  }
  const fairness = fairnessReport({ y, p, threshold: bundle.threshold, columns }, fairnessConfig);

  const bins = calibrationBins(y, p).filter((b) => b.rows >= 20);
  const calibration = {
    max_gap: bins.length ? bins.reduce((m, b) => Math.max(m, Math.abs(b.observed - b.predicted)), 0) : null,
  };
  const dependencies: DependencyReport =
    opts.dependencies === false || opts.dependencies === undefined
      ? {
          status: 'skipped',
          message: 'Dependency check not requested (`mlops report --deps` runs `npm outdated`).',
          outdated: [],
        }
      : await dependencyReport(opts.dependencies);

  stage('fairness and dependencies');
  opts.onStage?.('report: charts');
  const charts = await renderCharts({
    positive: bundle.schema.positive,
    negative: bundle.schema.negative,
    threshold: bundle.threshold,
    costs: bundle.costs,
    confusion: test.confusion_matrix,
    series,
    importance,
    shap: shapInput,
  });

  stage('charts');
  opts.onStage?.('report: bootstrap intervals');
  const intervals = bootstrapIntervals(y, p, bundle.threshold, bundle.costs, {
    resamples: 300,
    seed,
    onProgress: opts.onProgress,
  });
  stage('bootstrap intervals');
  const prov = bundle.provenance;
  const partial: Omit<ReportData, 'limitations'> = {
    format: 'credit-risk-gitops/report',
    model: {
      name: bundle.name,
      engine: bundle.engine.engine,
      digest: bundle.digest,
      params: bundle.engine.params,
      version: opts.version ?? null,
      threshold: bundle.threshold,
      costs: bundle.costs,
      risk_bands: bundle.risk_bands,
      created_at: prov.created_at,
      trained_at: opts.run ? trainedAt(opts.run) : null,
      git: prov.git,
      seed: prov.seed,
      data: (record ?? unrecorded(bundle)).data,
      test_data: (record ?? unrecorded(bundle)).test_data,
    },
    selection: bundle.selection ?? null,
    run: opts.run
      ? { id: opts.run.id, created_at: opts.run.created_at, trained_at: trainedAt(opts.run), command: opts.run.command }
      : null,
    target: {
      column: bundle.schema.target,
      positive: bundle.schema.positive,
      negative: bundle.schema.negative,
      rows: bundle.schema.rows,
      positive_rate: bundle.schema.positive_rate,
    },
    evaluation: { source: rows.source, rows: ds.rows, positive_rate: positiveRate(y) },
    metrics: {
      train: bundle.metrics.train,
      validation: bundle.metrics.validation,
      test: opts.data ? test : bundle.metrics.test,
    },
    intervals,
    champion,
    overfitting: opts.metrics?.overfitting ?? null,
    calibration,
    importance,
    explanations,
    fairness,
    data_summary: dataSummary(bundle.schema),
    timings: {
      rows: timingRows(opts.metrics?.timings),
      score_us_per_row: opts.metrics?.timings.score_us_per_row ?? null,
      report_s: null,
      report_cpu_s: null,
      report_stages: stages,
    },
    environment: runEnvironment(),
    dependencies,
    charts: charts.map((c) => ({ file: c.file, title: c.title })),
    warnings,
  };
  return { data: { ...partial, limitations: limitations(partial, model) }, charts };
}

/**
 * Where a report is written. The model card is README.md beside the report unless `card`
 * puts it elsewhere (a registry version's card.md): then the card links back to the
 * report's files, `finish` adds what the report does not know, and the report folder
 * keeps a one-line README.md pointing at the card.
 */
export interface ReportTarget {
  dir: string;
  card?: { file: string; finish: (card: string) => string };
}

/** Writes report.html, report.json, charts/*.svg and the model card (see ReportTarget). */
export function writeReport({ dir: outDir, card }: ReportTarget, built: BuiltReport): string[] {
  mkdirSync(join(outDir, 'charts'), { recursive: true });
  const files: string[] = [];
  for (const c of built.charts) {
    writeFileAtomic(join(outDir, 'charts', c.file), c.svg);
    files.push(`charts/${c.file}`);
  }
  writeJsonAtomic(join(outDir, 'report.json'), built.data);
  writeFileAtomic(join(outDir, 'report.html'), renderHtmlReport(built.data, built.charts));
  files.push('report.json', 'report.html');
  if (card) {
    const base = relative(dirname(card.file), outDir).split(sep).join('/');
    writeFileAtomic(card.file, card.finish(renderModelCard(built.data, base ? `${base}/` : '')));
    const link = relative(outDir, card.file).split(sep).join('/');
    writeFileAtomic(join(outDir, 'README.md'), `The model card of this report is [${basename(card.file)}](${link}).\n`);
  } else writeFileAtomic(join(outDir, 'README.md'), renderModelCard(built.data));
  files.push('README.md');
  return files;
}

/**
 * The one call for a complete report (run folder or registry version): builds it,
 * writes it to `outDir` (and to each of `alsoTo`, e.g. a run that became a registry
 * version: built once, written twice), and records how long it took.
 */
export async function generateReport(
  opts: ReportOptions & { outDir: string; card?: ReportTarget['card']; alsoTo?: ReportTarget[] },
): Promise<{ files: string[]; data: ReportData; seconds: number; cpuSeconds: number }> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const built = await buildReport(opts);
  const seconds = Math.round(performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  built.data.timings.report_s = seconds;
  // CPU time says what the report costs even on a shared, busy machine.
  built.data.timings.report_cpu_s = Math.round((cpu.user + cpu.system) / 1000) / 1000;
  const files = writeReport({ dir: opts.outDir, card: opts.card }, built);
  for (const target of opts.alsoTo ?? []) writeReport(target, built);
  return { files, data: built.data, seconds, cpuSeconds: built.data.timings.report_cpu_s! };
}

/**
 * The report of a run folder, written into it (README.md, report.html, report.json,
 * charts/): one call for `mlops run`/`train` after the folder is written.
 */
export async function reportRunFolder(
  runDir: string,
  opts: Omit<ReportOptions, 'bundle' | 'metrics' | 'run'> & { outDir?: string },
): Promise<{ files: string[]; data: ReportData; seconds: number; cpuSeconds: number }> {
  const modelPath = ['model.json', 'model.json.gz'].map((f) => join(runDir, f)).find((p) => existsSync(p));
  if (!modelPath) throw new MlopsError('input', `${runDir} is not a run folder (no model.json)`);
  return generateReport({
    ...opts,
    bundle: readBundle(modelPath),
    metrics: existsSync(join(runDir, 'metrics.json')) ? readMetricsFile(runDir) : null,
    run: existsSync(join(runDir, 'run.json')) ? readRunRecord(runDir) : null,
    outDir: opts.outDir ?? runDir,
  });
}

function explanationMethod(kind: string | undefined): string {
  if (kind === 'linear') return 'coefficient × standardised value';
  if (kind === 'weighted-sum')
    return "weighted sum of the members' TreeSHAP / coefficient × standardised value attributions, in probability";
  return 'exact path-dependent TreeSHAP';
}
