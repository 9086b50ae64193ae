/**
 * The pull-request comment: one markdown document a reviewer reads to decide whether the
 * change makes the credit model better or worse. Built only from the validated report
 * artifact (report-artifact.ts); every free-text value from it is escaped, because the
 * artifact may come from a fork. The hidden marker on the first line lets the action
 * find and update the same comment on every push instead of piling up new ones.
 */
import { markdownTable } from 'markdown-table';
import { ENSEMBLE_ENGINE, HIGHER_IS_BETTER, num, pct, signed, type SplitMetrics } from '../../pipeline/core/index.ts';
import { type ModelSide, METRIC_ROWS } from '../../pipeline/gitops/index.ts';
import { describeScore } from '../lint-score/score.ts';
import { barChart, CHALLENGER_COLOUR, rocChart } from './mermaid.ts';
import type { ReportArtifact } from '../common/report-artifact.ts';

/** Stable across pushes and versions: changing it would orphan every existing comment. */
export const COMMENT_MARKER = '<!-- credit-risk-gitops:pr-report -->';
/** GitHub refuses comment bodies over 65,536 characters; stay well under. */
export const MAX_COMMENT_CHARS = 60_000;

export interface CommentOptions {
  /** Link to the uploaded report artifact (or the run page that lists it). */
  artifactUrl: string | null;
}

/** Escapes text from the artifact for markdown: no HTML, no table breaks, no @-mentions. */
export function mdText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/@/g, '@\u200b')
    .replace(/[`*_~[\]]/g, (c) => `\\${c}`)
    .replace(/[\r\n]+/g, ' ');
}

function code(s: string): string {
  return '`' + s.replace(/[`\r\n]/g, '') + '`';
}

/** Δ cell: signed change plus whether it is an improvement for this metric. */
export function deltaCell(metric: string, champion: number | null, challenger: number | null): string {
  if (champion === null || challenger === null) return 'n/a';
  const d = challenger - champion;
  if (d === 0) return signed(d);
  // The metric name comes from the report artifact, untrusted: only the table's own names count.
  if (!Object.hasOwn(HIGHER_IS_BETTER, metric)) return signed(d);
  const higher = HIGHER_IS_BETTER[metric];
  const better = higher ? d > 0 : d < 0;
  return `${signed(d)} ${better ? '🟢' : '🔴'}`;
}

function verdictHeadline(a: ReportArtifact): string {
  const v = a.verdict;
  const champ = v.champion ? `champion v${v.champion.version}` : 'no champion yet';
  if (v.decision === 'promote') {
    return `## ✅ Promote: the challenger ${v.champion ? `beats ${champ}` : 'becomes the first champion'}`;
  }
  return `## ⏸️ Keep ${champ}: the challenger does not pass the promotion gate`;
}

function rulesTable(a: ReportArtifact): string {
  const rows = a.verdict.rules.map((r) => [
    code(r.id),
    num(r.champion),
    num(r.challenger),
    mdText(r.required),
    r.passed ? '✅ pass' : '❌ fail',
    mdText(r.detail),
  ]);
  if (!rows.length) return '_The verdict lists no rules._';
  return markdownTable([['Rule', 'Champion', 'Challenger', 'Required', 'Result', 'Detail'], ...rows], {
    align: ['l', 'r', 'r', 'l', 'l', 'l'],
  });
}

function metricsComparison(a: ReportArtifact): string {
  const ch = a.comparison.challenger.metrics;
  const cp = a.comparison.champion?.metrics ?? null;
  const champName = a.comparison.champion ? `Champion v${a.comparison.champion.version}` : 'Champion';
  const rows: string[][] = METRIC_ROWS.map((r) => {
    const c = cp ? (cp[r.key] as number | null) : null;
    const n = ch[r.key] as number | null;
    return [r.label, cp ? num(c) : '—', num(n), cp ? deltaCell(r.key, c, n) : '—'];
  });
  rows.push([
    'Threshold',
    cp ? num(cp.threshold) : '—',
    num(ch.threshold),
    cp ? signed(ch.threshold - cp.threshold) : '—',
  ]);
  return markdownTable([['Metric', champName, 'Challenger', 'Δ (challenger − champion)'], ...rows], {
    align: ['l', 'r', 'r', 'r'],
  });
}

