/**
 * The runs file: JSON lines, the plan first, then one line per finished trial. Each
 * line goes out in a single append, so a crash leaves whole lines behind and a reader
 * can use every trial finished so far. Shard files share the plan (bar the shard) and
 * are combined by `merge.ts`.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { inputError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs-atomic.ts';
import type { ParamValues } from '../engines/params.ts';
import type { SearchSpace } from '../engines/engine.ts';
import type { TuneMetric } from './cv.ts';

export const TUNE_FORMAT = 'credit-risk-gitops/tune';

export interface TunePlan {
  type: 'plan';
  format: typeof TUNE_FORMAT;
  format_version: 1;
  engine: string;
  metric: TuneMetric;
  /** True when larger metric values are better. */
  higher_is_better: boolean;
  folds: number;
  /** Trials 0..trials: trial 0 is the baseline (the config's parameters), 1..trials are searched. */
  trials: number;
  seed: number;
  sampler: 'random' | 'tpe';
  sampling: string;
  space: SearchSpace;
  baseline_params: ParamValues;
  /** The searched parameters as the baseline resolves them (config values over engine defaults). */
  engine_defaults: ParamValues;
  costs: { false_negative: number; false_positive: number };
  data: { path: string; sha256: string; rows: number; positive_rate: number };
  /** This file's shard: trials t with t mod count = index − 1. */
  shard: { index: number; count: number };
}

export interface TrialRecord {
  type: 'trial';
  trial: number;
  baseline: boolean;
  params: ParamValues;
  fold_scores: (number | null)[];
  thresholds?: number[];
  mean: number | null;
  sd: number | null;
  /** Why the engine refused this parameter set; the trial then has no score. */
  error?: string;
  /** Wall-clock seconds; the one field that differs between identical runs. */
  seconds: number;
}

export function startRunsFile(path: string, plan: TunePlan): void {
  writeFileAtomic(path, JSON.stringify(plan) + '\n');
}

export function appendTrial(path: string, rec: TrialRecord): void {
  // One write per line: O_APPEND keeps concurrent or interrupted writers from interleaving lines.
  appendFileSync(path, JSON.stringify(rec) + '\n');
}

export interface RunsFile {
  file: string;
  plan: TunePlan;
  trials: TrialRecord[];
}

/**
 * The JSON records of a runs file with their line numbers. A last line without its newline
 * is a write cut short: it is left out, like a crashed append.
 */
export function readRecordLines(path: string): { line: number; rec: { type?: unknown } }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw inputError(
      `${path}: cannot read the runs file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const lines = text.split('\n');
  const out: { line: number; rec: { type?: unknown } }[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '' || i === lines.length - 1) return;
    try {
      out.push({ line: i + 1, rec: JSON.parse(line) as { type?: unknown } });
    } catch (e) {
      throw inputError(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
  });
  return out;
}

export function readRunsFile(path: string): RunsFile {
  let plan: TunePlan | null = null;
  const trials: TrialRecord[] = [];
  for (const { line, rec } of readRecordLines(path)) {
    if (rec.type === 'plan') {
      if (plan) throw inputError(`${path}:${line}: a second plan line`);
      const p = rec as TunePlan;
      if (p.format !== TUNE_FORMAT || p.format_version !== 1)
        throw inputError(
          `${path}:${line}: not a tuning runs file (format ${JSON.stringify(p.format)} v${p.format_version})`,
        );
      plan = p;
    } else if (rec.type === 'trial') {
      if (!plan) throw inputError(`${path}:${line}: a trial before the plan line`);
      trials.push(rec as TrialRecord);
    } else throw inputError(`${path}:${line}: unknown record type ${JSON.stringify(rec.type)}`);
  }
  if (!plan) throw inputError(`${path}: no plan line; is this a runs file written by "mlops tune"?`);
  return { file: path, plan, trials };
}
