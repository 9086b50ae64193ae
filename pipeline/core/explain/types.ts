/**
 * Explanations of single decisions. Contributions are in the model's margin units
 * (`output`): log-odds for gbdt and logistic, probability for forest (a forest
 * averages tree probabilities) and for a soft-voting ensemble (it averages its members'
 * probabilities). Local accuracy: base_value + Σ contributions = margin.
 */
export interface FeatureContribution {
  feature: string;
  /** The applicant's value as given (null = missing). */
  value: number | string | null;
  contribution: number;
}

export interface Explanation {
  output: 'log_odds' | 'probability';
  base_value: number;
  margin: number;
  probability: number;
  /** Sorted by |contribution|, largest first. */
  contributions: FeatureContribution[];
  /** Plain-language reasons that pushed toward the positive class (default), strongest first. */
  reason_codes: string[];
}
