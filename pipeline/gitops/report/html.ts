/**
 * report.html: the model card as one self-contained page (inline CSS and SVG, no
 * scripts, no outside assets) for people who read reports outside GitHub, e-mail
 * attachments included.
 */
import { num, pct } from '../../core/index.ts';
import type { Chart } from './charts/index.ts';
import type { ReportData } from './report-data.ts';
import { leaderboardRows, selectionPlanText } from './leaderboard.ts';
import { METRIC_ROWS } from './tables.ts';
import { intendedUse, whenText } from './card.ts';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text written for the Markdown card: escaped, its `code` spans as <code> instead of literal backticks. */
export function inlineCode(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/`/g, '');
}

function table(header: string[], rows: string[][], numericFrom = 1): string {
  const th = header.map((h, i) => `<th${i >= numericFrom ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="n"' : ''}>${inlineCode(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Inline an SVG without its XML prolog; ids are not reused across vega charts' clip paths. */
function figure(charts: Chart[], file: string, index: number): string {
  const c = charts.find((x) => x.file === file);
  if (!c) return '';
  const svg = c.svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/id="([^"]+)"/g, `id="c${index}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#c${index}-$1)`);
  return `<figure role="img" aria-label="${escapeHtml(c.title)}">${svg}<figcaption>${escapeHtml(c.title)}</figcaption></figure>`;
}

const CSS = `
body{font:15px/1.5 "DejaVu Sans",Verdana,Arial,sans-serif;color:#222;max-width:1100px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1.05rem}.meta{color:#555;font-size:.9rem}code{background:#f3f3f3;padding:0 .25rem;border-radius:3px;font-size:.9em}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}th,td{border:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f5f7fa}td.n,th.n{text-align:right}.flag{color:#b3261e;font-weight:bold}.ok{color:#1b6e3a;font-weight:bold}
.warn{background:#fff4e5;border-left:4px solid #e69f00;padding:.4rem .8rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{font-size:.8rem;color:#555}
`;

