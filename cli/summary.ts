/** The summary a person sees after training: headline metrics and where the files are. */
import type { TrainResult } from '../pipeline/core/index.ts';
import { leaderboardMarkdown, metricsTable } from '../pipeline/gitops/index.ts';
import { engineLabel, num } from '../pipeline/core/index.ts';

export function trainSummary(result: TrainResult, outDir: string): string {
  const m = result.metrics;
  const b = result.bundle;
  const lines = [
    '',
    `${b.name} · engine ${engineLabel(b)} · ${m.rows.train}/${m.rows.validation}/${m.rows.test} rows (train/validation/test) · fit ${m.timings.fit_s} s`,
    '',
    metricsTable({ train: m.train, validation: m.validation, test: m.test }),
    '',
    `threshold ${num(b.threshold)} (minimises expected cost on validation rows) · test confusion tp ${m.test.confusion_matrix.tp} fp ${m.test.confusion_matrix.fp} tn ${m.test.confusion_matrix.tn} fn ${m.test.confusion_matrix.fn}`,
  ];
  // Columns that are not features, said on screen: an ID found by its values is dropped silently otherwise.
  for (const d of b.schema.dropped) lines.push(`not a feature: ${d.name} (${d.reason})`);
  const found = new Set(b.schema.dropped.map((d) => d.name));
  const configured = b.schema.ids.filter((id) => !found.has(id));
  if (configured.length) lines.push(`ID columns (data.id_columns, copied to predictions): ${configured.join(', ')}`);
  if (b.selection && result.auto)
    lines.push(
      '',
      `model selection (engine: auto) · ${result.auto.seconds} s`,
      '',
      leaderboardMarkdown(b.selection, result.auto.fit_seconds),
    );
  if (m.overfitting.flagged)
    lines.push(
      `warning: train − test ROC AUC gap ${num(m.overfitting.gap)} exceeds ${m.overfitting.max_gap} (overfitting)`,
    );
  lines.push(`model ${b.digest}`, `run folder ${outDir}`);
  return lines.join('\n');
}
