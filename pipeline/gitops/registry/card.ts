/** `card.md`: a short model card stored next to each registered bundle. */
import { markdownTable } from 'markdown-table';
import { num, type Bundle, type MetricsFile } from '../../core/index.ts';
import { metricsTable } from '../report/tables.ts';
import type { Verdict } from './verdict.ts';
import type { Lineage } from './schema.ts';

export function modelCard(opts: {
  name: string;
  version: number;
  bundle: Bundle;
  metrics: MetricsFile;
  verdict: Verdict;
  lineage: Lineage;
}): string {
  const { bundle: b, metrics: m, verdict: v, lineage } = opts;
  const cfg = b.provenance.config as { split?: { train: number; validation: number; test: number } };
  const positives = b.schema.positive;
  const lines = [
    `# ${opts.name} v${opts.version}`,
    '',
    `Engine **${b.engine.engine}**, decision threshold **${num(b.threshold)}** (chosen on validation rows to minimise expected cost: a missed "${positives}" costs ${b.costs.false_negative}, a refused good applicant ${b.costs.false_positive}).`,
    '',
    `Bundle digest \`${b.digest}\`.`,
    '',
    '## Data',
    '',
    `- Training data \`${lineage.data.path}\` (${lineage.data.rows} rows, sha256 \`${lineage.data.sha256.slice(0, 16)}…\`), target \`${b.schema.target}\` (positive "${positives}", rate ${num(b.schema.positive_rate)}).`,
    lineage.test_data
      ? `- Test data \`${lineage.test_data.path}\` (${lineage.test_data.rows} rows).`
      : `- Split ${cfg.split ? `${cfg.split.train}/${cfg.split.validation}/${cfg.split.test}` : 'n/a'} (train/validation/test), stratified, seed ${lineage.seed}: ${m.rows.train}/${m.rows.validation}/${m.rows.test} rows.`,
    `- Features (${b.schema.features.length}): ${b.schema.features.map((f) => `${f.name} (${f.kind})`).join(', ')}.`,
    '',
    '## Parameters',
    '',
    Object.keys(lineage.params).length
      ? markdownTable([['Parameter', 'Value'], ...Object.entries(lineage.params).map(([k, val]) => [k, String(val)])])
      : 'Engine defaults.',
    '',
    '## Metrics',
    '',
    metricsTable({ train: m.train, validation: m.validation, test: m.test }),
    '',
    `Promotion verdict: ${v.summary}`,
    '',
    '## Known limits',
    '',
    `- Trained on ${lineage.data.rows} historical applications; performance holds only while new applicants resemble them (watch for drift).`,
    `- Probabilities are scored at a single threshold; a change in the cost of errors calls for a new threshold, not just a new model.`,
    m.overfitting.flagged
      ? `- Train − test ROC AUC gap ${num(m.overfitting.gap)} exceeds ${m.overfitting.max_gap}: the model may be overfitted.`
      : `- Train − test ROC AUC gap ${num(m.overfitting.gap)} (limit ${m.overfitting.max_gap}).`,
    '- Not assessed here: fairness across protected groups, and stability over time.',
    '',
    '## Lineage',
    '',
    `- Code commit \`${lineage.code_commit ?? 'unknown'}\`${lineage.code_dirty ? ' (with uncommitted changes)' : ''}; run ${lineage.run ? `\`${lineage.run.id}\`` : 'n/a'}${lineage.ci_run_url ? ` ([CI run](${lineage.ci_run_url}))` : ''}.`,
    `- Reproduce: \`mlops registry verify ${opts.name}@v${opts.version}\`.`,
    '',
  ];
  return lines.join('\n');
}
