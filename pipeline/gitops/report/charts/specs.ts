/**
 * Vega-Lite specs of the report's charts. Each builder takes plain arrays (labels 0/1,
 * probabilities) and returns a spec with the data inlined, so rendering needs nothing
 * else. Axis titles say what a value means to a credit team, with its unit.
 */
import type { TopLevelSpec } from 'vega-lite';
import { averagePrecision, prCurve, rocAuc, rocCurve, type Costs, costCurve } from '../../../core/index.ts';
import { PALETTE } from './palette.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const W = 360;
const H = 300;

export interface ScoredSeries {
  /** Legend label, e.g. "challenger" or "champion v3". */
  label: string;
  y: ArrayLike<number>;
  p: ArrayLike<number>;
}

/** At most `max` points, always keeping the first and last. */
/** What the charts are drawn on, in their titles, unless told otherwise. */
export const TEST_ROWS = 'test rows';

export function thin<T>(points: T[], max = 300): T[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(points[Math.round(k * step)]);
  return out;
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const fmt3 = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3));

function seriesColours(series: ScoredSeries[]): { domain: string[]; range: string[] } {
  return {
    domain: series.map((s) => s.label),
    range: series.map((_, i) => (i === 0 ? PALETTE.challenger : PALETTE.champion)),
  };
}

/** The dashed y = x reference line shared by the ROC and calibration charts. */
const DIAGONAL = {
  data: {
    values: [
      { a: 0, b: 0 },
      { a: 1, b: 1 },
    ],
  },
  mark: { type: 'line' as const, strokeDash: [4, 4], color: PALETTE.reference },
  encoding: { x: { field: 'a', type: 'quantitative' as const }, y: { field: 'b', type: 'quantitative' as const } },
};

