/** Markdown tables for run summaries, shared by the CLI, report.md and the PR comment. */
import { markdownTable } from 'markdown-table';
import { num, type SplitMetrics } from '../../core/index.ts';

export const METRIC_ROWS: { key: keyof SplitMetrics; label: string }[] = [
  { key: 'roc_auc', label: 'ROC AUC' },
  { key: 'pr_auc', label: 'PR AUC' },
  { key: 'ks', label: 'KS' },
  { key: 'gini', label: 'Gini' },
  { key: 'accuracy', label: 'Accuracy' },
  { key: 'precision', label: 'Precision' },
  { key: 'recall', label: 'Recall' },
  { key: 'f1', label: 'F1' },
  { key: 'brier', label: 'Brier score' },
  { key: 'log_loss', label: 'Log loss' },
  { key: 'expected_cost', label: 'Expected cost / applicant' },
];

export function metricsTable(splits: Record<string, SplitMetrics>): string {
  const names = Object.keys(splits);
  return markdownTable(
    [
      ['Metric', ...names],
      ...METRIC_ROWS.map((r) => [r.label, ...names.map((n) => num(splits[n][r.key] as number | null))]),
    ],
    { align: ['l', ...names.map(() => 'r' as const)] },
  );
}

export function confusionTable(m: SplitMetrics, positive: string, negative: string): string {
  const c = m.confusion_matrix;
  return markdownTable(
    [
      ['', `Predicted ${positive}`, `Predicted ${negative}`],
      [`Actual ${positive}`, String(c.tp), String(c.fn)],
      [`Actual ${negative}`, String(c.fp), String(c.tn)],
    ],
    { align: ['l', 'r', 'r'] },
  );
}
