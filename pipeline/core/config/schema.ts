/**
 * JSON Schema of `mlops.config.json`. Each top-level section is its own constant so a
 * feature (registry, drift, tracking…) adds its section here without touching others.
 */
export const dataSection = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'target', 'positive'],
  properties: {
    path: { type: 'string', minLength: 1, description: 'CSV file with one row per applicant.' },
    test_path: {
      type: ['string', 'null'],
      description: 'Optional holdout CSV; when set, test rows come from it instead of a split.',
    },
    target: { type: 'string', minLength: 1, description: 'Column holding the outcome.' },
    positive: { type: 'string', minLength: 1, description: 'Label of the positive class (the default, e.g. "bad").' },
    drop: {
      type: 'array',
      items: { type: 'string' },
      uniqueItems: true,
      description: 'Columns never used as features (IDs, leakage).',
    },
    keep: {
      type: 'array',
      items: { type: 'string' },
      uniqueItems: true,
      description: 'Columns kept even if they look like IDs.',
    },
    id_columns: {
      type: 'array',
      items: { type: 'string' },
      uniqueItems: true,
      description: 'Columns copied to prediction output but never used as features.',
    },
    column_types: {
      type: 'object',
      additionalProperties: { enum: ['numeric', 'categorical'] },
      description: 'Force a column to be numeric or categorical instead of inferring it.',
    },
    encoding: {
      enum: ['utf8', 'latin1'],
      description:
        'Text encoding of the CSV files: utf8 (the default; bytes that are not UTF-8 are refused) or latin1.',
    },
    source: {
      type: 'object',
      required: ['type'],
      description:
        'Where the training rows come from instead of the CSV at data.path: parquet (a file or folder), postgres (a table or query; connection from DATABASE_URL or PG* variables) or snapshot (a pointer written by "mlops data snapshot"). Fields per type are checked by pipeline/core/data/read-source.ts.',
      properties: {
        type: { enum: ['csv', 'parquet', 'postgres', 'snapshot'] },
        path: { type: 'string', minLength: 1, description: 'csv / parquet / snapshot: the file or folder.' },
        table: { type: 'string', minLength: 1, description: 'postgres: table or view, optionally schema-qualified.' },
        query: { type: 'string', minLength: 1, description: 'postgres: a SELECT query (with ORDER BY, or a key).' },
        key: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          minItems: 1,
          uniqueItems: true,
          description: 'postgres: columns identifying a row; the rows are read ordered by them.',
        },
        columns: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          minItems: 1,
          uniqueItems: true,
          description: 'postgres table: the columns to read (default all).',
        },
        statement_timeout_ms: {
          type: 'integer',
          minimum: 1,
          description: 'postgres: cancel the read after this long.',
        },
      },
    },
  },
} as const;

/** `mlops data snapshot`: where snapshots of the training rows go, and the pointer committed instead. */
export const snapshotsSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    location: {
      type: 'string',
      minLength: 1,
      description: 'Folder the Parquet snapshots are written to, named by digest (never committed).',
    },
    pointer: { type: 'string', minLength: 1, description: 'The pointer file committed in place of the rows.' },
  },
} as const;

export const splitSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    train: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    validation: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    test: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
  },
} as const;

export const engineSection = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    params: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean'] } },
  },
} as const;

export const costsSection = {
  type: 'object',
  additionalProperties: false,
  required: ['false_negative', 'false_positive'],
  properties: {
    false_negative: { type: 'number', minimum: 0, description: 'Cost of approving an applicant who defaults.' },
    false_positive: { type: 'number', minimum: 0, description: 'Cost of refusing an applicant who would have repaid.' },
  },
} as const;

export const evaluationSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    overfitting_max_gap: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'Train − test ROC AUC gap above which a run is flagged as overfitting.',
    },
    risk_bands: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'max'],
        additionalProperties: false,
        properties: { name: { type: 'string' }, max: { type: 'number' } },
      },
      description: 'Risk bands by upper probability bound, lowest first.',
    },
  },
} as const;

