/**
 * `mlops ingest --source postgres`: the rows a database gained since the last
 * watermark (a column whose values only grow, such as an application id or date) join
 * the pinned snapshot of the training rows. Each row is checked exactly as a row of an
 * incoming CSV is (pipeline/gitops/ingest/rows.ts): accepted, rejected to the quarantine
 * folder with its reasons, or counted as a duplicate. The accepted rows and the
 * snapshot's rows become a new snapshot; the pointer, which records the new watermark,
 * is the commit point, so a second run reads nothing new and changes nothing, and a run
 * that dies before the pointer is written is simply done again.
 */
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import {
  MlopsError,
  RawColumn,
  configError,
  dataSourceOf,
  inferSchema,
  readPointer,
  readSource,
  resolvePath,
  rowsDigest,
  writeFileAtomic,
  type Env,
  type MlopsConfig,
  type RawTable,
} from '../../core/index.ts';
import { snapshotData } from '../data/snapshot.ts';
import { appendIngestionLog, type IngestionLogEntry } from './log.ts';
import { mapColumns, rowKey, rowProblems, type RowRules } from './rows.ts';

export interface WatermarkIngestResult {
  source: string;
  watermark: { column: string; before: string | null; after: string | null };
  pointer: string;
  version_before: string;
  version_after: string;
  rows_before: number;
  rows_after: number;
  /** Null when the database had no new rows (nothing was written). */
  entry: IngestionLogEntry | null;
}

/** Greater-than for watermark values: numbers as numbers, anything else (ISO dates) as text. */
function later(a: string, b: string): boolean {
  const x = Number(a);
  const y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) ? x > y : a > b;
}

function maxOf(values: readonly (string | null)[], start: string | null): string | null {
  let m = start;
  for (const v of values) if (v !== null && (m === null || later(v, m))) m = v;
  return m;
}

