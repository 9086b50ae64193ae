/**
 * `mlops ingest`: new CSV files in the incoming folder become a new version of the
 * training data set. The data set stays the configured CSV (so `mlops run` and every
 * reviewer see the current version at `data.path`, and git keeps the old ones); its
 * version is the sha256 of its bytes, which the model bundle's provenance records too.
 *
 * One file is one transaction, made crash-safe with a small journal:
 *   1. quarantine file written (atomic, deterministic name — redoing it is harmless)
 *   2. the new data set staged in a temporary file beside the data set
 *   3. journal written: the log entry with version before/after
 *   4. staged file renamed over the data set  ← the commit point
 *   5. log entry appended (atomic rewrite)
 *   6. source moved to the processed (or quarantine) folder
 *   7. journal removed
 * On the next run a journal is rolled forward when the data set has the "after"
 * version, rolled back when it still has the "before" version, and reported otherwise.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import {
  readCsvFile,
  removeStaleTemps,
  type CsvTable,
  inferSchema,
  sha256File,
  sha256Hex,
  writeAppendedCopyAtomic,
  writeFileAtomic,
  writeJsonAtomic,
  MlopsError,
  resolvePath,
  type MlopsConfig,
  type ProgressCallbacks,
  PROGRESS_EVERY,
} from '../../core/index.ts';
import { appendIngestionLog, readIngestionLog, type IngestionLogEntry } from './log.ts';
import { mapColumns, normalizeField, parseIncoming, rowKey, rowProblems, type RowRules } from './rows.ts';

/** Durable steps of one file's transaction; the test hook may throw after any of them. */
export type IngestStep =
  'quarantine-written' | 'data-staged' | 'journal-written' | 'data-committed' | 'log-appended' | 'source-moved';

export interface IngestOptions extends ProgressCallbacks {
  config: MlopsConfig;
  baseDir: string;
  now?: () => Date;
  /** Called after each durable step; throwing here simulates a crash at that point. */
  fault?: (step: IngestStep, file: string) => void;
}

export interface FileOutcome {
  file: string;
  sha256: string;
  status: 'ingested' | 'unreadable' | 'already-ingested';
  entry: IngestionLogEntry;
}

export interface IngestResult {
  data_path: string;
  version_before: string;
  version_after: string;
  rows_before: number;
  rows_after: number;
  files: FileOutcome[];
  /** What recovery did with a transaction a crash interrupted, if there was one. */
  recovered: string | null;
}

interface Journal {
  source: string;
  staged: string | null;
  entry: IngestionLogEntry;
}

interface Paths {
  base: string;
  data: string;
  incoming: string;
  processed: string;
  quarantine: string;
  log: string;
  journal: string;
}

export function ingestPaths(config: MlopsConfig, baseDir: string): Paths {
  const log = resolvePath(baseDir, config.ingest.log);
  return {
    base: baseDir,
    data: resolvePath(baseDir, config.data.path),
    incoming: resolvePath(baseDir, config.ingest.incoming),
    processed: resolvePath(baseDir, config.ingest.processed),
    quarantine: resolvePath(baseDir, config.ingest.quarantine),
    log,
    journal: join(dirname(log), '.ingest-journal.json'),
  };
}

/** The data-set version: sha256 of the data file's bytes. */
export function dataVersion(path: string): string {
  if (!existsSync(path)) throw new MlopsError('input', `data file not found: ${path}`);
  return sha256File(path);
}

/** CSV files waiting in the incoming folder, in name order (the order they are ingested). */
export function pendingFiles(config: MlopsConfig, baseDir: string): string[] {
  const dir = ingestPaths(config, baseDir).incoming;
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.csv$/i.test(e.name) && !e.name.startsWith('.'))
    .map((e) => join(dir, e.name))
    .sort();
}

