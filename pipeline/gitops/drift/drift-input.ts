/**
 * `mlops drift --reference/--current` beyond files: any data source URI (a Parquet
 * file or folder, a PostgreSQL table or ordered query, a snapshot pointer) read through
 * the core's readers, or `postgres-log:TABLE`, the scoring log the service writes to a
 * table (scoring-log-postgres.ts). CSV and .jsonl files keep their own path (sources.ts).
 */
import { inputError, parseSourceUri, readSource, resolvePath, type Env, type RawTable } from '../../core/index.ts';
import type { ScoringLogLine } from './scoring-log.ts';

export type DriftInput =
  | { kind: 'rows'; table: RawTable; name: string; digest: string }
  | { kind: 'scoring-log'; lines: ScoringLogLine[]; name: string };

/** True for what readDriftInput reads; plain CSV and .jsonl paths are read by sources.ts. */
export function isDriftSourceUri(v: string): boolean {
  return /^(parquet|postgres|postgresql|snapshot|postgres-log):/i.test(v) || /\.parquet$|\.snapshot\.json$/i.test(v);
}

export async function readDriftInput(uri: string, opts: { baseDir: string; env?: Env }): Promise<DriftInput> {
  const log = /^postgres-log:(.+)$/is.exec(uri);
  if (log) {
    const table = log[1].trim();
    const { table: t } = await readSource(
      { type: 'postgres', query: `SELECT time, model, features, probability FROM ${table} ORDER BY time, model` },
      { baseDir: opts.baseDir, env: opts.env },
    );
    const [time, model, features, probability] = ['time', 'model', 'features', 'probability'].map((c) => {
      const v = t.columns.get(c)?.toArray();
      if (!v)
        throw inputError(
          `${uri}: the table has no "${c}" column (a scoring log has time, model, features, probability)`,
        );
      return v;
    });
    const lines: ScoringLogLine[] = [];
    for (let i = 0; i < t.rows; i++)
      lines.push({
        time: time[i] ?? '',
        model: model[i] ?? '',
        features: JSON.parse(features[i] ?? '{}') as ScoringLogLine['features'],
        probability: Number(probability[i]),
      });
    return { kind: 'scoring-log', lines, name: uri };
  }
  const source = parseSourceUri(uri);
  const resolved = source.type === 'postgres' ? source : { ...source, path: resolvePath(opts.baseDir, source.path) };
  const { table, record } = await readSource(resolved, { baseDir: opts.baseDir, env: opts.env });
  return { kind: 'rows', table, name: record.label, digest: record.digest };
}