function confusion(m: SplitMetrics, positive: string, negative: string): string {
  const c = m.confusion_matrix;
  return markdownTable(
    [
      ['', `Predicted ${mdText(positive)}`, `Predicted ${mdText(negative)}`],
      [`Actual ${mdText(positive)}`, String(c.tp), String(c.fn)],
      [`Actual ${mdText(negative)}`, String(c.fp), String(c.tn)],
    ],
    { align: ['l', 'r', 'r'] },
  );
}

function confusionSection(a: ReportArtifact): string[] {
  const c = a.comparison;
  const out = ['### Confusion matrices at the threshold', ''];
  out.push(
    `**Challenger** (threshold ${num(c.challenger.threshold)})`,
    '',
    confusion(c.challenger.metrics, c.positive, c.negative),
    '',
  );
  if (c.champion) {
    out.push(
      `**Champion v${c.champion.version}** (threshold ${num(c.champion.threshold)})`,
      '',
      confusion(c.champion.metrics, c.positive, c.negative),
      '',
    );
  }
  const cost = c.champion
    ? `Expected cost per applicant: champion ${num(c.champion.metrics.expected_cost)} → challenger ${num(c.challenger.metrics.expected_cost)} (${deltaCell('expected_cost', c.champion.metrics.expected_cost, c.challenger.metrics.expected_cost)}).`
    : `Expected cost per applicant: challenger ${num(c.challenger.metrics.expected_cost)}.`;
  out.push(cost, '');
  const o = c.challenger.overfitting;
  out.push(
    `Overfitting: train − test ${code(o.metric)} gap ${num(o.gap)} (limit ${num(o.max_gap)}) — ${o.flagged ? '⚠️ **flagged as overfitting**' : 'within limit'}.`,
    '',
  );
  return out;
}

function dataRow(s: ModelSide | null, pick: (s: ModelSide) => string): string {
  return s ? pick(s) : '—';
}

function dataSection(a: ReportArtifact): string[] {
  const c = a.comparison;
  const ch = c.challenger;
  const cp = c.champion;
  const out = ['### Data', ''];
  out.push(
    `Both models scored on the same ${c.evaluated_on.rows} rows (${mdText(c.evaluated_on.name)}, ${pct(c.evaluated_on.positive_rate)} ${mdText(c.positive)}).`,
    '',
  );
  out.push(
    markdownTable(
      [
        ['Training data', cp ? `Champion v${cp.version}` : 'Champion', 'Challenger'],
        ['File', dataRow(cp, (s) => code(s.data.path)), code(ch.data.path)],
        ['sha256', dataRow(cp, (s) => code(s.data.sha256.slice(0, 12))), code(ch.data.sha256.slice(0, 12))],
        ['Rows', dataRow(cp, (s) => String(s.data.rows)), String(ch.data.rows)],
        [`Share ${mdText(c.positive)}`, dataRow(cp, (s) => pct(s.data.positive_rate)), pct(ch.data.positive_rate)],
        ['Engine', dataRow(cp, (s) => code(s.engine)), code(ch.engine)],
      ],
      { align: ['l', 'r', 'r'] },
    ),
    '',
  );
  out.push(
    `Challenger split: ${ch.rows.train} train / ${ch.rows.validation} validation / ${ch.rows.test} test rows (share ${mdText(c.positive)} ${pct(ch.rows.positive_rate.train)} / ${pct(ch.rows.positive_rate.validation)} / ${pct(ch.rows.positive_rate.test)}).`,
    '',
  );
  if (!cp) out.push("Schema changes vs the champion's data: no champion to compare with.", '');
  else if (!c.schema_changes.length) out.push("Schema changes vs the champion's data: none.", '');
  else {
    const shown = c.schema_changes.slice(0, 30);
    out.push(`Schema changes vs the champion's data (${c.schema_changes.length}):`, '');
    for (const s of shown) out.push(`- ${mdText(s)}`);
    if (c.schema_changes.length > shown.length)
      out.push(`- … and ${c.schema_changes.length - shown.length} more (see the artifact)`);
    out.push('');
  }
  if (c.champion_error) out.push(`⚠️ The champion could not be scored on these rows: ${mdText(c.champion_error)}`, '');
  const t = ch.timings;
  out.push(
    `Training time: ${t.total_s.toFixed(2)} s in total (load ${t.load_s.toFixed(2)} s · preprocess ${t.preprocess_s.toFixed(2)} s · fit ${t.fit_s.toFixed(2)} s · evaluate ${t.evaluate_s.toFixed(2)} s).`,
    '',
  );
  return out;
}

