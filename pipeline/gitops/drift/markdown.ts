/** The drift report as a markdown section, for the CLI, the job summary and the retrain PR. */
import { markdownTable } from 'markdown-table';
import { num } from '../../core/index.ts';
import type { DriftReport } from './drift.ts';

const LEVEL = { none: 'none', moderate: 'moderate', significant: '**significant**' };

export function driftMarkdown(
  r: DriftReport,
  opts: { heading?: string; charts?: Record<string, string> } = {},
): string {
  const t = r.thresholds;
  const lines: string[] = [];
  lines.push(`${opts.heading ?? '## Drift'}`, '');
  lines.push(
    `**${r.dataset_drift ? 'Data-set drift detected' : 'No data-set drift'}**: ${r.drifted_features} of ${r.features.length} features drifted (${(r.share_drifted * 100).toFixed(0)} %; threshold ${(t.dataset_share * 100).toFixed(0)} %).`,
    '',
  );
  lines.push(
    `- reference: \`${r.reference.name}\` — ${r.reference.rows} rows${r.reference.sha256 ? `, sha256 \`${r.reference.sha256.slice(0, 12)}\`` : ''}`,
  );
  lines.push(
    `- current: \`${r.current.name}\` — ${r.current.rows} rows${r.current.kind === 'scoring-log' ? ' (scoring log)' : ''}${r.current.sha256 ? `, sha256 \`${r.current.sha256.slice(0, 12)}\`` : ''}`,
  );
  lines.push(
    `- a feature drifts when PSI ≥ ${t.psi_significant}${t.use_tests ? ` or KS p-value < ${t.ks_alpha} (numeric) or Jensen–Shannon distance ≥ ${t.js_threshold} (categorical)` : ''}; PSI ≥ ${t.psi_moderate} is moderate`,
    '',
  );
  lines.push(
    markdownTable(
      [
        ['Feature', 'Kind', 'PSI', 'Level', 'Test', 'Statistic', 'p-value', 'Drifted'],
        ...r.features.map((f) => [
          f.feature,
          f.kind,
          num(f.psi, 4),
          LEVEL[f.psi_level],
          f.test === 'ks' ? 'KS' : 'Jensen–Shannon',
          num(f.statistic, 4),
          f.p_value === null ? '—' : pValue(f.p_value),
          f.drifted ? '**yes**' : 'no',
        ]),
      ],
      { align: ['l', 'l', 'r', 'l', 'l', 'r', 'r', 'l'] },
    ),
    '',
  );
  if (r.score) {
    lines.push('### Score distribution', '');
    lines.push(
      `Model \`${r.score.model.slice(0, 19)}\`: mean probability of default ${num(r.score.reference_mean)} → ${num(r.score.current_mean)}; score PSI ${num(r.score.psi)} (${LEVEL[r.score.psi_level]}), KS ${num(r.score.ks)} (p ${pValue(r.score.p_value)}).`,
      '',
    );
  }
  if (r.model_drift) {
    const m = r.model_drift;
    lines.push('### Model drift (new labelled rows)', '');
    lines.push(`${m.rows} labelled rows, ${(m.positive_rate * 100).toFixed(1)} % positive. ${m.detail}.`, '');
    lines.push(
      markdownTable(
        [
          ['Metric', 'Recorded (test rows)', 'New rows', 'Δ'],
          ...m.metrics.map((x) => [
            x.metric === m.primary_metric ? `**${x.metric}**` : x.metric,
            num(x.recorded),
            num(x.current),
            x.delta === null ? 'n/a' : (x.delta >= 0 ? '+' : '') + x.delta.toFixed(4),
          ]),
        ],
        { align: ['l', 'r', 'r', 'r'] },
      ),
      '',
    );
  }
  if (opts.charts) {
    for (const name of Object.keys(opts.charts)) lines.push(`![${name}](${name})`);
    lines.push('');
  }
  for (const w of r.warnings) lines.push(`> ⚠ ${w}`);
  if (r.warnings.length > 0) lines.push('');
  return lines.join('\n');
}

function pValue(p: number): string {
  return p < 1e-4 ? '< 0.0001' : p.toPrecision(3);
}
