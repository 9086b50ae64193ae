/**
 * The labelled applicants a face shows beside a model (the dashboard's sample clients):
 * by default the test rows the model was evaluated on, rebuilt from its provenance by
 * the one evaluation-rows module, so they are rows it did not train on; or a given CSV,
 * whose rows are checked against the model's training rows and counted when it saw them,
 * so that figures on them are never mistaken for an out-of-sample measure.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Bundle, type RawTable, MlopsError, isMlopsError, readCsvFile } from '../../core/index.ts';
import { encodingOf, evaluationRows, trainingRows, type EvaluationRowsOptions } from './evaluation-rows.ts';
import { lineageDataRecord, projectDataRecord, runDataRecord, type DataRecord } from './data-record.ts';
import { readRunRecord } from './run-folder.ts';
import { loadRegistry } from '../registry/store.ts';

export interface SampleRows {
  /** The CSV the rows come from. */
  file: string;
  table: RawTable;
  /** Row numbers (0-based, excluding the header) of the sample in `table`. */
  index: Uint32Array;
  /** What the rows are, for people. */
  source: string;
  /** How many of the rows the model trained on (0 for its own test rows); null when that cannot be checked. */
  seen_in_training: number | null;
  /** Why `seen_in_training` is null. */
  unchecked_reason: string | null;
}

/**
 * The model's test rows, or the rows of `file` checked against its training rows. Without a
 * record of where its rows were read from, the project's configured data is used when its
 * rows have the digest the bundle pins.
 */
export function sampleRows(
  bundle: Bundle,
  opts: Omit<EvaluationRowsOptions, 'record'> & {
    record?: EvaluationRowsOptions['record'];
    /** The bundle's file: a run folder's run.json or a registry version's lineage beside it says where its rows are. */
    bundlePath?: string;
    file?: string | null;
  },
): SampleRows {
  const record =
    opts.record ??
    (opts.bundlePath ? recordBeside(bundle, opts.bundlePath) : null) ??
    projectDataRecord(bundle, opts.baseDir);
  if (!opts.file) {
    const rows = evaluationRows(bundle, { record, baseDir: opts.baseDir, alsoIn: opts.alsoIn });
    return {
      file: rows.file,
      table: rows.table,
      index: rows.index,
      source: `${rows.source}, which the model did not train on`,
      seen_in_training: 0,
      unchecked_reason: null,
    };
  }
  // Read as the model's training data was (its encoding), under the same CSV contract.
  const table = readCsvFile(opts.file, { encoding: encodingOf(bundle) });
  const index = Uint32Array.from({ length: table.rows }, (_, i) => i);
  let seen: number | null = null;
  let reason: string | null = null;
  try {
    seen = countSeen(bundle, table, trainingRows(bundle, { record, baseDir: opts.baseDir, alsoIn: opts.alsoIn }));
  } catch (e) {
    if (!isMlopsError(e)) throw e;
    reason = e.message;
  }
  const source = `all ${table.rows} rows of ${opts.file}`;
  return { file: opts.file, table, index, source, seen_in_training: seen, unchecked_reason: reason };
}

/**
 * Rows of `table` equal, in every feature (and the target), to a training row. Values are
 * compared as the model reads them (numbers as numbers: "1.50" is 1.5), so a file that
 * re-formats the same rows is still recognised.
 */
function countSeen(bundle: Bundle, table: RawTable, training: { table: RawTable; index: Uint32Array }): number {
  const { schema } = bundle;
  const numeric = new Set(schema.features.filter((f) => f.kind === 'numeric').map((f) => f.name));
  // The target too when the sample has it (a sample without labels is matched on the features).
  const columns = [...schema.features.map((f) => f.name), ...(table.columns.has(schema.target) ? [schema.target] : [])];
  const keyOf = (t: RawTable): ((i: number) => string) => {
    const cols = columns.map((c) => {
      const v = t.columns.get(c);
      if (!v) throw new MlopsError('input', `${t.file}: no column "${c}" of the model`);
      return { numeric: numeric.has(c), v };
    });
    return (i) =>
      cols
        .map(({ numeric: n, v }) => {
          const x = v.get(i) ?? '';
          return n && x !== '' && Number.isFinite(Number(x)) ? String(Number(x)) : x;
        })
        .join('\u001f');
  };
  const trainKey = keyOf(training.table);
  const seen = new Set<string>();
  for (const i of training.index) seen.add(trainKey(i));
  const key = keyOf(table);
  let n = 0;
  for (let i = 0; i < table.rows; i++) if (seen.has(key(i))) n++;
  return n;
}

/**
 * The record kept beside a bundle file: run.json in its run folder, or its version's
 * lineage when it is a registry version (`<registry>/<name>/v<N>/`); null when neither
 * holds this bundle.
 */
function recordBeside(bundle: Bundle, bundlePath: string): DataRecord | null {
  const dir = dirname(bundlePath);
  if (existsSync(join(dir, 'run.json'))) {
    const run = readRunRecord(dir);
    if (run.model?.digest === bundle.digest) return runDataRecord(run);
  }
  const registry = dirname(dirname(dir));
  if (existsSync(join(registry, 'registry.json'))) {
    for (const model of Object.values(loadRegistry(registry).models))
      for (const v of model.versions) if (v.digest === bundle.digest) return lineageDataRecord(v.lineage);
  }
  return null;
}
