/**
 * The model card (README.md of a run folder or a promoted version): what the model is
 * for, what it was trained on, how well it does with honest uncertainty, how it
 * decides, whether it treats groups alike, where it falls short — with the charts
 * embedded by relative link so GitHub renders them in place.
 */
import { markdownTable } from 'markdown-table';
import { num, pct, type SplitMetrics } from '../../core/index.ts';
import type { ReportData } from './report-data.ts';
import { leaderboardMarkdown } from './leaderboard.ts';
import { METRIC_ROWS } from './tables.ts';

function chartLink(d: ReportData, file: string, alt: string, base: string): string | null {
  return d.charts.some((c) => c.file === file) ? `![${alt}](${base}charts/${file})` : null;
}

export function metricsWithIntervals(d: ReportData): string {
  const ci = new Map(d.intervals.map((i) => [i.metric, i]));
  const champ = d.champion?.test ?? null;
  const header = ['Metric', 'Test', '95 % interval', 'Validation', 'Train', ...(champ ? ['Champion (test)'] : [])];
  const rows = METRIC_ROWS.map((r) => {
    const i = ci.get(r.key);
    const interval = i && i.lo !== null && i.hi !== null ? `${num(i.lo)} – ${num(i.hi)}` : '';
    const row = [
      r.label,
      num(d.metrics.test[r.key] as number | null),
      interval,
      num(d.metrics.validation[r.key] as number | null),
      num(d.metrics.train[r.key] as number | null),
    ];
    if (champ) row.push(num(champ[r.key as keyof SplitMetrics] as number | null));
    return row;
  });
  return markdownTable([header, ...rows], { align: ['l', 'r', 'c', 'r', 'r', ...(champ ? ['r' as const] : [])] });
}

