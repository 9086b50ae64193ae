/** Messages between `tune --jobs N` and its trial worker threads. */
import type { ParamValues } from '../engines/params.ts';
import type { Costs } from '../evaluation/metrics.ts';
import type { FoldData, TuneMetric } from './cv.ts';

export interface WorkerInit {
  type: 'init';
  engine: string;
  metric: TuneMetric;
  costs: Costs;
  seed: number;
  folds: FoldData[];
}

export interface TrialRequest {
  type: 'trial';
  trial: number;
  params: ParamValues;
}

export type TrialResponse =
  | { type: 'result'; trial: number; scores: number[]; thresholds?: number[]; error?: undefined }
  /** `userError`: the engine refused the parameters (an MlopsError), a result like any other. */
  | { type: 'result'; trial: number; error: string; userError: boolean };
