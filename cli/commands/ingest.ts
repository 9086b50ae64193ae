import { loadConfig, csvEncoding, usageError } from '../../pipeline/core/index.ts';
import {
  ingest,
  ingestFromDatabase,
  short,
  type IngestResult,
  type WatermarkIngestResult,
} from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';
import { withProgress } from '../progress.ts';

export const ingestCommand: Command = {
  help: `Usage: mlops ingest [--source postgres] [--config FILE] [--json] [--encoding NAME]

Picks up every *.csv in the incoming folder (ingest.incoming, default data/incoming/),
checks each row against the data set's schema and appends the good rows to the
configured data set (data.path), which becomes a new version (its sha256). Rejected
rows go to the quarantine folder with their reasons, duplicates are counted and
skipped, the source file moves to the processed folder, and one line per file is
appended to the ingestion log. Running it again changes nothing. A file that breaks the
CSV contract as a whole (bytes that are not UTF-8, a header column without a name or
named twice) is moved to quarantine as unreadable, with the line; a row with too few or
too many fields is rejected with its line.

With --source postgres, the rows the configured PostgreSQL source (data.source) gained
since the last watermark (ingest.watermark: a column whose values only grow) are
checked the same way and appended to the pinned snapshot (snapshots.pointer; make the
first one with "mlops data snapshot"): a new snapshot and pointer, which records the
new watermark. Running it again reads nothing new and changes nothing.

  --source KIND   csv (default: the incoming folder) or postgres
  --config FILE   config file (default: mlops.config.json in the current folder)
  --json          print the result as JSON
  --encoding NAME text encoding of the data set and incoming files: utf8 (the default;
                  bytes that are not UTF-8 are refused) or latin1 (default: data.encoding)
  -h, --help      show this help`,
  options: {
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
    encoding: { type: 'string' },
    source: { type: 'string' },
  },
  async run(args, io) {
    const { config, baseDir } = loadConfig((args.values.config as string | undefined) ?? null, io.cwd);
    if (args.values.encoding !== undefined)
      config.data.encoding = csvEncoding(args.values.encoding as string, '--encoding');
    const kind = (args.values.source as string | undefined) ?? 'csv';
    if (kind === 'postgres') {
      const r = await ingestFromDatabase({ config, baseDir });
      io.out(args.values.json ? JSON.stringify(r, null, 2) : databaseSummary(r));
      return 0;
    }
    if (kind !== 'csv') throw usageError(`--source must be csv or postgres (got ${JSON.stringify(kind)})`);
    if (config.data.source && config.data.source.type !== 'csv')
      throw usageError(
        `data.source is a ${config.data.source.type} source, so incoming CSV files would be appended to data.path, which training does not read; use --source postgres for a database`,
      );
    const result = await withProgress(io, false, ({ onStage, onProgress }) =>
      ingest({ config, baseDir, onStage, onProgress }),
    );
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

export function databaseSummary(r: WatermarkIngestResult): string {
  const w = r.watermark;
  if (!r.entry)
    return `nothing new in ${r.source}: no rows with ${w.column} > ${w.before ?? '(none)'}; ${r.pointer} unchanged at ${short(r.version_after)} (${r.rows_after} rows)`;
  const e = r.entry;
  const lines = [
    `${r.source} (${w.column} > ${w.before ?? '(none)'}): ${e.rows_read} rows read → ${e.accepted} accepted, ${e.rejected} rejected, ${e.duplicates} duplicates`,
    ...Object.entries(e.reasons).map(([reason, n]) => `    ${n} × ${reason}`),
  ];
  if (e.quarantine_file) lines.push(`    rejected rows: ${e.quarantine_file}`);
  lines.push(
    `snapshot ${r.pointer}: ${short(r.version_before)} → ${short(r.version_after)} (${r.rows_before} → ${r.rows_after} rows); watermark ${w.column} = ${w.after}`,
  );
  return lines.join('\n');
}
