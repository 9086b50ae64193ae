/**
 * Mermaid charts for the PR comment. GitHub renders ```mermaid blocks itself, so charts
 * need no image host and no upload step (a common complaint about CML). `xychart-beta`
 * has no legend, so colours are fixed with an init directive and named in the caption.
 */
import { round } from '../../pipeline/core/index.ts';

export const CHALLENGER_COLOUR = '#d62728';
export const CHAMPION_COLOUR = '#1f77b4';
export const CHANCE_COLOUR = '#bbbbbb';

export interface LineSeries {
  values: readonly number[];
  colour: string;
}

/** Labels are free text from data; keep them inside their quotes and on one line. */
export function mermaidLabel(s: string, max = 32): string {
  const clean = s
    .replace(/["`\\]/g, "'")
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[<>{}[\]]/g, ' ')
    .trim();
  return clean.length > max ? clean.slice(0, max - 1) + '…' : clean;
}

/** A number in Mermaid's chart syntax (not for people: four decimals, no unit). */
function plotValue(v: number): string {
  return Number.isFinite(v) ? String(round(v, 4)) : '0';
}

function init(colours: string[]): string {
  return `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${colours.join(', ')}"}}}}%%`;
}

/** A line chart over x from 0 to 1, one line per series (evenly spaced points, as xychart draws them). */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly LineSeries[]): string {
  return [
    '```mermaid',
    init(series.map((s) => s.colour)),
    'xychart-beta',
    `  title "${mermaidLabel(title, 80)}"`,
    `  x-axis "${mermaidLabel(xLabel, 40)}" 0 --> 1`,
    `  y-axis "${mermaidLabel(yLabel, 40)}" 0 --> 1`,
    ...series.map((s) => `  line [${s.values.map(plotValue).join(', ')}]`),
    '```',
  ].join('\n');
}

/** ROC curves of the challenger and (when there is one) the champion, plus the chance diagonal. */
export function rocChart(
  grid: readonly number[],
  challenger: readonly number[],
  champion: readonly number[] | null,
  title: string,
): string {
  const series: LineSeries[] = [{ values: challenger, colour: CHALLENGER_COLOUR }];
  if (champion) series.push({ values: champion, colour: CHAMPION_COLOUR });
  series.push({ values: grid, colour: CHANCE_COLOUR });
  return lineChart(title, 'False positive rate', 'True positive rate', series);
}

/** Horizontal bars, largest first, at most `top` of them. */
export function barChart(
  title: string,
  valueLabel: string,
  items: readonly { label: string; value: number }[],
  colour: string,
  top = 12,
): string {
  const shown = [...items].sort((a, b) => b.value - a.value).slice(0, top);
  const max = shown.reduce((m, i) => Math.max(m, i.value), 0);
  return [
    '```mermaid',
    init([colour]),
    'xychart-beta horizontal',
    `  title "${mermaidLabel(title, 80)}"`,
    `  x-axis [${shown.map((i) => `"${mermaidLabel(i.label)}"`).join(', ')}]`,
    `  y-axis "${mermaidLabel(valueLabel, 40)}" 0 --> ${plotValue(max > 0 ? max * 1.05 : 1)}`,
    `  bar [${shown.map((i) => plotValue(i.value)).join(', ')}]`,
    '```',
  ].join('\n');
}