function chartsSection(a: ReportArtifact): string[] {
  const c = a.comparison;
  const out = ['### Charts', ''];
  // xychart-beta draws no legend; the colours are fixed in mermaid.ts and named here.
  const legend = c.champion
    ? `red: challenger (ROC AUC ${num(c.challenger.metrics.roc_auc)}) · blue: champion v${c.champion.version} (ROC AUC ${num(c.champion.metrics.roc_auc)}) · grey: chance`
    : `red: challenger (ROC AUC ${num(c.challenger.metrics.roc_auc)}) · grey: chance`;
  out.push(`ROC curves on the ${c.evaluated_on.rows} evaluation rows — ${legend}.`, '');
  out.push(rocChart(c.roc_grid, c.challenger.roc_tpr, c.champion?.roc_tpr ?? null, 'ROC curve'), '');
  if (c.challenger.feature_importance.length) {
    out.push(
      barChart(
        'Feature importance (challenger)',
        'importance',
        c.challenger.feature_importance.map((f) => ({ label: f.feature, value: f.importance })),
        CHALLENGER_COLOUR,
      ),
      '',
    );
  }
  return out;
}

const RUNNING = '⏳ running';

/** One line per job of the checks run: what passed, failed or is still running. */
function checksSection(a: ReportArtifact): string[] {
  const c = a.checks;
  if (!c) return [];
  const icon = (j: { status: string; conclusion: string | null }): string =>
    j.status !== 'completed'
      ? RUNNING
      : j.conclusion === 'success'
        ? '✅ passed'
        : j.conclusion === 'skipped'
          ? '⏭️ skipped'
          : `❌ ${mdText(j.conclusion ?? 'failed')}`;
  // Job names come from the workflow file of the pull request's own commit: escaped like any artifact text.
  const jobs = c.jobs
    .slice(0, 20)
    .map((j) => `**${mdText(j.name.slice(0, 100))}** ${icon(j)}`)
    .join(' · ');
  const head = c.running
    ? `[checks](${c.url}) still running; this comment is updated when they finish`
    : `[checks](${c.url})`;
  return [`${head}: ${jobs || 'no jobs yet'}`, ''];
}

function lintSection(a: ReportArtifact): string[] {
  const l = a.lint;
  if (!l && a.checks?.running) return [`**Lint score**: ${RUNNING}`, ''];
  if (!l) return ['**Lint score**: not available (no lint-score.json in the artifact).', ''];
  const icon = l.delta.dropped ? '⚠️' : '✅';
  const out = [
    `**Lint score** ${icon} ${describeScore(l.score, l.delta)} — ${l.errors} errors, ${l.warnings} warnings in ${l.statements} statements (${l.files} files).`,
    '',
  ];
  if (l.rules.length) {
    const top = l.rules.slice(0, 10);
    out.push(
      '<details><summary>Problems per rule</summary>',
      '',
      markdownTable(
        [['Rule', 'Errors', 'Warnings'], ...top.map((r) => [code(r.rule), String(r.errors), String(r.warnings)])],
        { align: ['l', 'r', 'r'] },
      ),
      l.rules.length > top.length ? `\n… and ${l.rules.length - top.length} more rules.` : '',
      '',
      '</details>',
      '',
    );
  }
  return out;
}

function testsSection(a: ReportArtifact): string[] {
  const t = a.tests;
  if (!t && a.checks?.running) return [`**Tests**: ${RUNNING}`, ''];
  if (!t) return ['**Tests**: not available (no test-results.json in the artifact).', ''];
  const skipped = (t.numPendingTests ?? 0) + (t.numTodoTests ?? 0);
  const icon = t.success && t.numFailedTests === 0 ? '✅' : '❌';
  const out = [
    `**Tests** ${icon} ${t.numPassedTests} passed, ${t.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''} of ${t.numTotalTests} in ${t.testResults.length} files.`,
    '',
  ];
  const failed = t.testResults.flatMap((f) =>
    (f.assertionResults ?? []).filter((r) => r.status === 'failed').map((r) => r.fullName ?? r.title),
  );
  if (failed.length) {
    for (const n of failed.slice(0, 20)) out.push(`- ❌ ${mdText(n)}`);
    if (failed.length > 20) out.push(`- … and ${failed.length - 20} more`);
    out.push('');
  }
  return out;
}