export function renderHtmlReport(d: ReportData, charts: Chart[]): string {
  const m = d.model;
  const title = `${m.name}${m.version !== null ? ` v${m.version}` : ''} (${m.engine})`;
  let fig = 0;
  const figs = (...files: string[]): string =>
    `<div class="charts">${files.map((f) => figure(charts, f, fig++)).join('')}</div>`;
  const H: string[] = [];
  H.push(
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
  );
  H.push(`<title>Model report: ${escapeHtml(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>', '<main>');
  H.push(`<h1>Model report: ${escapeHtml(title)}</h1>`);
  H.push(
    `<p class="meta">Digest <code>${escapeHtml(m.digest)}</code>${m.git.commit ? ` · commit <code>${escapeHtml(m.git.commit.slice(0, 7))}</code>` : ''}${d.run ? ` · run <code>${escapeHtml(d.run.id)}</code>` : ''}${escapeHtml(whenText(m))}</p>`,
  );
  for (const w of d.warnings) H.push(`<p class="warn">${inlineCode(w)}</p>`);

  H.push('<h2>Intended use</h2>');
  H.push(`<p>${intendedUse(d, (s) => `<code>${escapeHtml(s)}</code>`)}</p>`);

  H.push('<h2>Data and lineage</h2>');
  H.push(
    table(
      ['', ''],
      [
        ['Training data', `${m.data.path} — ${m.data.rows} rows, sha256 ${m.data.sha256.slice(0, 16)}…`],
        ['Target', `${d.target.column}: ${pct(d.target.positive_rate)} ${d.target.positive}`],
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
      9,
    ),
  );

  if (d.selection) {
    const lb = leaderboardRows(d.selection);
    H.push('<h2>Model selection</h2>');
    H.push(
      `<p>Chosen by <code>engine: auto</code>: <strong>${escapeHtml(d.selection.winner)}</strong> — ${escapeHtml(d.selection.reason)}.</p>`,
      `<p>${escapeHtml(selectionPlanText(d.selection))}</p>`,
      table(
        lb.header,
        lb.rows.map((r) => r.map((c) => c.replace(/\*\*/g, ''))),
        99,
      ),
    );
    if (lb.hidden > 0)
      H.push(`<p>${lb.hidden} more candidates dropped after fewer folds (all of them are in model.json).</p>`);
  }

  H.push('<h2>Performance</h2>');
  const ci = new Map(d.intervals.map((i) => [i.metric, i]));
  const champ = d.champion?.test ?? null;
  H.push(
    table(
      ['Metric', 'Test', '95 % interval', 'Validation', 'Train', ...(champ ? ['Champion (test)'] : [])],
      METRIC_ROWS.map((r) => {
        const i = ci.get(r.key);
        const row = [
          r.label,
          num(d.metrics.test[r.key] as number | null),
          i && i.lo !== null && i.hi !== null ? `${num(i.lo)} – ${num(i.hi)}` : '',
          num(d.metrics.validation[r.key] as number | null),
          num(d.metrics.train[r.key] as number | null),
        ];
        if (champ) row.push(num(champ[r.key] as number | null));
        return row;
      }),
    ),
  );
  H.push(figs('roc.svg', 'precision-recall.svg', 'calibration.svg', 'score-distribution.svg'));

  H.push('<h2>Threshold and costs</h2>');
  const c = d.metrics.test.confusion_matrix;
  H.push(
    `<p>Decision threshold <strong>${m.threshold.toFixed(4)}</strong>, chosen on validation rows to minimise expected cost (missed default ${m.costs.false_negative}, refused good payer ${m.costs.false_positive}). Test rows: ${c.tp} defaulters refused, ${c.fn} approved; ${c.fp} good payers refused, ${c.tn} approved.</p>`,
  );
  H.push(figs('expected-cost.svg', 'confusion-matrix.svg'));

  H.push('<h2>What drives the score</h2>');
  if (d.explanations)
    H.push(
      `<p>${inlineCode(d.explanations.method)}, ${d.explanations.rows} test applicants; base value ${num(d.explanations.base_value)} (${d.explanations.output === 'log_odds' ? 'log-odds' : 'probability'}).</p>`,
    );
  H.push(
    table(
      ['Feature', 'Mean |SHAP|', 'Permutation (AUC fall)', 'Engine importance'],
      d.importance.map((r) => [
        r.feature,
        num(r.mean_abs_shap),
        r.permutation === null ? 'n/a' : `${num(r.permutation)} ± ${num(r.permutation_sd)}`,
        num(r.engine),
      ]),
    ),
  );
  H.push(figs('shap-summary.svg', 'feature-importance.svg'));
  if (d.explanations?.examples.length) {
    H.push('<h3>Example reason codes</h3><ul>');
    for (const e of d.explanations.examples) {
      H.push(
        `<li><strong>${escapeHtml(e.label)}</strong> — probability ${pct(e.probability)}, decision <code>${escapeHtml(e.decision)}</code><ul>${(e.reasons.length ? e.reasons : ['no feature pushed this applicant toward default']).map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul></li>`,
      );
    }
    H.push('</ul>');
  }

  H.push('<h2>Fairness</h2>');
  const f = d.fairness;
  if (f.attributes.length) {
    H.push(
      `<p>Disparate impact (DI) = group approval rate ÷ the most-approved group's; flagged below ${f.config.min_disparate_impact} (four-fifths rule). Groups under ${f.config.min_group_size} rows are not judged.</p>`,
    );
    for (const a of f.attributes) {
      H.push(
        `<h3>${escapeHtml(a.attribute)} <span class="meta">(reference: ${escapeHtml(a.reference_group ?? 'none')})</span></h3>`,
      );
      H.push(
        table(
          ['Group', 'Rows', 'Default rate', 'Refused', 'Approved', 'TPR', 'FPR', 'DI', 'Flag'],
          a.groups.map((g) => [
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
        ),
      );
    }
  }
  for (const s of f.skipped) H.push(`<p>${escapeHtml(s.attribute)}: not evaluated — ${inlineCode(s.reason)}.</p>`);
  const verdictClass = {
    failed: ' class="flag"',
    passed: ' class="ok"',
    not_evaluated: ' class="flag"',
    not_configured: '',
  };
  H.push(`<p${verdictClass[f.verdict.status]}>${inlineCode(f.verdict.text)}</p>`);

  H.push('<h2>Limitations</h2><ul>');
  for (const l of d.limitations) H.push(`<li>${inlineCode(l)}</li>`);
  H.push('</ul>');

  H.push('<h2>Diagnostics</h2><h3>Data summary (training data)</h3>');
  H.push(
    table(
      ['Column', 'Type', 'Missing', 'Mean ± sd / top categories', 'Min', 'Max'],
      d.data_summary.map((s) =>
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
      2,
    ),
  );
  H.push('<h3>Timings</h3>');
  if (d.timings.rows.length)
    H.push(
      table(
        ['Step', 'Seconds'],
        d.timings.rows.map((t) => [t.step, num(t.seconds, 3)]),
      ),
    );
  if (d.timings.score_us_per_row !== null)
    H.push(`<p>Batch scoring: ${d.timings.score_us_per_row} µs per applicant.</p>`);
  if (d.timings.report_s !== null)
    H.push(`<p>This report took ${d.timings.report_s} s to generate (${d.timings.report_cpu_s} s CPU).</p>`);
  const env = d.environment;
  H.push(
    '<h3>Environment</h3>',
    `<p>Node ${escapeHtml(env.node)} on ${escapeHtml(env.platform)}, ${env.cpus} × ${escapeHtml(env.cpu_model)}, ${env.memory_gb} GB.</p>`,
  );
  H.push(table(['Package', 'Version'], Object.entries(env.packages)));
  H.push('<h3>Dependencies</h3>', `<p>${inlineCode(d.dependencies.message)}</p>`);
  if (d.dependencies.outdated.length)
    H.push(
      table(
        ['Package', 'Current', 'Wanted', 'Latest'],
        d.dependencies.outdated.map((o) => [o.name, o.current ?? '—', o.wanted ?? '—', o.latest ?? '—']),
      ),
    );
  H.push('</main>', '</body>', '</html>', '');
  return H.join('\n');
}
