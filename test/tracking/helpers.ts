/** Small projects and hand-made run records for the tracking tests. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { writeJsonAtomic } from '../../pipeline/core/common/fs-atomic.ts';

// Tests must never log to a real server picked up from the environment.
for (const k of Object.keys(process.env)) if (k.startsWith('MLFLOW_')) delete process.env[k];

/**
 * A temporary project: the first `rows` rows of the embedded credit data (enough for a
 * stable stratified split, small enough to train the logistic engine in well under a
 * second) and a config using them.
 */
export function smallProject(rows = 1200, extraConfig: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-tracking-'));
  mkdirSync(join(dir, 'data'));
  const lines = readFileSync(join(ROOT, 'data', 'credit_data.csv'), 'utf8').split('\n');
  writeFileSync(join(dir, 'data', 'credit.csv'), lines.slice(0, rows + 1).join('\n') + '\n');
  writeFileSync(
    join(dir, 'mlops.config.json'),
    JSON.stringify(
      {
        model_name: 'credit-default',
        data: { path: 'data/credit.csv', target: 'Status', positive: 'bad' },
        engine: { name: 'logistic', params: {} },
        ...extraConfig,
      },
      null,
      2,
    ),
  );
  return dir;
}

export interface FakeRun {
  id: string;
  created_at: string;
  engine?: string;
  params: Record<string, number | string | boolean>;
  seed?: number;
  metrics: Record<string, number>;
  dataSha?: string;
  commit?: string | null;
  fit_s?: number;
}

const METRIC_KEYS = [
  'roc_auc',
  'pr_auc',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'brier',
  'log_loss',
  'ks',
  'gini',
  'threshold',
  'expected_cost',
];

/** Writes a run folder with run.json and metrics.json as `mlops train` would. */
export function writeFakeRun(runsDir: string, r: FakeRun): string {
  const dir = join(runsDir, r.id);
  const split = (shift: number): Record<string, unknown> => {
    const out: Record<string, unknown> = { confusion_matrix: { tp: 1, fp: 1, tn: 1, fn: 1 } };
    for (const k of METRIC_KEYS) out[k] = Object.hasOwn(r.metrics, k) ? r.metrics[k] + shift : 0.5;
    return out;
  };
  const timings = {
    load_s: 0.1,
    preprocess_s: 0.1,
    fit_s: r.fit_s ?? 1,
    evaluate_s: 0.1,
    total_s: 1.5,
    score_us_per_row: 1,
  };
  writeJsonAtomic(join(dir, 'metrics.json'), {
    test: split(0),
    validation: split(0.01),
    train: split(0.02),
    overfitting: { metric: 'roc_auc', gap: 0.02, max_gap: 0.1, flagged: false, gaps: {} },
    timings,
    rows: { train: 600, validation: 200, test: 200, positive_rate: { train: 0.28, validation: 0.28, test: 0.28 } },
  });
  writeJsonAtomic(join(dir, 'run.json'), {
    id: r.id,
    created_at: r.created_at,
    command: 'train',
    model: {
      name: 'credit-default',
      digest: `sha256:${r.id.slice(-8).padEnd(64, '0')}`,
      engine: r.engine ?? 'gbdt',
      params: r.params,
    },
    seed: r.seed ?? 42,
    data: { path: 'data/credit_data.csv', sha256: r.dataSha ?? 'a'.repeat(64), rows: 4454 },
    test_data: null,
    git: { commit: r.commit === undefined ? 'c0ffee1234567890' : r.commit, dirty: false },
    threshold: r.metrics.threshold ?? 0.5,
    headline: {
      roc_auc: r.metrics.roc_auc,
      pr_auc: r.metrics.pr_auc,
      expected_cost: r.metrics.expected_cost,
      brier: r.metrics.brier,
    },
    timings,
    files: ['model.json', 'metrics.json', 'run.json', 'report.md'],
  });
  return dir;
}