export function rocSpec(series: ScoredSeries[], scoredOn = TEST_ROWS): TopLevelSpec {
  const labelled = series.map((s) => ({ ...s, label: `${s.label} (AUC ${fmt3(rocAuc(s.y, s.p))})` }));
  const rows = labelled.flatMap((s) => {
    const c = rocCurve(s.y, s.p);
    return thin(c.fpr.map((fpr, i) => ({ model: s.label, fpr: r4(fpr), tpr: r4(c.tpr[i]), order: i })));
  });
  return {
    $schema: SCHEMA,
    title: {
      text: `ROC curve (${scoredOn})`,
      subtitle: 'Higher and further left is better; the dashed line is a random guess',
    },
    width: W,
    height: H,
    layer: [
      DIAGONAL,
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
        encoding: {
          x: {
            field: 'fpr',
            type: 'quantitative',
            title: 'False positive rate (share of good payers refused)',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          y: {
            field: 'tpr',
            type: 'quantitative',
            title: 'True positive rate (share of defaulters caught)',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          color: { field: 'model', type: 'nominal', title: null, scale: seriesColours(labelled) },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  } as TopLevelSpec;
}

export function prSpec(series: ScoredSeries[], scoredOn = TEST_ROWS): TopLevelSpec {
  const labelled = series.map((s) => ({ ...s, label: `${s.label} (AP ${fmt3(averagePrecision(s.y, s.p))})` }));
  const rows = labelled.flatMap((s) => {
    const c = prCurve(s.y, s.p);
    return thin(
      [
        { recall: 0, precision: c.precision[0] ?? 1 },
        ...c.recall.map((recall, i) => ({ recall, precision: c.precision[i] })),
      ].map((pt, i) => ({ model: s.label, recall: r4(pt.recall), precision: r4(pt.precision), order: i })),
    );
  });
  const y0 = series[0].y;
  let pos = 0;
  for (let i = 0; i < y0.length; i++) pos += y0[i];
  const base = y0.length ? pos / y0.length : 0;
  return {
    $schema: SCHEMA,
    title: {
      text: `Precision–recall curve (${scoredOn})`,
      subtitle: `Dashed line: share of defaulters in the rows (${(100 * base).toFixed(1)} %), what a random guess achieves`,
    },
    width: W,
    height: H,
    layer: [
      {
        data: { values: [{ base }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: PALETTE.reference },
        encoding: { y: { field: 'base', type: 'quantitative' } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: {
            field: 'recall',
            type: 'quantitative',
            title: 'Recall (share of defaulters caught)',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          y: {
            field: 'precision',
            type: 'quantitative',
            title: 'Precision (share of refusals that would default)',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          color: { field: 'model', type: 'nominal', title: null, scale: seriesColours(labelled) },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  } as TopLevelSpec;
}

export interface CalibrationBin {
  bin: number;
  predicted: number;
  observed: number;
  rows: number;
}

/** Equal-width probability bins: mean prediction vs observed default rate. */
export function calibrationBins(y: ArrayLike<number>, p: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const n = new Float64Array(bins);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p[i] * bins)));
    sumP[b] += p[i];
    sumY[b] += y[i];
    n[b]++;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++)
    if (n[b] > 0) out.push({ bin: b, predicted: sumP[b] / n[b], observed: sumY[b] / n[b], rows: n[b] });
  return out;
}

export function calibrationSpec(series: ScoredSeries[], scoredOn = TEST_ROWS): TopLevelSpec {
  const rows = series.flatMap((s) =>
    calibrationBins(s.y, s.p).map((b) => ({
      model: s.label,
      predicted: r4(b.predicted),
      observed: r4(b.observed),
      rows: b.rows,
    })),
  );
  return {
    $schema: SCHEMA,
    title: {
      text: `Calibration (${scoredOn}, 10 probability bins)`,
      subtitle: 'On the dashed diagonal, a predicted 20 % means 20 % of such applicants default',
    },
    width: W,
    height: H,
    layer: [
      DIAGONAL,
      {
        data: { values: rows },
        mark: { type: 'line', point: { filled: true }, strokeWidth: 2 },
        encoding: {
          x: {
            field: 'predicted',
            type: 'quantitative',
            title: 'Mean predicted probability of default',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          y: {
            field: 'observed',
            type: 'quantitative',
            title: 'Observed default rate',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          color: { field: 'model', type: 'nominal', title: null, scale: seriesColours(series) },
        },
      },
    ],
  } as TopLevelSpec;
}

export function confusionSpec(
  c: { tp: number; fp: number; tn: number; fn: number },
  positive: string,
  negative: string,
  threshold: number,
  scoredOn = TEST_ROWS,
): TopLevelSpec {
  const total = c.tp + c.fp + c.tn + c.fn || 1;
  const cell = (actual: string, predicted: string, count: number, correct: boolean) => ({
    actual: `${actual}`,
    predicted: `${predicted}`,
    count,
    label: `${count} (${((100 * count) / total).toFixed(1)} %)`,
    correct: correct ? 'correct' : 'error',
  });
  const values = [
    cell(positive, positive, c.tp, true),
    cell(positive, negative, c.fn, false),
    cell(negative, positive, c.fp, false),
    cell(negative, negative, c.tn, true),
  ];
  const order = [positive, negative];
  return {
    $schema: SCHEMA,
    title: {
      text: `Confusion matrix (${scoredOn})`,
      subtitle: `Applicants per cell at threshold ${threshold.toFixed(3)}`,
    },
    width: 260,
    height: 220,
    data: { values },
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        sort: order,
        title: 'Predicted class (decision)',
        axis: { labelAngle: 0 },
      },
      y: { field: 'actual', type: 'nominal', sort: order, title: 'Actual class (outcome)' },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: {
          color: {
            field: 'count',
            type: 'quantitative',
            title: 'Applicants',
            scale: { scheme: 'blues' },
            legend: null,
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 14 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: {
            condition: { test: `datum.count > ${Math.max(c.tp, c.fp, c.tn, c.fn) / 2}`, value: 'white' },
            value: '#222',
          },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Histogram of predicted probabilities per actual class, threshold marked. */
export function distributionSpec(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  positive: string,
  negative: string,
  threshold: number,
  bins = 20,
  scoredOn = TEST_ROWS,
): TopLevelSpec {
  const counts = [new Float64Array(bins), new Float64Array(bins)];
  for (let i = 0; i < p.length; i++)
    counts[y[i] === 1 ? 1 : 0][Math.min(bins - 1, Math.max(0, Math.floor(p[i] * bins)))]++;
  const values = [0, 1].flatMap((cls) =>
    Array.from(counts[cls], (n, b) => ({
      class: cls === 1 ? `${positive} (defaulted)` : `${negative} (repaid)`,
      from: b / bins,
      to: (b + 1) / bins,
      n,
    })),
  );
  return {
    $schema: SCHEMA,
    title: {
      text: `Score distribution by actual class (${scoredOn})`,
      subtitle: 'Good separation puts the two colours on opposite sides of the threshold',
    },
    width: W,
    height: 240,
    layer: [
      {
        data: { values },
        mark: { type: 'rect', opacity: 0.6, stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: {
            field: 'from',
            type: 'quantitative',
            title: 'Predicted probability of default',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          x2: { field: 'to' },
          y: { field: 'n', type: 'quantitative', title: 'Applicants (count)', stack: null },
          y2: { datum: 0 },
          color: {
            field: 'class',
            type: 'nominal',
            title: 'Actual',
            scale: { domain: [`${positive} (defaulted)`, `${negative} (repaid)`], range: [PALETTE.bad, PALETTE.good] },
          },
        },
      },
      {
        data: { values: [{ t: threshold, label: `threshold ${threshold.toFixed(3)}` }] },
        layer: [
          {
            mark: { type: 'rule', color: '#222', strokeDash: [6, 3] },
            encoding: { x: { field: 't', type: 'quantitative' } },
          },
          {
            mark: { type: 'text', align: 'left', dx: 4, dy: -4, baseline: 'top', y: 0 },
            encoding: { x: { field: 't', type: 'quantitative' }, text: { field: 'label' } },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}

/** Expected cost per applicant at every threshold (costCurve), the chosen one marked. */
export function costSpec(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  costs: Costs,
  threshold: number,
  scoredOn = TEST_ROWS,
): TopLevelSpec {
  const curve = costCurve(y, p, costs)
    .map((pt) => ({ threshold: r4(pt.threshold), cost: r4(pt.cost) }))
    .sort((a, b) => a.threshold - b.threshold);
  let atChosen = curve[0]?.cost ?? 0;
  for (const pt of curve) if (pt.threshold <= threshold) atChosen = pt.cost;
  return {
    $schema: SCHEMA,
    title: {
      text: `Expected cost vs decision threshold (${scoredOn})`,
      subtitle: `A missed default costs ${costs.false_negative}, a refused good payer ${costs.false_positive}; the threshold was chosen on validation rows`,
    },
    width: W,
    height: 260,
    layer: [
      {
        data: { values: thin(curve, 400) },
        mark: { type: 'line', strokeWidth: 2, color: PALETTE.challenger, interpolate: 'step-after' },
        encoding: {
          x: {
            field: 'threshold',
            type: 'quantitative',
            title: 'Decision threshold (probability of default)',
            scale: { domain: [0, 1] },
            axis: { format: '.0%' },
          },
          y: { field: 'cost', type: 'quantitative', title: 'Expected cost per applicant (cost units)' },
        },
      },
      {
        data: {
          values: [
            {
              t: threshold,
              cost: atChosen,
              label: `chosen ${threshold.toFixed(3)}: ${atChosen.toFixed(3)} per applicant`,
            },
          ],
        },
        layer: [
          {
            mark: { type: 'rule', color: PALETTE.bad, strokeDash: [6, 3] },
            encoding: { x: { field: 't', type: 'quantitative' } },
          },
          {
            mark: { type: 'point', filled: true, size: 70, color: PALETTE.bad },
            encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'cost', type: 'quantitative' } },
          },
          {
            // Pinned to the top of the plot so it never sits on the curve.
            mark: { type: 'text', align: 'left', baseline: 'top', dx: 6, y: 4, color: PALETTE.bad },
            encoding: { x: { field: 't', type: 'quantitative' }, text: { field: 'label' } },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}

export interface ImportanceRow {
  feature: string;
  /** Mean drop in ROC AUC when shuffled. */
  permutation: number | null;
  permutation_sd: number | null;
  mean_abs_shap: number;
}

/** Permutation importance with ±1 sd whiskers, features sorted by it. */
export function importanceSpec(rows: ImportanceRow[]): TopLevelSpec {
  const values = rows
    .filter((r) => r.permutation !== null)
    .map((r) => ({
      feature: r.feature,
      drop: r4(r.permutation!),
      lo: r4(r.permutation! - (r.permutation_sd ?? 0)),
      hi: r4(r.permutation! + (r.permutation_sd ?? 0)),
    }))
    .sort((a, b) => b.drop - a.drop);
  const order = values.map((v) => v.feature);
  return {
    $schema: SCHEMA,
    title: {
      text: 'Feature importance: permutation (test rows)',
      subtitle: 'Fall in ROC AUC when the feature is shuffled; whiskers ±1 sd over repeats',
    },
    width: W,
    height: { step: 20 },
    data: { values },
    encoding: { y: { field: 'feature', type: 'nominal', sort: order, title: 'Feature' } },
    layer: [
      {
        mark: { type: 'bar', color: PALETTE.challenger },
        encoding: { x: { field: 'drop', type: 'quantitative', title: 'Fall in ROC AUC (AUC points)' } },
      },
      {
        mark: { type: 'rule', color: '#333' },
        encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
    ],
  } as TopLevelSpec;
}

export interface ShapSummaryInput {
  features: string[];
  /** values[i][f] contribution of feature f in row i. */
  values: Float64Array[];
  /** colour[i][f]: the row's feature value as a percentile 0–1 (null for categories / missing). */
  colour: (number | null)[][];
  output: 'log_odds' | 'probability';
}

/**
 * Beeswarm-style SHAP summary, binned so the SVG stays small whatever the row count:
 * per feature, SHAP values fall in 41 bins; dot size = applicants in the bin, colour =
 * their mean feature value (percentile), grey for categories.
 */
export function shapSummarySpec(input: ShapSummaryInput, maxFeatures = 12, bins = 41): TopLevelSpec {
  const meanAbs = input.features.map(
    (_, f) => input.values.reduce((s, v) => s + Math.abs(v[f]), 0) / Math.max(1, input.values.length),
  );
  const ranked = input.features
    .map((name, f) => ({ name, f, m: meanAbs[f] }))
    .sort((a, b) => b.m - a.m)
    .slice(0, maxFeatures);
  let lim = 0;
  for (const v of input.values) for (const r of ranked) lim = Math.max(lim, Math.abs(v[r.f]));
  lim = lim || 1;
  const width = (2 * lim) / bins;
  const values: { feature: string; shap: number; rows: number; value: number }[] = [];
  for (const r of ranked) {
    const label = `${r.name} (${r.m.toFixed(3)})`;
    const n = new Float64Array(bins);
    const sum = new Float64Array(bins);
    const coloured = new Float64Array(bins);
    input.values.forEach((v, i) => {
      const b = Math.min(bins - 1, Math.max(0, Math.floor((v[r.f] + lim) / width)));
      n[b]++;
      const c = input.colour[i][r.f];
      if (c !== null) {
        sum[b] += c;
        coloured[b]++;
      }
    });
    for (let b = 0; b < bins; b++) {
      if (n[b] === 0) continue;
      values.push({
        feature: label,
        shap: r4(-lim + (b + 0.5) * width),
        rows: n[b],
        value: coloured[b] > 0 ? r4(sum[b] / coloured[b]) : -1,
      });
    }
  }
  const order = ranked.map((r) => `${r.name} (${r.m.toFixed(3)})`);
  const unit = input.output === 'log_odds' ? 'log-odds' : 'probability';
  return {
    $schema: SCHEMA,
    title: {
      text: `SHAP summary (${input.values.length} test applicants)`,
      subtitle: `Right of 0 pushes toward default; dot size = applicants; mean |SHAP| in ${unit}`,
    },
    width: W + 60,
    height: { step: 24 },
    layer: [
      // Own one-row data set: one zero line, not one per dot.
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: PALETTE.reference },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'circle', opacity: 0.85, stroke: 'white', strokeWidth: 0.3 },
        encoding: {
          y: { field: 'feature', type: 'nominal', sort: order, title: 'Feature (mean |SHAP|)' },
          x: {
            field: 'shap',
            type: 'quantitative',
            title: `SHAP value (contribution to the ${unit} of default)`,
            scale: { domain: [-lim, lim] },
          },
          size: { field: 'rows', type: 'quantitative', title: 'Applicants', scale: { range: [8, 220] }, legend: null },
          color: {
            // Categories have no order to colour by: -1 marks them grey.
            condition: { test: 'datum.value < 0', value: PALETTE.neutral },
            field: 'value',
            type: 'quantitative',
            title: 'Feature value percentile (grey: category)',
            scale: { domain: [0, 1], range: [PALETTE.low, '#d9d9d9', PALETTE.high] },
            legend: { format: '.0%', gradientLength: 160, titleLimit: 400 },
          },
        },
      },
    ],
  } as TopLevelSpec;
}
