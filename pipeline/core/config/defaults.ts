import type { MlopsConfig } from './types.ts';

/**
 * Defaults a credit team would pick: cost of a missed default five times the margin
 * lost on a refused good applicant; a 60/20/20 stratified split; the forest engine.
 */
export function defaultConfig(): MlopsConfig {
  return {
    model_name: 'credit-default',
    data: {
      path: 'data/credit_data.csv',
      test_path: null,
      target: 'Status',
      positive: 'bad',
      drop: [],
      keep: [],
      id_columns: [],
      column_types: {},
    },
    split: { train: 0.6, validation: 0.2, test: 0.2 },
    seed: 42,
    engine: { name: 'forest', params: {} },
    costs: { false_negative: 5, false_positive: 1 },
    evaluation: {
      overfitting_max_gap: 0.15,
      risk_bands: [
        { name: 'low', max: 0.1 },
        { name: 'medium', max: 0.3 },
        { name: 'high', max: 0.6 },
        { name: 'very high', max: 1 },
      ],
    },
    promotion: {
      primary_metric: 'roc_auc',
      min_delta: 0.002,
      min_relative: 0,
      golden_path: null,
      max_overfitting_gap: null,
      fairness_guardrail: false,
      guardrails: [
        { metric: 'recall', max_regression: 0.05 },
        { metric: 'brier', max_regression: 0.01 },
      ],
    },
    registry: { path: 'models', max_bundle_bytes: 5 * 1024 * 1024, push_attempts: 5, push_backoff_ms: 1000 },
    runs_dir: 'runs',
    tracking: {
      mlflow: { enabled: true, tracking_uri: null, experiment: null, registered_model: null, timeout_ms: 5000 },
    },
    ingest: {
      incoming: 'data/incoming',
      processed: 'data/processed',
      quarantine: 'data/quarantine',
      log: 'data/ingestion-log.jsonl',
      unknown_categories: 'reject',
      watermark: null,
    },
    snapshots: { location: 'snapshots', pointer: 'data/training.snapshot.json' },
    // PSI 0.1 / 0.2 are the credit-scoring rule of thumb; 50 % of features as in Evidently's preset.
    drift: {
      bins: 10,
      psi_moderate: 0.1,
      psi_significant: 0.2,
      ks_alpha: 0.05,
      js_threshold: 0.1,
      dataset_share: 0.5,
      model_max_drop: 0.05,
      use_tests: false,
    },
    retrain: { branch: 'mlops/retrain', promotion: 'pull-request', always: false, report_path: 'reports/retrain.md' },
    release: { image: null, overlays: ['staging', 'production'], pin: 'commit', pin_branch: 'mlops/pin' },
    // No sensitive attributes by default: which columns are protected depends on the lender's data.
    fairness: { attributes: [], min_disparate_impact: 0.8, min_group_size: 30, max_tpr_gap: null, max_fpr_gap: null },
    auto: { budget_seconds: 30, engines: ['logistic', 'forest', 'gbdt'], folds: 4, metric: 'roc_auc', ensemble: false },
    tune: { trials: 30, folds: 5, metric: 'roc_auc', sampler: 'random', sampling: 'none', spaces: {} },
  };
}
