/**
 * `engine: auto` on a benchmark data set, through the real training path: the fixed split's
 * train.csv is split 80/20 into training and validation rows (selection by cross-validation
 * on the training rows, threshold on the validation rows), test.csv is the holdout. The
 * synthetic sets are written once as CSV into .bench-cache/ for it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveConfig } from '../pipeline/core/config/load.ts';
import { ENSEMBLE_ENGINE } from '../pipeline/core/engines/names.ts';
import { train } from '../pipeline/core/training/train.ts';
import { syntheticCredit } from './synthetic.ts';

const ROOT = join(import.meta.dirname, '..');

function syntheticCsv(rows: number, seed: number): string {
  const dir = join(ROOT, '.bench-cache');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `synthetic-${rows}-${seed}.csv`);
  if (!existsSync(file)) {
    const { X, y } = syntheticCredit(rows, seed);
    const lines = [[...X.names, 'default'].join(',')];
    for (let i = 0; i < rows; i++) lines.push([...X.columns.map((c) => String(c[i])), y[i] ? 'yes' : 'no'].join(','));
    writeFileSync(file, lines.join('\n') + '\n');
  }
  return file;
}

function files(dataset: string): { train: string; test: string; target: string; positive: string } {
  const syn = /^synthetic-(\d+)$/.exec(dataset);
  if (syn) {
    const n = Number(syn[1]);
    return {
      train: syntheticCsv(n, 1),
      test: syntheticCsv(Math.min(50_000, Math.max(5_000, n / 4)), 2),
      target: 'default',
      positive: 'yes',
    };
  }
  return {
    train: join(ROOT, 'data', dataset, 'train.csv'),
    test: join(ROOT, 'data', dataset, 'test.csv'),
    target: dataset === 'credit_data' ? 'Status' : 'Class',
    positive: 'bad',
  };
}

export interface AutoCaseResult {
  /** Training rows (cross-validated and refitted on). */
  rows: number;
  seconds: number;
  select_s: number;
  auc: number;
  winner: string;
  cv: string;
  planned_s: number;
  candidates: number;
  /** With `auto.ensemble`: kept or refused, and its CV lead over the single winner with the paired standard error. */
  ensemble: string;
}

/** Trains `engine` (a named engine, or `auto` over `engines`) on the data set's fixed split. */
export async function autoCase(
  dataset: string,
  engine: string,
  opts: { budget?: number; engines?: string[]; seed?: number; ensemble?: boolean } = {},
): Promise<AutoCaseResult> {
  const f = files(dataset);
  const config = resolveConfig({
    data: { path: f.train, test_path: f.test, target: f.target, positive: f.positive },
    split: { train: 0.8, validation: 0.2, test: 0 },
    seed: opts.seed ?? 42,
    engine: { name: engine },
    auto: {
      ...(opts.budget ? { budget_seconds: opts.budget } : {}),
      ...(opts.engines ? { engines: opts.engines } : {}),
      ...(opts.ensemble ? { ensemble: true } : {}),
    },
  });
  const t0 = performance.now();
  const r = await train({ config, baseDir: ROOT });
  const s = r.bundle.selection;
  const w = s?.leaderboard.find((e) => e.outcome === 'winner');
  return {
    rows: r.metrics.rows.train,
    seconds: (performance.now() - t0) / 1000,
    select_s: r.metrics.timings.select_s ?? 0,
    auc: r.metrics.test.roc_auc ?? NaN,
    winner: s ? s.winner : engine,
    cv: w ? `${w.mean!.toFixed(4)} ± ${w.sd!.toFixed(4)}` : '',
    planned_s: s?.planned_seconds ?? 0,
    candidates: s?.leaderboard.filter((e) => e.engine !== ENSEMBLE_ENGINE).length ?? 1,
    ensemble: s?.ensemble
      ? `${s.ensemble.kept ? 'kept' : 'refused'}: ${s.ensemble.gap! >= 0 ? '+' : ''}${s.ensemble.gap!.toFixed(4)} (se ${s.ensemble.se!.toFixed(4)})`
      : '',
  };
}