export function ingest(opts: IngestOptions): IngestResult {
  const { config } = opts;
  const paths = ingestPaths(config, opts.baseDir);
  const now = opts.now ?? (() => new Date());
  const fault = opts.fault ?? (() => undefined);
  const recovered = recover(paths);
  const csv = { encoding: config.data.encoding, onProgress: opts.onProgress };
  const read = (): CsvTable => {
    opts.onStage?.(`reading ${config.data.path}`);
    return readCsvFile(paths.data, csv);
  };
  // The data set is parsed once, and again only after a file changed it. The table is
  // handed over, not kept, so it is garbage before the new version is staged: at millions
  // of rows, holding it beside the next version is what would take the memory.
  let table: CsvTable | null = read();
  const before: DataState = { sha256: table.sha256, rows: table.rows };
  let current = before;
  const take = (): CsvTable => {
    const t = table?.sha256 === current.sha256 ? table : read();
    table = null;
    return t;
  };
  const files: FileOutcome[] = [];
  for (const src of pendingFiles(config, opts.baseDir)) {
    const bytes = readFileSync(src);
    const sha = sha256Hex(bytes);
    const done = readIngestionLog(paths.log).find((e) => e.sha256 === sha);
    if (done) {
      // Same content as a file already ingested: its rows are accounted for in that entry.
      moveSource(src, sha, done.processed_to ? resolvePath(paths.base, done.processed_to) : null);
      files.push({ file: basename(src), sha256: sha, status: 'already-ingested', entry: done });
      continue;
    }
    opts.onStage?.(`checking ${basename(src)}`);
    const entry = ingestOne(src, bytes, sha, current, take, config, paths, now(), fault, opts.onProgress);
    files.push({ file: basename(src), sha256: sha, status: entry.status, entry });
    current = { sha256: entry.data.version_after, rows: entry.data.rows_after };
  }
  return {
    data_path: config.data.path,
    version_before: before.sha256,
    // Each file's transaction leaves the data set at its entry's version_after, and recovery
    // ran before the first: the version is known without hashing the data set again.
    version_after: current.sha256,
    rows_before: before.rows,
    rows_after: current.rows,
    files,
    recovered,
  };
}

/** The data set's version and row count, all a file's transaction needs to know of it up front. */
interface DataState {
  sha256: string;
  rows: number;
}

function ingestOne(
  src: string,
  bytes: Buffer,
  sha: string,
  data: DataState,
  takeTable: () => CsvTable,
  config: MlopsConfig,
  paths: Paths,
  time: Date,
  fault: NonNullable<IngestOptions['fault']>,
  onProgress: IngestOptions['onProgress'],
): IngestionLogEntry {
  const name = basename(src);
  const rel = (p: string): string => relative(paths.base, p).split(sep).join('/');
  const version = data.sha256;
  const base: Omit<
    IngestionLogEntry,
    | 'status'
    | 'rows_read'
    | 'accepted'
    | 'rejected'
    | 'duplicates'
    | 'duplicates_of_data'
    | 'duplicates_in_file'
    | 'reasons'
    | 'ignored_columns'
    | 'processed_to'
    | 'quarantine_file'
  > = {
    time: time.toISOString(),
    file: name,
    sha256: sha,
    data: {
      path: config.data.path,
      version_before: version,
      version_after: version,
      rows_before: data.rows,
      rows_after: data.rows,
    },
  };
  const stem = basename(name, extname(name));
  const tag = sha.slice(0, 12);

  let parsed: ReturnType<typeof parseIncoming>;
  try {
    parsed = parseIncoming(bytes, name, { encoding: config.data.encoding });
  } catch (e) {
    if (!(e instanceof MlopsError)) throw e;
    // Nothing in the file can be trusted row by row: the whole file goes to quarantine.
    const dest = destinationFor(join(paths.quarantine, `${stem}.${tag}.unreadable${extname(name) || '.csv'}`), sha);
    const entry: IngestionLogEntry = {
      ...base,
      status: 'unreadable',
      rows_read: 0,
      accepted: 0,
      rejected: 0,
      duplicates: 0,
      duplicates_of_data: 0,
      duplicates_in_file: 0,
      reasons: {},
      ignored_columns: [],
      processed_to: rel(dest),
      quarantine_file: rel(dest),
      error: e.message,
    };
    commit(paths, { source: src, staged: null, entry }, dest, fault);
    return entry;
  }

  const { accepted, rejected, reasons, dupData, dupFile, ignored } = sortRows(parsed, takeTable(), config, onProgress);

  let quarantineFile: string | null = null;
  if (rejected.length > 0) {
    const q = join(paths.quarantine, `${stem}.${tag}.rejected.csv`);
    const text = stringify([
      ['_line', '_reason', ...parsed.header],
      ...rejected.map((r) => [String(r.line), r.reason, ...r.fields]),
    ]);
    writeFileAtomic(q, text);
    quarantineFile = rel(q);
  }
  fault('quarantine-written', name);

  let staged: string | null = null;
  let versionAfter = version;
  if (accepted.length > 0) {
    const { eol, endsWithNewline } = lineEnding(paths.data);
    const added = Buffer.from(
      (endsWithNewline ? '' : eol) + stringify(accepted, { record_delimiter: eol === '\r\n' ? 'windows' : 'unix' }),
      'utf8',
    );
    staged = join(dirname(paths.data), `.${basename(paths.data)}.ingest-${tag}.staged`);
    versionAfter = writeAppendedCopyAtomic(staged, paths.data, added);
    fault('data-staged', name);
  }
  const processedDest = destinationFor(join(paths.processed, name), sha);
  const entry: IngestionLogEntry = {
    ...base,
    status: 'ingested',
    rows_read: parsed.rows.length,
    accepted: accepted.length,
    rejected: rejected.length,
    duplicates: dupData + dupFile,
    duplicates_of_data: dupData,
    duplicates_in_file: dupFile,
    reasons,
    ignored_columns: ignored,
    data: { ...base.data, version_after: versionAfter, rows_after: data.rows + accepted.length },
    processed_to: rel(processedDest),
    quarantine_file: quarantineFile,
  };
  if (entry.accepted + entry.rejected + entry.duplicates !== entry.rows_read) {
    throw new MlopsError(
      'integrity',
      `${src}: internal accounting error (${entry.accepted} + ${entry.rejected} + ${entry.duplicates} ≠ ${entry.rows_read})`,
    );
  }
  commit(paths, { source: src, staged, entry }, processedDest, fault);
  return entry;
}

