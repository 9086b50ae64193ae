/**
 * The ingestion log: one JSON object per line, one line per ingested file. It is the
 * audit trail a credit team shows a validator ("where did these 312 rows come from?"),
 * so every row read is accounted for in it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic, MlopsError } from '../../core/index.ts';

export interface IngestionLogEntry {
  time: string;
  /** Name of the source file as dropped into the incoming folder. */
  file: string;
  sha256: string;
  status: 'ingested' | 'unreadable';
  rows_read: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Duplicates of rows already in the data set vs repeated within this file. */
  duplicates_of_data: number;
  duplicates_in_file: number;
  /** Count of rejected rows per reason (reason text without the offending value). */
  reasons: Record<string, number>;
  ignored_columns: string[];
  data: { path: string; version_before: string; version_after: string; rows_before: number; rows_after: number };
  processed_to: string | null;
  quarantine_file: string | null;
  error?: string;
  /** Database ingestion: the watermark column and its value before and after this batch. */
  watermark?: { column: string; before: string | null; after: string };
}

export function readIngestionLog(path: string): IngestionLogEntry[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: IngestionLogEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as IngestionLogEntry);
    } catch (e) {
      throw new MlopsError(
        'integrity',
        `${path}: line ${i + 1} is not valid JSON (${(e as Error).message}); fix or remove that line`,
      );
    }
  });
  return out;
}

/**
 * Appends by rewriting the whole file atomically: an append(2) cut short by a crash
 * would leave half a line that breaks every later read.
 */
export function appendIngestionLog(path: string, entry: IngestionLogEntry): void {
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const sep = before.length > 0 && !before.endsWith('\n') ? '\n' : '';
  writeFileAtomic(path, before + sep + JSON.stringify(entry) + '\n');
}