/** `engine: auto`: the leaderboard, collapsed (the model card and report.html have it with parameters). */
function leaderboardSection(a: ReportArtifact): string[] {
  const s = a.run.auto;
  if (!s) return [];
  const metric = s.metric === 'roc_auc' ? 'ROC AUC' : 'expected cost';
  const repeats = s.repeats ?? 1;
  const shown = s.leaderboard.filter((e, i) => i < 12 || e.folds >= s.folds);
  // The ensemble's line averages finalists; it is not one of the candidates searched.
  const searched = s.leaderboard.filter((e) => e.engine !== ENSEMBLE_ENGINE).length;
  const rows = shown.map((e) => [
    String(e.rank),
    mdText(e.candidate),
    e.mean === null ? '—' : `${num(e.mean)} ± ${num(e.sd)}`,
    String(e.folds),
    String(e.estimated_fit_s),
    String(e.fit_s),
    e.outcome === 'winner' ? '**winner**' : e.outcome,
  ]);
  return [
    `<details><summary>Model selection (engine: auto): ${mdText(s.winner)} of ${searched} candidates</summary>`,
    '',
    mdText(s.reason) + '.',
    '',
    `${s.folds}-fold cross-validation on the training rows${repeats > 1 ? ` (the closest finalists on ${repeats} partitions of them)` : ''} · budget ${s.budget_seconds} s (estimated) · search took ${s.select_s} s`,
    '',
    markdownTable(
      [['#', 'Candidate', `CV ${metric} (mean ± sd)`, 'Folds', 'Est. fit s', 'Fit s', 'Outcome'], ...rows],
      { align: ['r', 'l', 'r', 'r', 'r', 'r', 'l'] },
    ),
    ...(s.leaderboard.length > shown.length
      ? [
          '',
          `${s.leaderboard.length - shown.length} more candidates dropped after fewer folds (model.json has them all).`,
        ]
      : []),
    '',
    '</details>',
    '',
  ];
}

/** Builds the whole comment (also used verbatim as the job summary). */
export function buildPrComment(a: ReportArtifact, opts: CommentOptions): string {
  const ctx = a.context;
  const run = a.run;
  const lines: string[] = [COMMENT_MARKER, verdictHeadline(a), ''];
  lines.push(`> ${mdText(a.verdict.summary)}`, '');
  if (a.verdict.forced) lines.push(`Forced promotion — reason: ${mdText(a.verdict.forced.reason)}`, '');
  if (ctx.dry_run) lines.push('_Dry run: nothing is promoted or published from this run._', '');
  const commit = run.git.commit ? ` · commit ${code(run.git.commit.slice(0, 7))}` : '';
  const link = opts.artifactUrl ? ` · [full report](${opts.artifactUrl})` : '';
  lines.push(
    `<sub>model ${code(run.model.name)} · engine ${code(run.model.engine)} · run ${code(run.id)}${commit}${link}</sub>`,
    '',
  );
  lines.push('<details><summary>Promotion rules</summary>', '', rulesTable(a), '', '</details>', '');
  for (const line of leaderboardSection(a)) lines.push(line);
  const evaluated = a.comparison.evaluated_on;
  lines.push(`### Champion vs challenger (same ${evaluated.rows} rows)`, '', metricsComparison(a), '');
  for (const section of [
    confusionSection(a),
    dataSection(a),
    chartsSection(a),
    ['### Code quality', ''],
    checksSection(a),
    lintSection(a),
    testsSection(a),
  ])
    for (const line of section) lines.push(line);
  const footer = `<sub>Updated in place on every push · head ${code(ctx.head_sha.slice(0, 7))} · [workflow run](${ctx.run_url})${link}</sub>`;
  return fitComment(lines.join('\n'), footer, opts);
}

/** Keeps the body under MAX_COMMENT_CHARS: cuts at a line boundary and says where the rest is. */
export function fitComment(body: string, footer: string, opts: CommentOptions): string {
  const full = `${body}\n${footer}\n`;
  if (full.length <= MAX_COMMENT_CHARS) return full;
  const note = `\n\n_The comment was shortened to stay under GitHub's size limit; the full report is in ${opts.artifactUrl ? `[the artifact](${opts.artifactUrl})` : 'the run artifact'}._\n`;
  const budget = MAX_COMMENT_CHARS - note.length - footer.length - 2;
  let cut = body.slice(0, budget);
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf('\n')));
  // Never leave a code fence open: an unclosed ```mermaid would swallow the rest.
  if ((cut.match(/^```/gm) ?? []).length % 2 === 1) cut = cut.slice(0, cut.lastIndexOf('\n```'));
  return `${cut}${note}\n${footer}\n`;
}
