/**
 * Is the data a run was trained on still what its source returns? Re-reads the
 * recorded source and compares the rows' digest; when it differs, counts the rows
 * added, removed and changed against the snapshot of the recorded rows (matched by the
 * source's key), and names the columns whose type changed.
 */
import { existsSync } from 'node:fs';
import {
  diffRows,
  readSource,
  type Env,
  type MlopsConfig,
  type RowsChange,
  type SourceRead,
  type SourceRecord,
} from '../../core/index.ts';
import { snapshotFile } from './snapshot.ts';

export interface DataCheck {
  same: boolean;
  recorded: { digest: string; rows: number };
  current: { digest: string; rows: number };
  /** Row counts against the recorded rows' snapshot; null when no snapshot of them is kept. */
  change: RowsChange | null;
  /** `column: old type → new type`, and columns that appeared or went. */
  columns: string[];
  summary: string;
  /** The rows just read (training can use them instead of reading again). */
  read: SourceRead;
}

export async function checkRecordedData(
  recorded: SourceRecord,
  opts: { config: MlopsConfig; baseDir: string; env?: Env },
): Promise<DataCheck> {
  const read = await readSource(recorded.source, { baseDir: opts.baseDir, env: opts.env });
  const now = read.record;
  // A registry version records no column types (only runs do): then there is nothing to compare.
  const columns = recorded.columns.length > 0 ? columnChanges(recorded.columns, now.columns) : [];
  const base = {
    recorded: { digest: recorded.digest, rows: recorded.rows },
    current: { digest: now.digest, rows: now.rows },
    columns,
    read,
  };
  if (now.digest === recorded.digest)
    return {
      ...base,
      same: true,
      change: null,
      summary: `data unchanged: ${recorded.label} returns the same ${now.rows} rows (digest ${now.digest.slice(0, 12)}…)`,
    };
  const snap = snapshotFile(opts.config, opts.baseDir, recorded.digest);
  let change: RowsChange | null = null;
  if (existsSync(snap)) {
    const before = await readSource({ type: 'parquet', path: snap }, { baseDir: opts.baseDir });
    const key = recorded.source.type === 'postgres' ? (recorded.source.key ?? null) : null;
    change = diffRows(before.table, read.table, key);
  }
  const parts = [`${recorded.rows} → ${now.rows} rows`];
  if (change) {
    parts.push(
      `${change.added} added, ${change.removed} removed, ${change.changed} changed${change.matched_by ? ` (rows matched by ${change.matched_by.join(', ')})` : ' (no key among the columns read: a changed row counts as removed + added)'}`,
    );
  } else
    parts.push(
      `no snapshot of the recorded rows in ${opts.config.snapshots.location}/ to count added, removed and changed rows ("mlops data snapshot" keeps one)`,
    );
  if (columns.length) parts.push(`columns: ${columns.join('; ')}`);
  return {
    ...base,
    same: false,
    change,
    summary: `data changed: ${recorded.label} now returns rows with digest ${now.digest.slice(0, 12)}…, the run read ${recorded.digest.slice(0, 12)}…; ${parts.join('; ')}`,
  };
}

function columnChanges(before: { name: string; type: string }[], after: { name: string; type: string }[]): string[] {
  const was = new Map(before.map((c) => [c.name, c.type]));
  const is = new Map(after.map((c) => [c.name, c.type]));
  const out: string[] = [];
  for (const [name, type] of is) {
    const old = was.get(name);
    if (old === undefined) out.push(`${name} added (${type})`);
    else if (old !== type) out.push(`${name}: ${old} → ${type}`);
  }
  for (const name of was.keys()) if (!is.has(name)) out.push(`${name} removed`);
  return out;
}
