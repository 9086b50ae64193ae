/**
 * Vega-Lite spec → SVG string in plain Node (vega's headless "none" renderer: no
 * canvas, no browser). PNG pictures of charts for the docs are a dev tool's job
 * (scripts/svg-to-png.ts), so nothing here pulls a native renderer into the service.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PALETTE } from './palette.ts';

/** Shared look: readable sizes, quiet grid, colour-blind-safe palette. */
export const CHART_CONFIG = {
  font: 'DejaVu Sans, Verdana, Arial, sans-serif',
  background: 'white',
  padding: 8,
  view: { stroke: '#d0d0d0' },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    gridColor: '#ececec',
    domainColor: '#888',
    tickColor: '#888',
    titleColor: '#333',
  },
  legend: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    orient: 'bottom',
    labelLimit: 400,
    titleLimit: 400,
  },
  title: {
    fontSize: 14,
    fontWeight: 'bold',
    anchor: 'start',
    color: '#222',
    subtitleFontSize: 11,
    subtitleColor: '#555',
  },
  range: { category: [PALETTE.challenger, PALETTE.champion, PALETTE.good, PALETTE.bad, PALETTE.neutral] },
} as const;

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
let renderer: Promise<{ vega: Vega; vegaLite: VegaLite }> | null = null;

/**
 * vega and vega-lite are loaded on the first chart: every process that imports the GitOps
 * layer (the CLI, the actions, each serving thread) would otherwise hold them in resident
 * memory whether or not it draws a chart.
 */
function loadRenderer(): Promise<{ vega: Vega; vegaLite: VegaLite }> {
  renderer ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => {
    tightTextMetrics(vega);
    return { vega, vegaLite };
  });
  return renderer;
}

/**
 * Without a canvas vega estimates text as 0.8 em per character, about a third too wide
 * for DejaVu Sans, which leaves wide empty margins around titles and legends. A closer
 * estimate (0.6 em, bold 0.66 em) keeps the layout tight; the files stay deterministic.
 */
function tightTextMetrics(vega: Vega): void {
  const metrics = (vega as unknown as { textMetrics: unknown }).textMetrics as {
    width: (item: { fontSize?: number; fontWeight?: string | number; text?: unknown }, text?: unknown) => number;
  };
  metrics.width = (item, text) => {
    const value = text ?? item.text;
    const str = Array.isArray(value)
      ? value.map(String).reduce((a, b) => (b.length > a.length ? b : a), '')
      : value == null
        ? ''
        : String(value);
    const size = item.fontSize ?? 11;
    const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
    return Math.ceil(str.length * size * (bold ? 0.66 : 0.6));
  };
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vegaLite } = await loadRenderer();
  const withConfig = { ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const view = new vega.View(vega.parse(vegaLite.compile(withConfig).spec), { renderer: 'none' });
  try {
    return stableIds(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/**
 * Vega numbers gradients and clip paths with process-wide counters, so the same chart
 * rendered twice in one process would differ; renumber them per chart so a report
 * regenerates byte-identically.
 */
export function stableIds(svg: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!ids.has(m[1])) ids.set(m[1], `v${ids.size + 1}`);
  if (!ids.size) return svg;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, pre: string, id: string) => `${pre}${ids.get(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (all, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : all))
    .replace(/href="#([^"]+)"/g, (all, id: string) => (ids.has(id) ? `href="#${ids.get(id)}"` : all));
}
