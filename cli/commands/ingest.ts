import { loadConfig, csvEncoding } from '../../pipeline/core/index.ts';
import { ingest, short, type IngestResult } from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'append new CSV files from data/incoming/ to the training data as a new version',
  help: `Usage: mlops ingest [--config FILE] [--json] [--encoding NAME]

Picks up every *.csv in the incoming folder (ingest.incoming, default data/incoming/),
checks each row against the data set's schema and appends the good rows to the
configured data set (data.path), which becomes a new version (its sha256). Rejected
rows go to the quarantine folder with their reasons, duplicates are counted and
skipped, the source file moves to the processed folder, and one line per file is
appended to the ingestion log. Running it again changes nothing. A file that breaks the
CSV contract as a whole (bytes that are not UTF-8, a header column without a name or
named twice) is moved to quarantine as unreadable, with the line; a row with too few or
too many fields is rejected with its line.

  --config FILE   config file (default: mlops.config.json in the current folder)
  --json          print the result as JSON
  --encoding NAME text encoding of the data set and incoming files: utf8 (the default;
                  bytes that are not UTF-8 are refused) or latin1 (default: data.encoding)
  -h, --help      show this help`,
  options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, encoding: { type: 'string' } },
  async run(args, io) {
    const { config, baseDir } = loadConfig((args.values.config as string | undefined) ?? null, io.cwd);
    if (args.values.encoding !== undefined)
      config.data.encoding = csvEncoding(args.values.encoding as string, '--encoding');
    const result = ingest({ config, baseDir });
    io.out(args.values.json ? JSON.stringify(result, null, 2) : ingestSummary(result));
    return 0;
  },
};

export function ingestSummary(r: IngestResult): string {
  const lines: string[] = [];
  if (r.recovered) lines.push(`recovered: ${r.recovered}`);
  if (r.files.length === 0) lines.push('nothing to ingest: the incoming folder holds no new CSV files');
  for (const f of r.files) {
    const e = f.entry;
    if (f.status === 'already-ingested')
      lines.push(`${f.file}: already ingested on ${e.time} (same sha256); removed from the incoming folder`);
    else if (f.status === 'unreadable') lines.push(`${f.file}: unreadable (${e.error}); moved to ${e.processed_to}`);
    else {
      lines.push(
        `${f.file}: ${e.rows_read} rows read → ${e.accepted} accepted, ${e.rejected} rejected, ${e.duplicates} duplicates`,
      );
      for (const [reason, n] of Object.entries(e.reasons)) lines.push(`    ${n} × ${reason}`);
      if (e.quarantine_file) lines.push(`    rejected rows: ${e.quarantine_file}`);
      if (e.ignored_columns.length > 0)
        lines.push(`    columns not in the data set (ignored): ${e.ignored_columns.join(', ')}`);
    }
  }
  const changed = r.version_after !== r.version_before;
  lines.push(
    changed
      ? `data set ${r.data_path}: ${short(r.version_before)} → ${short(r.version_after)} (${r.rows_before} → ${r.rows_after} rows)`
      : `data set ${r.data_path}: unchanged at ${short(r.version_after)} (${r.rows_after} rows)`,
  );
  return lines.join('\n');
}
