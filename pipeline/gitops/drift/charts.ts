/**
 * Drift charts as self-contained SVG (vega-lite rendered headless with the reports'
 * shared renderer and palette), so a report or a pull request needs no chart host.
 */
import type * as vl from 'vega-lite';
import { renderSvg } from '../report/charts/render.ts';
import { PALETTE } from '../report/charts/palette.ts';
import type { DriftReport } from './drift.ts';

const LEVEL_COLORS = {
  domain: ['none', 'moderate', 'significant'],
  range: [PALETTE.good, PALETTE.champion, PALETTE.bad],
};

/** PSI per feature as horizontal bars, with the moderate and significant thresholds as rules. */
export function psiChartSpec(report: DriftReport): vl.TopLevelSpec {
  const t = report.thresholds;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Population Stability Index per feature',
    width: 420,
    layer: [
      {
        data: { values: report.features.map((f) => ({ feature: f.feature, psi: f.psi, level: f.psi_level })) },
        mark: 'bar',
        encoding: {
          y: { field: 'feature', type: 'nominal', sort: '-x', title: null },
          x: { field: 'psi', type: 'quantitative', title: 'PSI' },
          color: { field: 'level', type: 'nominal', scale: LEVEL_COLORS, title: 'drift' },
        },
      },
      {
        data: { values: [{ x: t.psi_moderate }, { x: t.psi_significant }] },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#555' },
        encoding: { x: { field: 'x', type: 'quantitative' } },
      },
    ],
  };
}

/** Reference vs current share of applicants per score bin. */
export function scoreChartSpec(report: DriftReport): vl.TopLevelSpec | null {
  if (!report.score) return null;
  const values = report.score.bins.flatMap((b, i) => [
    { bin: b.bin, order: i, sample: 'reference', share: b.reference },
    { bin: b.bin, order: i, sample: 'current', share: b.current },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Score distribution (bins = reference deciles)',
    width: 420,
    data: { values },
    mark: 'bar',
    encoding: {
      x: {
        field: 'bin',
        type: 'ordinal',
        sort: { field: 'order' },
        title: 'probability of default',
        axis: { labelAngle: -40 },
      },
      xOffset: { field: 'sample' },
      y: { field: 'share', type: 'quantitative', title: 'share of applicants', axis: { format: '%' } },
      color: {
        field: 'sample',
        type: 'nominal',
        scale: { domain: ['reference', 'current'], range: [PALETTE.reference, PALETTE.challenger] },
      },
    },
  };
}

/** Every chart of the report: file name → SVG text. */
export async function driftCharts(report: DriftReport): Promise<Record<string, string>> {
  const out: Record<string, string> = { 'drift-psi.svg': await renderSvg(psiChartSpec(report)) };
  const score = scoreChartSpec(report);
  if (score) out['drift-score.svg'] = await renderSvg(score);
  return out;
}
