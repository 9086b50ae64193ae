/** The report's charts, rendered to SVG strings in a fixed order. */
import type { Confusion, Costs } from '../../../core/index.ts';
import { renderSvg } from './render.ts';
import {
  calibrationSpec,
  confusionSpec,
  costSpec,
  distributionSpec,
  importanceSpec,
  prSpec,
  rocSpec,
  shapSummarySpec,
  TEST_ROWS,
  type ImportanceRow,
  type ScoredSeries,
  type ShapSummaryInput,
} from './specs.ts';

export { renderSvg } from './render.ts';
export type { ImportanceRow, ScoredSeries, ShapSummaryInput } from './specs.ts';

export interface Chart {
  /** File name under charts/, e.g. `roc.svg`. */
  file: string;
  title: string;
  svg: string;
}

export interface ChartsInput {
  positive: string;
  negative: string;
  threshold: number;
  costs: Costs;
  confusion: Confusion;
  /** The model under review first, then the champion when there is one. */
  series: ScoredSeries[];
  importance?: ImportanceRow[];
  shap?: ShapSummaryInput;
  /** What the scored rows are, in the charts' titles (default "test rows"; e.g. "sample clients"). */
  rows?: string;
}

export async function renderCharts(input: ChartsInput): Promise<Chart[]> {
  const main = input.series[0];
  const rows = input.rows ?? TEST_ROWS;
  const specs = [
    { file: 'roc.svg', title: 'ROC curve', spec: rocSpec(input.series, rows) },
    { file: 'precision-recall.svg', title: 'Precision–recall curve', spec: prSpec(input.series, rows) },
    { file: 'calibration.svg', title: 'Calibration', spec: calibrationSpec(input.series, rows) },
    {
      file: 'confusion-matrix.svg',
      title: 'Confusion matrix',
      spec: confusionSpec(input.confusion, input.positive, input.negative, input.threshold, rows),
    },
    {
      file: 'score-distribution.svg',
      title: 'Score distribution by class',
      spec: distributionSpec(main.y, main.p, input.positive, input.negative, input.threshold, 20, rows),
    },
    {
      file: 'expected-cost.svg',
      title: 'Expected cost vs threshold',
      spec: costSpec(main.y, main.p, input.costs, input.threshold, rows),
    },
  ];
  if (input.importance?.some((r) => r.permutation !== null))
    specs.push({
      file: 'feature-importance.svg',
      title: 'Permutation feature importance',
      spec: importanceSpec(input.importance),
    });
  if (input.shap && input.shap.values.length > 0)
    specs.push({ file: 'shap-summary.svg', title: 'SHAP summary', spec: shapSummarySpec(input.shap) });
  const out: Chart[] = [];
  // One at a time: vega views are not cheap and the machine may be shared.
  for (const s of specs) out.push({ file: s.file, title: s.title, svg: await renderSvg(s.spec) });
  return out;
}