export async function ingestFromDatabase(opts: {
  config: MlopsConfig;
  baseDir: string;
  env?: Env;
  now?: () => Date;
}): Promise<WatermarkIngestResult> {
  const { config, baseDir } = opts;
  const source = dataSourceOf(config);
  if (source.type !== 'postgres')
    throw configError(
      `mlops ingest --source postgres: data.source must be a postgres table or query (it is ${source.type})`,
    );
  const column = config.ingest.watermark;
  if (!column)
    throw configError(
      'mlops ingest --source postgres: set ingest.watermark to a column whose values only grow (an application id or date)',
    );
  const pointerFile = resolvePath(baseDir, config.snapshots.pointer);
  const pointer = readPointer(pointerFile);
  const base = await readSource({ type: 'snapshot', path: pointerFile }, { baseDir });
  const header = base.table.header;
  if (!base.table.columns.has(column))
    throw configError(
      `ingest.watermark: column "${column}" is not among the snapshot's columns (${header.join(', ')}); read it from the source`,
    );
  const before =
    pointer.watermark?.column === column
      ? pointer.watermark.value
      : maxOf(base.table.columns.get(column)!.toArray(), null);
  const fresh = await readSource(source, {
    baseDir,
    env: opts.env,
    after: { column, value: before },
    allowEmpty: true,
  });
  const result: WatermarkIngestResult = {
    source: fresh.record.label,
    watermark: { column, before, after: before },
    pointer: config.snapshots.pointer,
    version_before: pointer.digest,
    version_after: pointer.digest,
    rows_before: base.table.rows,
    rows_after: base.table.rows,
    entry: null,
  };
  if (fresh.table.rows === 0) return result;

  const schema = inferSchema(base.table, config.data);
  const numeric = new Set(schema.features.filter((f) => f.kind === 'numeric').map((f) => f.name));
  const idColumns = config.data.id_columns;
  const rules: RowRules = {
    schema,
    dataHeader: header,
    idColumns,
    unknownCategories: config.ingest.unknown_categories,
  };
  const map = mapColumns(header, fresh.table.header);
  if (map.missing.length > 0)
    throw new MlopsError(
      'input',
      `${fresh.record.label}: the source no longer returns column${map.missing.length > 1 ? 's' : ''} ${map.missing.join(', ')} of the snapshot; nothing was ingested`,
    );
  const rowValues = (t: RawTable, cols: (string | null)[][], r: number): string[] => cols.map((c) => c[r] ?? '');
  const baseCols = header.map((h) => base.table.columns.get(h)!.toArray());
  const seen = new Set<string>();
  for (let r = 0; r < base.table.rows; r++)
    seen.add(rowKey(rowValues(base.table, baseCols, r), header, numeric, idColumns));
  const freshCols = map.index.map((i) => fresh.table.columns.get(fresh.table.header[i])!.toArray());
  const accepted: number[] = [];
  const rejected: { row: number; reason: string; fields: string[] }[] = [];
  const reasons: Record<string, number> = {};
  let dupData = 0;
  let dupBatch = 0;
  const batch = new Set<string>();
  for (let r = 0; r < fresh.table.rows; r++) {
    const values = rowValues(fresh.table, freshCols, r);
    const problems = rowProblems(values, rules);
    if (problems.length > 0) {
      for (const p of problems) reasons[p.kind] = (reasons[p.kind] ?? 0) + 1;
      rejected.push({ row: r + 1, reason: problems.map((p) => p.message).join('; '), fields: values });
      continue;
    }
    const key = rowKey(values, header, numeric, idColumns);
    if (batch.has(key)) dupBatch++;
    else if (seen.has(key)) dupData++;
    else accepted.push(r);
    batch.add(key);
  }
  const after = maxOf(fresh.table.columns.get(column)!.toArray(), before)!;
  const time = (opts.now ?? (() => new Date()))();
  const tag = `${time.toISOString().replace(/[-:.]/g, '')}`;
  let quarantineFile: string | null = null;
  if (rejected.length > 0) {
    const q = join(
      resolvePath(baseDir, config.ingest.quarantine),
      `${fresh.record.label.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60)}.${tag}.rejected.csv`,
    );
    writeFileAtomic(
      q,
      stringify([['_row', '_reason', ...header], ...rejected.map((x) => [String(x.row), x.reason, ...x.fields])]),
    );
    quarantineFile = q;
  }
  const combined: RawTable = {
    file: fresh.record.label,
    header,
    rows: base.table.rows + accepted.length,
    columns: new Map(
      header.map((h, c) => [h, RawColumn.from(baseCols[c].concat(accepted.map((r) => freshCols[c][r])))]),
    ),
    lines: Uint32Array.from({ length: base.table.rows + accepted.length }, (_, i) => i + 1),
  };
  const snap = await snapshotData({
    config,
    baseDir,
    read: { table: combined, record: { ...fresh.record, digest: rowsDigest(combined), rows: combined.rows } },
    now: opts.now,
    watermark: { column, value: after },
  });
  const entry: IngestionLogEntry = {
    time: time.toISOString(),
    file: fresh.record.label,
    sha256: fresh.record.digest,
    status: 'ingested',
    rows_read: fresh.table.rows,
    accepted: accepted.length,
    rejected: rejected.length,
    duplicates: dupData + dupBatch,
    duplicates_of_data: dupData,
    duplicates_in_file: dupBatch,
    reasons,
    ignored_columns: map.ignored,
    data: {
      path: config.snapshots.pointer,
      version_before: pointer.digest,
      version_after: snap.pointer.digest,
      rows_before: base.table.rows,
      rows_after: combined.rows,
    },
    processed_to: null,
    quarantine_file: quarantineFile,
    watermark: { column, before, after },
  };
  appendIngestionLog(resolvePath(baseDir, config.ingest.log), entry);
  return {
    ...result,
    watermark: { column, before, after },
    version_after: snap.pointer.digest,
    rows_after: combined.rows,
    entry,
  };
}
