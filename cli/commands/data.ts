import { loadConfig, parseSourceUri, resolvePath, usageError } from '../../pipeline/core/index.ts';
import { snapshotData } from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';

export const dataCommand: Command = {
  help: `Usage: mlops data snapshot [--data URI] [--config FILE] [--json]

Reads the configured training data (data.source, or data.path) — or --data URI — and
writes its rows to a Parquet file named by their digest in the snapshot store
(snapshots.location, default snapshots/, git-ignored), then writes the pointer file
(snapshots.pointer, default data/training.snapshot.json): path, digest, rows, column
types and where the rows came from. Commit the pointer, never the rows; train from it
with data.source {"type": "snapshot", "path": "<pointer>"} or --data snapshot:<pointer>,
which checks the digest before training.

  --data URI      the rows to snapshot (see "mlops train --help" for URIs)
  --config FILE   config file (default: mlops.config.json in the current folder)
  --json          print the pointer as JSON
  -h, --help      show this help`,
  options: { config: { type: 'string', short: 'c' }, data: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run(args, io) {
    const [sub, ...extra] = args.positionals;
    if (sub !== 'snapshot') throw usageError(`data needs the subcommand "snapshot"${sub ? ` (got "${sub}")` : ''}`);
    if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const { config, baseDir } = loadConfig((args.values.config as string | undefined) ?? null, io.cwd);
    let source = args.values.data ? parseSourceUri(args.values.data as string) : undefined;
    if (source && source.type !== 'postgres') source = { ...source, path: resolvePath(io.cwd, source.path) };
    const r = await snapshotData({ config, baseDir, source });
    if (args.values.json) io.out(JSON.stringify(r.pointer, null, 2));
    else
      io.out(
        [
          `${r.written ? 'wrote' : 'already in the store:'} ${r.file} (${r.pointer.rows} rows, digest ${r.pointer.digest.slice(0, 12)}…)`,
          `pointer ${r.pointerFile} (from ${r.pointer.source}, ${r.pointer.order}): commit it; the snapshot store stays out of git`,
        ].join('\n'),
      );
    return 0;
  },
};
