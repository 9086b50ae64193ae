/**
 * The promotion verdict: the structured answer to "does the challenger beat the
 * champion?". The CLI prints it, the PR comment renders it, the registry history keeps
 * it. Every rule carries both values, what was required and whether it passed.
 */

export type VerdictDecision = 'promote' | 'keep';

export interface VerdictRule {
  /** Stable id, e.g. `primary:roc_auc`, `guardrail:recall`, `overfitting`, `first-model`, `forced`. */
  id: string;
  kind: 'primary' | 'guardrail' | 'overfitting' | 'first-model' | 'forced' | 'validity';
  metric: string | null;
  champion: number | null;
  challenger: number | null;
  /** Human-readable requirement, e.g. "≥ champion + 0.002" or "regression ≤ 0.05". */
  required: string;
  passed: boolean;
  detail: string;
}

export interface Verdict {
  decision: VerdictDecision;
  /** One line a reviewer reads first, e.g. "promote: roc_auc +0.0123 (≥ 0.002 required)". */
  summary: string;
  model: string;
  champion: { version: number; digest: string } | null;
  challenger: { digest: string; run_id: string | null };
  /** The rows both models were scored on. */
  evaluated_on: { name: string; rows: number; sha256: string | null }[];
  /** Metrics of both models on the evaluation rows, same keys as SplitMetrics. */
  metrics: { champion: Record<string, number | null> | null; challenger: Record<string, number | null> };
  rules: VerdictRule[];
  forced: { reason: string } | null;
}
