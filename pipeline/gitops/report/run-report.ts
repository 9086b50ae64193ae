/** `report.md` of a run: what was trained, on what, and how well. */
import { markdownTable } from 'markdown-table';
import { num, type Bundle, type FileRef, type MetricsFile } from '../../core/index.ts';
import { leaderboardMarkdown } from './leaderboard.ts';
import { confusionTable, metricsTable } from './tables.ts';

/** `data`: where the rows were read from (the run's record; the bundle pins them by digest only). */
export function runReport(
  bundle: Bundle,
  metrics: MetricsFile,
  data: FileRef,
  fitSeconds?: Record<string, number>,
): string {
  const s = bundle.schema;
  const p = bundle.provenance;
  const lines: string[] = [];
  lines.push(`# Run report: ${bundle.name} (${p.engine})`, '');
  lines.push(
    `Model digest \`${bundle.digest}\` · data \`${data.path}\` (sha256 \`${data.sha256.slice(0, 12)}…\`, ${data.rows} rows) · seed ${p.seed}${p.git.commit ? ` · commit \`${p.git.commit.slice(0, 7)}\`${p.git.dirty ? ' (uncommitted changes)' : ''}` : ''}`,
    '',
  );
  lines.push(
    '## Metrics',
    '',
    metricsTable({ train: metrics.train, validation: metrics.validation, test: metrics.test }),
    '',
  );
  if (bundle.selection)
    lines.push('## Model selection (engine: auto)', '', leaderboardMarkdown(bundle.selection, fitSeconds), '');
  lines.push(
    `Decision threshold **${num(bundle.threshold)}** (applicants at or above it are predicted \`${s.positive}\`), chosen on validation rows to minimise the expected cost with a missed default costing ${bundle.costs.false_negative} and a refused good applicant ${bundle.costs.false_positive}.`,
    '',
  );
  lines.push('## Confusion matrix (test rows)', '', confusionTable(metrics.test, s.positive, s.negative), '');
  const o = metrics.overfitting;
  lines.push(
    '## Overfitting',
    '',
    `Train − test ROC AUC gap: ${num(o.gap)} (limit ${o.max_gap})${o.flagged ? ' — **flagged as overfitting**' : ' — within limit'}.`,
    '',
  );
  lines.push(
    '## Feature importance',
    '',
    markdownTable(
      [['Feature', 'Importance'], ...bundle.feature_importance.map((f) => [f.feature, num(f.importance)])],
      { align: ['l', 'r'] },
    ),
    '',
  );
  lines.push(
    '## Data',
    '',
    markdownTable(
      [
        ['Split', 'Rows', `Share ${s.positive}`],
        ['train', String(metrics.rows.train), num(metrics.rows.positive_rate.train)],
        ['validation', String(metrics.rows.validation), num(metrics.rows.positive_rate.validation)],
        ['test', String(metrics.rows.test), num(metrics.rows.positive_rate.test)],
      ],
      { align: ['l', 'r', 'r'] },
    ),
    '',
  );
  lines.push(
    markdownTable(
      [
        ['Column', 'Kind', 'Missing', 'Range / categories'],
        ...s.features.map((f) => [
          f.name,
          f.kind,
          String(f.missing),
          f.kind === 'numeric'
            ? `${num(f.min, 2)} … ${num(f.max, 2)}`
            : f.categories.slice(0, 6).join(', ') + (f.categories.length > 6 ? ', …' : ''),
        ]),
      ],
      { align: ['l', 'l', 'r', 'l'] },
    ),
    '',
  );
  if (s.dropped.length)
    lines.push('Dropped columns: ' + s.dropped.map((d) => `\`${d.name}\` (${d.reason})`).join(', '), '');
  const t = metrics.timings;
  lines.push(
    '## Timings',
    '',
    `load ${t.load_s} s · ${t.select_s !== undefined ? `model selection ${t.select_s} s · ` : ''}preprocess ${t.preprocess_s} s · fit ${t.fit_s} s · evaluate ${t.evaluate_s} s · scoring ${t.score_us_per_row} µs/row`,
    '',
  );
  return lines.join('\n');
}
