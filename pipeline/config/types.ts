/** The resolved configuration: every default filled in. */
export interface MlopsConfig {
  model_name: string;
  data: {
    path: string;
    test_path: string | null;
    target: string;
    positive: string;
    drop: string[];
    keep: string[];
    id_columns: string[];
    column_types: Record<string, 'numeric' | 'categorical'>;
  };
  split: { train: number; validation: number; test: number };
  seed: number;
  engine: { name: string; params: Record<string, number | string | boolean> };
  costs: { false_negative: number; false_positive: number };
  evaluation: { overfitting_max_gap: number; risk_bands: { name: string; max: number }[] };
  promotion: {
    primary_metric: string;
    min_delta: number;
    min_relative: number;
    golden_path: string | null;
    max_overfitting_gap: number | null;
    guardrails: { metric: string; max_regression: number }[];
  };
  registry: { path: string; max_bundle_bytes: number };
  runs_dir: string;
  /** Sections added by later features, validated by their own code. */
  [section: string]: unknown;
}
