/**
 * A challenger: a trained bundle with its metrics and the run that made it, read from a
 * run folder (`model.json`, `metrics.json`, `run.json`) or taken from memory right after
 * training.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  readBundle,
  type Bundle,
  type DataLocationConfig,
  legacyDataRefs,
  MlopsError,
  type MetricsFile,
} from '../../core/index.ts';
import { readMetricsFile, readRunRecord, trainedAt, type RunRecord } from '../run/run-folder.ts';
import { runDataRecord, type DataRecord } from '../run/data-record.ts';

export interface Challenger {
  /** The run folder it was read from, if any. */
  dir: string | null;
  bundle: Bundle;
  metrics: MetricsFile;
  run: { id: string; created_at: string; trained_at: string; command: string } | null;
  /** Where its rows were read from (run.json; a version-1 bundle's own record). */
  record: DataRecord;
  /** The config's data path, holdout and source it was trained with (run.json; null in older runs). */
  dataLocation: DataLocationConfig | null;
}

export function loadChallenger(dir: string): Challenger {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new MlopsError('input', `run folder not found: ${dir}`);
  if (!existsSync(join(abs, 'model.json')))
    throw new MlopsError(
      'input',
      `${dir} is not a run folder (no model.json); pass the folder "mlops train" or "mlops run" wrote`,
    );
  const bundle = readBundle(join(abs, 'model.json'));
  const metrics = readMetricsFile(abs);
  let run: Challenger['run'] = null;
  let record: DataRecord | null = legacyDataRefs(bundle);
  let dataLocation: DataLocationConfig | null = null;
  if (existsSync(join(abs, 'run.json'))) {
    const r: RunRecord = readRunRecord(abs);
    if (r.model?.digest && r.model.digest !== bundle.digest) {
      throw new MlopsError(
        'integrity',
        `${join(abs, 'run.json')}: records model ${r.model.digest} but model.json is ${bundle.digest}; the run folder was mixed up`,
      );
    }
    run = { id: r.id, created_at: r.created_at, trained_at: trainedAt(r), command: r.command };
    record = runDataRecord(r);
    dataLocation = r.data_location ?? null;
  }
  if (!record)
    throw new MlopsError(
      'input',
      `${dir} has no run.json: the bundle pins its rows by digest only, and run.json says where they were read from; pass the whole folder "mlops train" or "mlops run" wrote`,
    );
  return { dir: abs, bundle, metrics, run, record, dataLocation };
}