const metricName = { type: 'string', minLength: 1 };

export const promotionSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    primary_metric: metricName,
    min_delta: { type: 'number', minimum: 0, description: 'Absolute improvement of the primary metric required.' },
    min_relative: {
      type: 'number',
      minimum: 0,
      description: 'Relative improvement of the primary metric required (0.01 = 1 %).',
    },
    golden_path: { type: ['string', 'null'], description: 'Fixed holdout CSV both models are also scored on.' },
    max_overfitting_gap: { type: ['number', 'null'], minimum: 0 },
    fairness_guardrail: {
      type: 'boolean',
      description:
        'Refuse a challenger whose decisions break the fairness bounds of the fairness section on the evaluation rows.',
    },
    guardrails: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['metric', 'max_regression'],
        properties: { metric: metricName, max_regression: { type: 'number', minimum: 0 } },
      },
    },
  },
} as const;

export const registrySection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1 },
    max_bundle_bytes: { type: 'integer', minimum: 1 },
    push_attempts: {
      type: 'integer',
      minimum: 1,
      maximum: 50,
      description: 'Push attempts in all when other writers move the branch first.',
    },
    push_backoff_ms: { type: 'integer', minimum: 0, description: 'First retry delay in ms, doubled on each retry.' },
  },
} as const;

export const ingestSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    incoming: { type: 'string', minLength: 1, description: 'Folder new CSV files are dropped into.' },
    processed: { type: 'string', minLength: 1, description: 'Folder ingested source files are moved to.' },
    quarantine: {
      type: 'string',
      minLength: 1,
      description: 'Folder rejected rows are written to, with their reasons.',
    },
    log: { type: 'string', minLength: 1, description: 'JSON-lines ingestion log.' },
    watermark: {
      type: ['string', 'null'],
      minLength: 1,
      description:
        'mlops ingest --source postgres: column whose values only grow (an application date or id); rows above the last watermark are new.',
    },
    unknown_categories: {
      enum: ['reject', 'accept'],
      description: 'What to do with a category the data set has never seen.',
    },
  },
} as const;

export const driftSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    bins: {
      type: 'integer',
      minimum: 2,
      maximum: 100,
      description: 'Quantile bins of numeric features (on the reference).',
    },
    psi_moderate: { type: 'number', exclusiveMinimum: 0 },
    psi_significant: { type: 'number', exclusiveMinimum: 0 },
    ks_alpha: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    js_threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    dataset_share: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    model_max_drop: { type: 'number', minimum: 0 },
    use_tests: { type: 'boolean' },
  },
} as const;

export const retrainSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    branch: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9._/-]+$' },
    promotion: { enum: ['pull-request', 'direct'] },
    always: { type: 'boolean' },
    report_path: { type: 'string', minLength: 1 },
  },
} as const;

/** `mlops release`: the scoring image and the overlays that follow the champion (see docs/deploy.md). */
export const releaseSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    image: {
      type: ['string', 'null'],
      minLength: 1,
      description:
        'Image repository with its registry host (e.g. ghcr.io/acme/credit-risk-gitops); --image overrides it.',
    },
    overlays: {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z0-9-]+$' },
      uniqueItems: true,
      description: 'Kustomize overlays under deploy/k8s/overlays/ whose image is pinned to the champion.',
    },
    pin: {
      enum: ['commit', 'pull-request'],
      description: 'How `mlops release pin --push` puts the pin in git: a commit on the branch, or a pull request.',
    },
    pin_branch: {
      type: 'string',
      minLength: 1,
      pattern: '^[A-Za-z0-9._/-]+$',
      description: 'Branch of the pin pull request (pin: pull-request).',
    },
  },
} as const;

