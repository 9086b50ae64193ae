import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../pipeline/core/training/train.ts';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';
import { globalImportance, shapValues } from '../../pipeline/core/explain/index.ts';
import { renderCharts, type Chart } from '../../pipeline/gitops/report/charts/index.ts';
import { svgToPng } from '../../scripts/svg-to-png.ts';
import { calibrationBins, thin } from '../../pipeline/gitops/report/charts/specs.ts';
import { shapColours } from '../../pipeline/gitops/report/model-report.ts';
import { ROOT } from '../helpers/cli.ts';
import { checkSvg } from './svg-check.ts';

/**
 * Charts of a real gbdt model on the embedded data, with a logistic champion. With
 * UPDATE_SCREENSHOTS=1 the PNGs are written to docs/img/ (the README screenshots);
 * otherwise to a temporary folder, so a normal test run leaves the checkout alone.
 */
let charts: Chart[];

beforeAll(async () => {
  const base = defaultConfig();
  const g = await train({
    config: { ...base, engine: { name: 'gbdt', params: { nRounds: 150, maxDepth: 3, learningRate: 0.05 } } },
    baseDir: ROOT,
    workers: 1,
  });
  const l = await train({ config: { ...base, engine: { name: 'logistic', params: {} } }, baseDir: ROOT, workers: 1 });
  const shap = shapValues(g.model, g.testSet);
  charts = await renderCharts({
    positive: 'bad',
    negative: 'good',
    threshold: g.bundle.threshold,
    costs: g.bundle.costs,
    confusion: g.metrics.test.confusion_matrix,
    series: [
      { label: 'challenger (gbdt)', y: g.scores.test.y, p: g.scores.test.p },
      { label: 'champion (logistic)', y: l.scores.test.y, p: l.scores.test.p },
    ],
    importance: globalImportance(g.model, g.testSet, { shap, repeats: 3, seed: 1 }),
    shap: { features: shap.features, values: shap.values, colour: shapColours(g.testSet, shap), output: shap.output },
  });
});

const byFile = (f: string): Chart => {
  const c = charts.find((x) => x.file === f);
  if (!c) throw new Error(`no chart ${f}`);
  return c;
};

describe('report charts', () => {
  it('renders every chart as well-formed SVG with two labelled axes', () => {
    expect(charts.map((c) => c.file)).toEqual([
      'roc.svg',
      'precision-recall.svg',
      'calibration.svg',
      'confusion-matrix.svg',
      'score-distribution.svg',
      'expected-cost.svg',
      'feature-importance.svg',
      'shap-summary.svg',
    ]);
    for (const c of charts) {
      const info = checkSvg(c.svg);
      expect(info.root, c.file).toBe('svg');
      expect(info.width, c.file).toBeGreaterThan(200);
      expect(info.height, c.file).toBeGreaterThan(150);
      expect(
        info.axes.some((a) => a.startsWith('X-axis titled')),
        c.file,
      ).toBe(true);
      expect(
        info.axes.some((a) => a.startsWith('Y-axis titled')),
        c.file,
      ).toBe(true);
      expect(c.svg, c.file).not.toMatch(/NaN|undefined|Infinity/);
    }
  });

  it('draws challenger and champion curves with units on the axes', () => {
    for (const f of ['roc.svg', 'precision-recall.svg', 'calibration.svg']) {
      const info = checkSvg(byFile(f).svg);
      expect(
        info.legendLabels.some((l) => l.startsWith('challenger (gbdt)')),
        f,
      ).toBe(true);
      expect(
        info.legendLabels.some((l) => l.startsWith('champion (logistic)')),
        f,
      ).toBe(true);
      // One line per series (plus the dashed reference line where it is a line).
      expect(info.marks.filter((m) => m.kind === 'mark-line' && m.items > 0).length, f).toBeGreaterThanOrEqual(
        f === 'precision-recall.svg' ? 2 : 3,
      );
    }
    const roc = checkSvg(byFile('roc.svg').svg);
    expect(roc.axes[0]).toMatch(/False positive rate \(share of good payers refused\)/);
    expect(roc.legendLabels.join(' ')).toMatch(/AUC 0\.\d{3}/);
  });

  it('marks the chosen threshold on the cost curve and fills the confusion matrix', () => {
    const cost = byFile('expected-cost.svg').svg;
    expect(checkSvg(cost).axes.join(' ')).toMatch(/Expected cost per applicant \(cost units\)/);
    expect(cost).toMatch(/chosen 0\.\d{3}: \d\.\d{3} per applicant/);
    const cm = checkSvg(byFile('confusion-matrix.svg').svg);
    expect(cm.marks.find((m) => m.kind === 'mark-rect')?.items).toBe(4);
    expect(cm.marks.find((m) => m.kind === 'mark-text')?.items).toBe(4);
    const shap = checkSvg(byFile('shap-summary.svg').svg);
    expect(shap.marks.find((m) => m.kind === 'mark-symbol')!.items).toBeGreaterThan(50);
    const dist = checkSvg(byFile('score-distribution.svg').svg);
    expect(dist.legendLabels).toEqual(['bad (defaulted)', 'good (repaid)']);
  });

  it('renders PNG screenshots (kept in docs/img with UPDATE_SCREENSHOTS=1)', async () => {
    const out =
      process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'img') : mkdtempSync(join(tmpdir(), 'charts-'));
    mkdirSync(out, { recursive: true });
    for (const f of [
      'roc.svg',
      'precision-recall.svg',
      'calibration.svg',
      'confusion-matrix.svg',
      'score-distribution.svg',
      'expected-cost.svg',
      'feature-importance.svg',
      'shap-summary.svg',
    ]) {
      const png = await svgToPng(byFile(f).svg, 1.5);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      // IHDR width/height, big-endian at bytes 16..24: 1.5 × the SVG size.
      const info = checkSvg(byFile(f).svg);
      expect(png.readUInt32BE(16)).toBe(Math.ceil(info.width * 1.5));
      expect(png.readUInt32BE(20)).toBe(Math.ceil(info.height * 1.5));
      writeFileSync(join(out, `chart-${f.replace('.svg', '.png')}`), png);
    }
  });
});

describe('chart helpers', () => {
  it('thins long curves keeping both ends, and bins calibration', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => i);
    const t = thin(pts, 50);
    expect(t).toHaveLength(50);
    expect(t[0]).toBe(0);
    expect(t[49]).toBe(999);
    const bins = calibrationBins([0, 1, 1, 0], [0.05, 0.08, 0.95, 0.91]);
    expect(bins).toEqual([
      { bin: 0, predicted: 0.065, observed: 0.5, rows: 2 },
      { bin: 9, predicted: 0.9299999999999999, observed: 0.5, rows: 2 },
    ]);
  });

  it('rejects malformed SVG in the checker (so the checks above can fail)', () => {
    expect(() => checkSvg('<svg><g></svg>')).toThrow(/closes/);
    expect(() => checkSvg('<svg width="1"><text>a & b</text></svg>')).toThrow(/bad entity/);
    expect(() => checkSvg('<svg><g>')).toThrow(/unclosed/);
  });
});
