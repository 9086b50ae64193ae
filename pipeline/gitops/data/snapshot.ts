/**
 * Snapshots pin training rows the way DVC does: the rows go to a Parquet file named by
 * their digest in the snapshot store (`snapshots.location`, never committed), and the
 * repository gets only a small pointer file (path, digest, rows, column types, where the
 * rows came from). Training from the pointer re-checks the digest first
 * (pipeline/core/data/read-source.ts), so a replaced or edited snapshot is refused.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  MlopsError,
  SNAPSHOT_FORMAT,
  dataSourceOf,
  readSource,
  resolvePath,
  writeJsonAtomic,
  writeParquet,
  type DataSource,
  type Env,
  type MlopsConfig,
  type SnapshotPointer,
  type SourceRead,
} from '../../core/index.ts';

export interface SnapshotOptions {
  config: MlopsConfig;
  baseDir: string;
  /** Rows to snapshot instead of reading the configured source (e.g. just ingested). */
  read?: SourceRead;
  /** A source to read instead of the configured one. */
  source?: DataSource;
  env?: Env;
  now?: () => Date;
  /** Recorded in the pointer by watermark ingestion. */
  watermark?: SnapshotPointer['watermark'];
}

export interface SnapshotResult {
  pointerFile: string;
  pointer: SnapshotPointer;
  /** The Parquet file in the snapshot store. */
  file: string;
  /** False when the store already held these rows (same digest). */
  written: boolean;
}

/** The store's file for rows with this digest. */
export function snapshotFile(config: MlopsConfig, baseDir: string, digest: string): string {
  const location = config.snapshots.location;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location))
    throw new MlopsError(
      'config',
      `snapshots.location ${location}: only a local folder is supported as a snapshot store here; mount the bucket (e.g. s3fs, gcsfuse) and name the folder`,
    );
  return join(resolvePath(baseDir, location), `${digest}.parquet`);
}

export async function snapshotData(opts: SnapshotOptions): Promise<SnapshotResult> {
  const { config, baseDir } = opts;
  const read =
    opts.read ?? (await readSource(opts.source ?? dataSourceOf(config), { baseDir, env: opts.env }));
  const { record } = read;
  const file = snapshotFile(config, baseDir, record.digest);
  let written = false;
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeParquet(tmp, read.table);
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    written = true;
  }
  const pointerFile = resolvePath(baseDir, config.snapshots.pointer);
  const rel = relative(dirname(pointerFile), file);
  const pointer: SnapshotPointer = {
    format: SNAPSHOT_FORMAT,
    format_version: 1,
    path: isAbsolute(rel) ? rel : rel.split(sep).join('/'),
    digest: record.digest,
    rows: record.rows,
    columns: record.columns,
    source: record.label,
    order: record.order,
    created_at: (opts.now ?? (() => new Date()))().toISOString(),
    ...(opts.watermark ? { watermark: opts.watermark } : {}),
  };
  writeJsonAtomic(pointerFile, pointer);
  return { pointerFile, pointer, file, written };
}