interface SortedRows {
  accepted: string[][];
  rejected: { line: number; reason: string; fields: string[] }[];
  reasons: Record<string, number>;
  /** Rows already in the data set, and rows repeating an earlier row of the same file. */
  dupData: number;
  dupFile: number;
  ignored: string[];
}

/**
 * Splits a file's rows into accepted, rejected (with why) and duplicates. Only the keys of
 * the file's valid rows are kept; the data set's rows are keyed one at a time against them,
 * so memory follows the file's size, not the data set's.
 */
function sortRows(
  parsed: ReturnType<typeof parseIncoming>,
  table: CsvTable,
  config: MlopsConfig,
  onProgress: IngestOptions['onProgress'],
): SortedRows {
  const schema = inferSchema(table, config.data);
  const numeric = new Set(schema.features.filter((f) => f.kind === 'numeric').map((f) => f.name));
  const idColumns = config.data.id_columns;
  const rules: RowRules = {
    schema,
    dataHeader: table.header,
    idColumns,
    unknownCategories: config.ingest.unknown_categories,
  };
  const map = mapColumns(table.header, parsed.header);
  const valid: { values: string[]; key: string }[] = [];
  const rejected: SortedRows['rejected'] = [];
  const reasons: Record<string, number> = {};
  const addReason = (kind: string): void => {
    reasons[kind] = (reasons[kind] ?? 0) + 1;
  };
  for (const [r, row] of parsed.rows.entries()) {
    if (onProgress && r % PROGRESS_EVERY === 0) onProgress(r, parsed.rows.length, 'rows checked');
    if (map.missing.length > 0) {
      const kind = `file lacks column${map.missing.length > 1 ? 's' : ''} ${map.missing.join(', ')}`;
      addReason(kind);
      rejected.push({ line: row.line, reason: kind, fields: row.fields });
      continue;
    }
    if (row.fields.length !== parsed.header.length) {
      const kind = 'wrong number of fields';
      addReason(kind);
      rejected.push({
        line: row.line,
        reason: `${row.fields.length} fields, the header has ${parsed.header.length}`,
        fields: row.fields,
      });
      continue;
    }
    const values = map.index.map((i) => normalizeField(row.fields[i]));
    const problems = rowProblems(values, rules);
    if (problems.length > 0) {
      for (const p of problems) addReason(p.kind);
      rejected.push({ line: row.line, reason: problems.map((p) => p.message).join('; '), fields: row.fields });
      continue;
    }
    valid.push({ values, key: rowKey(values, table.header, numeric, idColumns) });
  }
  onProgress?.(parsed.rows.length, parsed.rows.length, 'rows checked');

  const fileKeys = new Set(valid.map((v) => v.key));
  const inData = new Set<string>();
  const columns = table.header.map((h) => table.columns.get(h)!);
  const values: string[] = new Array<string>(columns.length);
  for (let r = 0; r < table.rows && inData.size < fileKeys.size; r++) {
    for (let c = 0; c < columns.length; c++) values[c] = columns[c].get(r) ?? '';
    const key = rowKey(values, table.header, numeric, idColumns);
    if (fileKeys.has(key)) inData.add(key);
  }

  const accepted: string[][] = [];
  const earlier = new Set<string>();
  let dupData = 0;
  let dupFile = 0;
  for (const v of valid) {
    if (earlier.has(v.key)) dupFile++;
    else if (inData.has(v.key)) dupData++;
    else accepted.push(v.values);
    earlier.add(v.key);
  }
  return { accepted, rejected, reasons, dupData, dupFile, ignored: map.ignored };
}

/**
 * How the data file ends its lines (its first line decides) and whether its last line is
 * ended, read from its first line and its last byte rather than from the whole file.
 */
