/**
 * The `engine: auto` leaderboard as table rows and Markdown, shared by the run summary,
 * report.md, the model card, report.html, the PR comment and `mlops runs show`.
 */
import { markdownTable } from 'markdown-table';
import { ENSEMBLE_ENGINE, num, type Selection } from '../../core/index.ts';

/** Rows shown: every finalist, then the best of the dropped; the bundle holds them all. */
const SHOWN = 12;

const OUTCOME: Record<Selection['leaderboard'][number]['outcome'], string> = {
  winner: '**winner**',
  finalist: 'finalist',
  dropped: 'dropped',
  failed: 'failed',
};

export function leaderboardRows(
  s: Selection,
  fitSeconds?: Record<string, number>,
): { header: string[]; rows: string[][]; hidden: number } {
  const metric = s.metric === 'roc_auc' ? 'ROC AUC' : 'expected cost';
  const shown = s.leaderboard.slice(0, Math.max(SHOWN, s.leaderboard.filter((e) => e.folds >= s.folds).length));
  return {
    header: [
      '#',
      'Candidate',
      `CV ${metric} (mean ± sd)`,
      'Folds',
      'Est. fit s',
      ...(fitSeconds ? ['Fit s'] : []),
      'Outcome',
      'Parameters',
    ],
    rows: shown.map((e) => [
      String(e.rank),
      e.candidate,
      e.mean === null ? '—' : `${num(e.mean)} ± ${num(e.sd)}`,
      String(e.folds),
      String(e.estimated_fit_s),
      ...(fitSeconds ? [String(fitSeconds[e.candidate] ?? '')] : []),
      e.outcome === 'failed' ? `failed: ${e.error ?? ''}` : OUTCOME[e.outcome],
      Object.entries(e.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'defaults',
    ]),
    hidden: s.leaderboard.length - shown.length,
  };
}

/** The plan in one sentence: candidates, folds, rungs and budget. */
export function selectionPlanText(s: Selection): string {
  // The ensemble's line is not a searched candidate: it averages finalists' out-of-fold probabilities.
  const searched = s.leaderboard.filter((e) => e.engine !== ENSEMBLE_ENGINE);
  const engines = [...new Set(searched.map((e) => e.engine))];
  const ensemble = s.ensemble
    ? `; then the soft-voting ensemble of the top ${s.ensemble.members.length} finalists, from their out-of-fold probabilities`
    : '';
  return `${searched.length} candidates (${engines.join(', ')}) by successive halving on ${s.folds} stratified folds of the training rows (folds per rung ${s.rungs.join(' → ')}, the best 1/${s.eta} and each engine's best kept${(s.repeats ?? 1) > 1 ? `; the closest finalists on ${s.repeats} partitions into ${s.folds} folds` : ''}${ensemble}), planned at ${s.planned_seconds} s of fitting within auto.budget_seconds = ${s.budget_seconds}.`;
}

export function leaderboardMarkdown(s: Selection, fitSeconds?: Record<string, number>): string {
  const { header, rows, hidden } = leaderboardRows(s, fitSeconds);
  const lines = [
    `**${s.winner}** chosen: ${s.reason}.`,
    '',
    selectionPlanText(s),
    '',
    markdownTable([header, ...rows], {
      align: ['r', 'l', 'r', 'r', 'r', ...(fitSeconds ? ['r' as const] : []), 'l', 'l'],
    }),
  ];
  if (hidden > 0)
    lines.push('', `${hidden} more candidates dropped after fewer folds (all of them are in model.json).`);
  return lines.join('\n');
}
