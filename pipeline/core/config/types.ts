import type { CsvEncoding } from '../data/csv.ts';
import type { DataSource } from '../data/source.ts';

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
    /** Text encoding of the CSV files; absent = UTF-8 (bytes that are not UTF-8 are refused). */
    encoding?: CsvEncoding;
    /** Where the rows come from when not the CSV at `path` (pipeline/core/data/source.ts). */
    source?: DataSource;
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
    /** Refuse a challenger whose decisions break the `fairness` bounds on the evaluation rows. */
    fairness_guardrail: boolean;
    guardrails: { metric: string; max_regression: number }[];
  };
  registry: {
    path: string;
    max_bundle_bytes: number;
    /** Push attempts in all when other writers keep moving the branch (race-safe commits). */
    push_attempts: number;
    /** First retry delay in ms, doubled on each retry (with jitter). */
    push_backoff_ms: number;
  };
  runs_dir: string;
  /** Experiment tracking (see docs/tracking.md): the local runs store is `runs_dir`. */
  tracking: {
    mlflow: {
      /** false: never log to MLflow, even when MLFLOW_TRACKING_URI is set. */
      enabled: boolean;
      /** http(s) URL of an MLflow tracking server; MLFLOW_TRACKING_URI overrides. */
      tracking_uri: string | null;
      /** Experiment name (null: model_name); MLFLOW_EXPERIMENT_NAME overrides. */
      experiment: string | null;
      /** Registered model that mirrors the registry (null: model_name). */
      registered_model: string | null;
      timeout_ms: number;
    };
  };
  /** New data files picked up by `mlops ingest` (see docs/monitoring.md). */
  ingest: {
    incoming: string;
    processed: string;
    quarantine: string;
    log: string;
    /** A category the data set has never seen: reject the row (default) or accept it. */
    unknown_categories: 'reject' | 'accept';
    /** `mlops ingest --source postgres`: the column whose values only grow; rows above the last one ingested are new. */
    watermark: string | null;
  };
  /** `mlops data snapshot`: Parquet copies of the training rows, named by digest, and the pointer committed instead. */
  snapshots: { location: string; pointer: string };
  /** Thresholds of `mlops drift`. */
  drift: {
    bins: number;
    psi_moderate: number;
    psi_significant: number;
    ks_alpha: number;
    js_threshold: number;
    /** Data-set drift when at least this share of features drift. */
    dataset_share: number;
    /** Model drift when the primary metric on labelled new data falls by more than this. */
    model_max_drop: number;
    /** Whether KS / Jensen–Shannon results also flag a feature (else PSI alone decides). */
    use_tests: boolean;
  };
  /** Scheduled retraining (`retrain.yml`). */
  retrain: {
    branch: string;
    /** `pull-request`: a person merges to promote; `direct`: promote and push without a PR. */
    promotion: 'pull-request' | 'direct';
    /** Retrain even when no new data arrived (e.g. a config change on main). */
    always: boolean;
    report_path: string;
  };
  /** `mlops release`: the scoring image and the overlays pinned to the champion (docs/deploy.md). */
  release: {
    image: string | null;
    overlays: string[];
    pin: 'commit' | 'pull-request';
    pin_branch: string;
  };
  /** `mlops tune` defaults (see docs/tuning.md). */
  tune: {
    trials: number;
    folds: number;
    metric: 'roc_auc' | 'expected_cost' | 'pr_auc' | 'log_loss';
    sampler: 'random' | 'tpe';
    /** none | undersample[:R] | oversample[:R] (R = negatives per positive). */
    sampling: string;
    /** Search space per engine name; parsed and checked against the engine by pipeline/core/tuning/space.ts. */
    spaces: Record<string, Record<string, unknown>>;
  };
  /** `engine: auto`: automatic engine selection (pipeline/core/tuning/auto.ts, docs/auto.md). */
  auto: {
    /** Seconds of fitting the search may take on a two-core machine, as the engines estimate it (never timed). */
    budget_seconds: number;
    /** Engines it chooses among. */
    engines: string[];
    folds: number;
    /** What selects the winner; expected_cost uses `costs` and the cost-minimising threshold per fold. */
    metric: 'roc_auc' | 'expected_cost';
    /** Soft-voting ensemble of the top finalists, kept only when it beats the winner by more than one paired standard error. */
    ensemble: boolean;
  };
  /** Group fairness checks of the report (pipeline/core/evaluation/fairness.ts, docs/reports.md). */
  fairness: {
    attributes: { column: string; bands?: number[] }[];
    min_disparate_impact: number;
    min_group_size: number;
    max_tpr_gap: number | null;
    max_fpr_gap: number | null;
  };
  /** Sections added by later features, validated by their own code. */
  [section: string]: unknown;
}