function lineEnding(path: string): { eol: '\n' | '\r\n'; endsWithNewline: boolean } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(1 << 16);
    let eol: '\n' | '\r\n' = '\n';
    let prev = -1;
    for (let pos = 0; pos < size;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      const at = buf.subarray(0, n).indexOf(0x0a);
      if (at !== -1) {
        eol = (at > 0 ? buf[at - 1] : prev) === 0x0d ? '\r\n' : '\n';
        break;
      }
      prev = buf[n - 1];
      pos += n;
    }
    if (size === 0) return { eol, endsWithNewline: true };
    readSync(fd, buf, 0, 1, size - 1);
    return { eol, endsWithNewline: buf[0] === 0x0a };
  } finally {
    closeSync(fd);
  }
}

/** Steps 3–7: journal, commit the data, log, move the source, drop the journal. */
function commit(paths: Paths, journal: Journal, dest: string, fault: NonNullable<IngestOptions['fault']>): void {
  const name = journal.entry.file;
  writeJsonAtomic(paths.journal, journal);
  fault('journal-written', name);
  if (journal.staged) {
    renameSync(journal.staged, paths.data);
    fault('data-committed', name);
  }
  appendIngestionLog(paths.log, journal.entry);
  fault('log-appended', name);
  moveSource(journal.source, journal.entry.sha256, dest);
  fault('source-moved', name);
  rmSync(paths.journal, { force: true });
}

/**
 * Where a source file goes: its own name, unless a file with other content already has
 * that name (the same file name re-used for a later export); then its hash joins the name.
 */
function destinationFor(dest: string, sha: string): string {
  if (!existsSync(dest) || sha256Hex(readFileSync(dest)) === sha) return dest;
  const ext = extname(dest);
  return join(dirname(dest), `${basename(dest, ext)}.${sha.slice(0, 12)}${ext}`);
}

/** Moves a source file out of the incoming folder (a copy already there is just removed). */
function moveSource(src: string, sha: string, dest: string | null): void {
  if (!existsSync(src)) return;
  if (dest === null) {
    rmSync(src);
    return;
  }
  mkdirSync(dirname(dest), { recursive: true });
  const target = destinationFor(dest, sha);
  if (existsSync(target)) rmSync(src);
  else renameSync(src, target);
}

/** Finishes or undoes a transaction a crash interrupted; returns what it did. */
export function recover(paths: Paths): string | null {
  const dataDir = dirname(paths.data);
  const stagedPrefix = `.${basename(paths.data)}.ingest-`;
  let message: string | null = null;
  if (existsSync(paths.journal)) {
    let journal: Journal;
    try {
      journal = JSON.parse(readFileSync(paths.journal, 'utf8')) as Journal;
    } catch (e) {
      throw new MlopsError(
        'integrity',
        `${paths.journal}: unreadable ingestion journal (${(e as Error).message}); compare the data set with the ingestion log, then delete the journal`,
      );
    }
    const { entry } = journal;
    const current = dataVersion(paths.data);
    if (current === entry.data.version_after) {
      const logged = readIngestionLog(paths.log).some(
        (e) => e.sha256 === entry.sha256 && e.data.version_after === entry.data.version_after,
      );
      if (!logged) appendIngestionLog(paths.log, entry);
      if (existsSync(journal.source) && sha256Hex(readFileSync(journal.source)) === entry.sha256) {
        moveSource(
          journal.source,
          entry.sha256,
          entry.processed_to ? resolvePath(paths.base, entry.processed_to) : null,
        );
      }
      message = `completed the interrupted ingestion of ${entry.file} (data set ${short(entry.data.version_after)})`;
    } else if (current === entry.data.version_before) {
      message = `rolled back the interrupted ingestion of ${entry.file}; it is ingested again now`;
    } else {
      throw new MlopsError(
        'integrity',
        `${paths.journal}: an interrupted ingestion of ${entry.file} expected the data set ${paths.data} at version ${short(entry.data.version_before)} or ${short(entry.data.version_after)}, but it is ${short(current)}; someone changed it in between. Check the data set, then delete the journal.`,
      );
    }
    if (journal.staged) rmSync(journal.staged, { force: true });
    rmSync(paths.journal, { force: true });
  }
  // A staged file without a journal: the crash came before the commit decision (or while
  // the staged file itself was being written: its temporary file goes too).
  if (existsSync(dataDir)) {
    for (const f of readdirSync(dataDir))
      if (f.startsWith(stagedPrefix) && f.endsWith('.staged')) rmSync(join(dataDir, f), { force: true });
    removeStaleTemps(dataDir);
  }
  for (const dir of [paths.quarantine, paths.processed, dirname(paths.log)]) removeStaleTemps(dir);
  return message;
}

export function short(version: string): string {
  return version.slice(0, 12);
}