export function fairnessTables(d: ReportData): string[] {
  const f = d.fairness;
  const out: string[] = [];
  if (f.verdict.status === 'not_configured') {
    out.push(
      'No sensitive attributes are configured. Add them to `mlops.config.json`, e.g. `"fairness": {"attributes": [{"column": "Age", "bands": [25, 35, 50]}, {"column": "Marital"}]}`.',
    );
    out.push('');
    return out;
  }
  if (f.attributes.length)
    out.push(
      `Decisions on the evaluation rows per group. *Refused* is the share predicted \`${d.target.positive}\`; *DI* (disparate impact) is the group's approval rate over that of the most-approved group (reference); below **${f.config.min_disparate_impact}** it is flagged (four-fifths rule). Groups under ${f.config.min_group_size} rows are shown but not judged.`,
      '',
    );
  for (const a of f.attributes) {
    out.push(`**${a.attribute}** (reference: ${a.reference_group ?? 'none large enough'})`, '');
    out.push(
      markdownTable(
        [
          ['Group', 'Rows', 'Default rate', 'Refused', 'Approved', 'TPR', 'FPR', 'DI', 'Flag'],
          ...a.groups.map((g) => [
            g.group,
            String(g.rows),
            pct(g.actual_positive_rate),
            pct(g.positive_rate),
            pct(g.approval_rate),
            pct(g.tpr),
            pct(g.fpr),
            num(g.disparate_impact, 3),
            g.flags.length ? `⚠ ${g.flags.join('; ')}` : g.small ? 'too few rows' : 'ok',
          ]),
        ],
        { align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'] },
      ),
      '',
    );
  }
  for (const s of f.skipped) out.push(`- ${s.attribute}: not evaluated — ${s.reason}.`);
  if (f.skipped.length) out.push('');
  const verdict = {
    failed: `**Fairness guardrail: FAILED** — ${f.verdict.text} The promotion policy can refuse this model (\`promotion.fairness_guardrail\`).`,
    passed: `**Fairness guardrail: passed.** ${f.verdict.text} The promotion policy can require this (\`promotion.fairness_guardrail\`).`,
    not_evaluated: `**Fairness: not evaluated.** ${f.verdict.text} Name the columns as they are in the data file.`,
    not_configured: f.verdict.text,
  };
  out.push(verdict[f.verdict.status], '');
  return out;
}

/**
 * When the model was trained (the run's wall-clock time); without a run, the bundle's own
 * time, which is the code commit's and says so.
 */
export function whenText(m: ReportData['model']): string {
  if (m.trained_at) return ` · trained ${m.trained_at}`;
  return m.created_at ? ` · bundle time ${m.created_at} (code commit time; the training run is unknown)` : '';
}

/**
 * What the score is for, in the words of the model's own target and positive label (a churn
 * model is not a default model); `code` marks a column or label up for Markdown or HTML.
 */
export function intendedUse(d: ReportData, code: (s: string) => string): string {
  const { column, positive, negative } = d.target;
  return `Estimates the probability that ${code(column)} is ${code(positive)} (rather than ${code(negative)}) for a case like the ${d.model.data.rows.toLocaleString('en-US')} rows it was trained on, from their other columns, to support — not replace — a decision. Cases scoring at or above the threshold are classed ${code(positive)} and recommended for review; each comes with reason codes a person can explain. Not intended for any other use, or for cases unlike the training data.`;
}

/**
 * `base` is where the report's files are seen from the card: '' when the card sits beside
 * them (a run folder), e.g. `../../../reports/credit-default/v1/` for a registry version's card.md.
 */
export function renderModelCard(d: ReportData, base = ''): string {
  const m = d.model;
  const L: string[] = [];
  const title = `${m.name}${m.version !== null ? ` v${m.version}` : ''}`;
  L.push(`# Model card: ${title} (${m.engine})`, '');
  L.push(
    `Digest \`${m.digest}\`${m.git.commit ? ` · commit \`${m.git.commit.slice(0, 7)}\`${m.git.dirty ? ' (uncommitted changes)' : ''}` : ''}${whenText(m)}${d.run ? ` · run \`${d.run.id}\`` : ''} · [full report (HTML)](${base}report.html)`,
    '',
  );
  if (d.warnings.length) {
    for (const w of d.warnings) L.push(`> ⚠ ${w}`);
    L.push('');
  }

  L.push('## Intended use', '');
  L.push(
    intendedUse(d, (s) => `\`${s}\``),
    '',
  );

  L.push('## Data and lineage', '');
  L.push(
    markdownTable(
      [
        ['', ''],
        [
          'Training data',
          `\`${m.data.path}\` — ${m.data.rows.toLocaleString('en-US')} rows, sha256 \`${m.data.sha256.slice(0, 16)}…\``,
        ],
        [
          'Holdout data',
          m.test_data
            ? `\`${m.test_data.path}\` — ${m.test_data.rows} rows, sha256 \`${m.test_data.sha256.slice(0, 16)}…\``
            : 'a stratified split of the training data',
        ],
        ['Target', `\`${d.target.column}\`: ${pct(d.target.positive_rate)} \`${d.target.positive}\``],
        ['Evaluated on', d.evaluation.source],
        [
          'Engine and parameters',
          `${m.engine}: ${
            Object.entries(m.params)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || 'defaults'
          }`,
        ],
        ['Seed', String(m.seed)],
      ],
      { align: ['l', 'l'] },
    ),
    '',
  );

  if (d.selection)
    L.push(
      '## Model selection',
      '',
      'The engine and its parameters were chosen by `engine: auto` (cross-validation on the training rows only; see docs/auto.md).',
      '',
      leaderboardMarkdown(d.selection),
      '',
    );

  L.push('## Performance', '');
  L.push(
    `Test figures with 95 % bootstrap intervals (300 seeded resamples of the ${d.evaluation.rows} evaluation rows).`,
    '',
    metricsWithIntervals(d),
    '',
  );
  if (d.champion?.note) L.push(`Champion: ${d.champion.note}`, '');
  for (const [file, alt] of [
    ['roc.svg', 'ROC curve'],
    ['precision-recall.svg', 'Precision–recall curve'],
    ['calibration.svg', 'Calibration curve'],
    ['score-distribution.svg', 'Score distribution by class'],
  ]) {
    const link = chartLink(d, file, alt, base);
    if (link) L.push(link, '');
  }

  L.push('## Threshold and costs', '');
  const c = d.metrics.test.confusion_matrix;
  L.push(
    `Decision threshold **${m.threshold.toFixed(4)}**, chosen on validation rows to minimise expected cost with a missed default costing **${m.costs.false_negative}** and a refused good payer **${m.costs.false_positive}**. On test rows: ${c.tp} defaulters refused, ${c.fn} approved; ${c.fp} good payers refused, ${c.tn} approved; expected cost ${num(d.metrics.test.expected_cost)} per applicant.`,
    '',
  );
  L.push(`Risk bands: ${m.risk_bands.map((b) => `${b.name} ≤ ${b.max}`).join(' · ')}.`, '');
  for (const [file, alt] of [
    ['expected-cost.svg', 'Expected cost vs threshold'],
    ['confusion-matrix.svg', 'Confusion matrix'],
  ]) {
    const link = chartLink(d, file, alt, base);
    if (link) L.push(link, '');
  }

  L.push('## What drives the score', '');
  if (d.explanations) {
    const unit = d.explanations.output === 'log_odds' ? 'log-odds' : 'probability';
    L.push(
      `Explanations: ${d.explanations.method} (${d.explanations.rows} test applicants for the SHAP figures; base value ${num(d.explanations.base_value)} in ${unit}). Mean |SHAP| is the average size of a feature's contribution; permutation importance is the fall in test ROC AUC when the feature is shuffled (3 seeded repeats).`,
      '',
    );
  }
  L.push(
    markdownTable(
      [
        ['Feature', 'Mean |SHAP|', 'Permutation (AUC fall)', 'Engine importance'],
        ...d.importance.map((r) => [
          r.feature,
          num(r.mean_abs_shap),
          r.permutation === null ? 'n/a' : `${num(r.permutation)} ± ${num(r.permutation_sd)}`,
          num(r.engine),
        ]),
      ],
      { align: ['l', 'r', 'r', 'r'] },
    ),
    '',
  );
  for (const [file, alt] of [
    ['shap-summary.svg', 'SHAP summary'],
    ['feature-importance.svg', 'Permutation feature importance'],
  ]) {
    const link = chartLink(d, file, alt, base);
    if (link) L.push(link, '');
  }
  if (d.explanations?.examples.length) {
    L.push('Example reason codes (test applicants):', '');
    for (const e of d.explanations.examples) {
      L.push(`- **${e.label}** — probability ${pct(e.probability)}, decision \`${e.decision}\`:`);
      for (const r of e.reasons.length ? e.reasons : ['no feature pushed this applicant toward default'])
        L.push(`  - ${r}`);
    }
    L.push('');
  }

  L.push('## Fairness', '');
  for (const line of fairnessTables(d)) L.push(line);

  L.push('## Limitations', '');
  for (const l of d.limitations) L.push(`- ${l}`);
  L.push('');

  L.push('## Diagnostics', '', '### Data summary (training data)', '');
  L.push(
    markdownTable(
      [
        ['Column', 'Type', 'Missing', 'Mean ± sd / top categories', 'Min', 'Max'],
        ...d.data_summary.map((s) =>
          s.type === 'numeric'
            ? [
                s.column,
                'numeric',
                pct(s.missing_pct / 100),
                `${num(s.mean, 2)} ± ${num(s.sd, 2)}`,
                num(s.min, 2),
                num(s.max, 2),
              ]
            : [
                s.column,
                `categorical (${s.categories})`,
                pct(s.missing_pct / 100),
                (s.top ?? []).map((t) => `${t.category} ${pct(t.share, 0)}`).join(', '),
                '',
                '',
              ],
        ),
      ],
      { align: ['l', 'l', 'r', 'l', 'r', 'r'] },
    ),
    '',
  );
  L.push('### Timings', '');
  if (d.timings.rows.length) {
    L.push(
      markdownTable([['Step', 'Seconds'], ...d.timings.rows.map((t) => [t.step, num(t.seconds, 3)])], {
        align: ['l', 'r'],
      }),
      '',
    );
  }
  if (d.timings.score_us_per_row !== null) L.push(`Batch scoring: ${d.timings.score_us_per_row} µs per applicant.`, '');
  if (d.timings.report_s !== null)
    L.push(`This report took ${d.timings.report_s} s to generate (${d.timings.report_cpu_s} s CPU).`, '');
  const env = d.environment;
  L.push(
    '### Environment',
    '',
    `Node ${env.node} on ${env.platform}, ${env.cpus} × ${env.cpu_model}, ${env.memory_gb} GB.`,
    '',
  );
  L.push(
    Object.entries(env.packages)
      .map(([k, v]) => `\`${k}\` ${v}`)
      .join(' · '),
    '',
  );
  L.push('### Dependencies', '', d.dependencies.message, '');
  if (d.dependencies.outdated.length) {
    L.push(
      markdownTable([
        ['Package', 'Current', 'Wanted', 'Latest'],
        ...d.dependencies.outdated.map((o) => [o.name, o.current ?? '—', o.wanted ?? '—', o.latest ?? '—']),
      ]),
      '',
    );
  }
  return L.join('\n');
}