/** `mlops tune`: search defaults and per-engine search spaces (see docs/tuning.md). */
export const tuneSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    trials: {
      type: 'integer',
      minimum: 0,
      maximum: 100000,
      description: 'Searched trials (trial 0, the current parameters, comes on top).',
    },
    folds: { type: 'integer', minimum: 2, maximum: 20, description: 'Stratified cross-validation folds.' },
    metric: { enum: ['roc_auc', 'expected_cost', 'pr_auc', 'log_loss'], description: 'What the search optimises.' },
    sampler: {
      enum: ['random', 'tpe'],
      description: 'random (shardable) or tpe (sequential, learns from earlier trials).',
    },
    sampling: {
      type: 'string',
      pattern: '^(none|(undersample|oversample)(:[0-9.]+)?)$',
      description: 'Resample fold training rows: none, undersample[:R], oversample[:R].',
    },
    spaces: {
      type: 'object',
      description:
        'Search space per engine name: parameter → {low, high, type?, log?} | {values: [...]} | {value} | scalar.',
      additionalProperties: { type: 'object' },
    },
  },
} as const;

/** `engine: auto` (see docs/auto.md). */
export const autoSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    budget_seconds: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 86400,
      description: 'Seconds of fitting the search may take on a two-core machine, as the engines estimate it.',
    },
    engines: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', minLength: 1 },
      description: 'Engines it chooses among.',
    },
    folds: { type: 'integer', minimum: 2, maximum: 20, description: 'Stratified cross-validation folds.' },
    metric: { enum: ['roc_auc', 'expected_cost'], description: 'What selects the winner.' },
    ensemble: {
      type: 'boolean',
      description:
        'Also score a soft-voting ensemble of the top finalists, and keep it when it beats the winner by more than one paired standard error.',
    },
  },
} as const;

export const trackingSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mlflow: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', description: 'false: never log to MLflow, even when MLFLOW_TRACKING_URI is set.' },
        tracking_uri: {
          type: ['string', 'null'],
          pattern: '^https?://',
          description: 'MLflow tracking server (http or https); MLFLOW_TRACKING_URI overrides.',
        },
        experiment: {
          type: ['string', 'null'],
          minLength: 1,
          description: 'MLflow experiment name (default: model_name); MLFLOW_EXPERIMENT_NAME overrides.',
        },
        registered_model: {
          type: ['string', 'null'],
          minLength: 1,
          description: 'MLflow registered model that mirrors the registry (default: model_name).',
        },
        timeout_ms: {
          type: 'integer',
          minimum: 100,
          maximum: 600000,
          description: 'Timeout of each request to the MLflow server.',
        },
      },
    },
  },
} as const;

export const fairnessSection = {
  type: 'object',
  additionalProperties: false,
  properties: {
    attributes: {
      type: 'array',
      description: 'Sensitive attributes whose groups are compared (see docs/reports.md).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['column'],
        properties: {
          column: {
            type: 'string',
            minLength: 1,
            description: 'Column of the data file (need not be a model feature).',
          },
          bands: {
            type: 'array',
            items: { type: 'number' },
            minItems: 1,
            uniqueItems: true,
            description: 'Cut points for a numeric column, e.g. [25, 35, 50].',
          },
        },
      },
    },
    min_disparate_impact: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'Lowest approval-rate ratio to the most-approved group (four-fifths rule: 0.8).',
    },
    min_group_size: {
      type: 'integer',
      minimum: 1,
      description: 'Groups with fewer evaluation rows are shown but not flagged.',
    },
    max_tpr_gap: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    max_fpr_gap: { type: ['number', 'null'], minimum: 0, maximum: 1 },
  },
} as const;

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'mlops.config.json',
  type: 'object',
  additionalProperties: true,
  required: ['data'],
  properties: {
    $schema: { type: 'string' },
    model_name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Name of the model in the registry.' },
    data: dataSection,
    split: splitSection,
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    engine: engineSection,
    costs: costsSection,
    evaluation: evaluationSection,
    promotion: promotionSection,
    registry: registrySection,
    runs_dir: { type: 'string', minLength: 1 },
    tracking: trackingSection,
    ingest: ingestSection,
    drift: driftSection,
    retrain: retrainSection,
    release: releaseSection,
    tune: tuneSection,
    auto: autoSection,
    fairness: fairnessSection,
    snapshots: snapshotsSection,
  },
} as const;
