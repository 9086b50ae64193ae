import { join, resolve } from 'node:path';
import { outputFile, resolvePath, writeJsonAtomic, usageError } from '../../pipeline/core/index.ts';
import { compareRun, runEvaluationParts, verdictMarkdown } from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';
import { registryContext } from './registry.ts';

export const compareCommand: Command = {
  help: `Usage: mlops compare --challenger DIR [--fail-on-keep] [options]

Scores the challenger (a run folder from "mlops train" or "mlops run") and the current
champion on the same rows — the challenger's test rows, re-created from its data and
seed, plus promotion.golden_path when configured — and checks the promotion policy.
Writes nothing to the registry. Exits 0 whatever the verdict unless --fail-on-keep.

  --challenger DIR   run folder to compare
  --fail-on-keep     exit 1 when the verdict is to keep the champion
  --json             print the verdict as JSON
  --out FILE         also write the verdict JSON to FILE (its folder must exist, and it
                     must not be an input)
  --config FILE      config file (default: mlops.config.json in the current folder)
  -h, --help         show this help`,
  options: {
    challenger: { type: 'string' },
    'fail-on-keep': { type: 'boolean' },
    json: { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
  },
  async run(args, io) {
    const dirArg = args.values.challenger as string | undefined;
    if (!dirArg) throw usageError('compare needs --challenger DIR (a run folder)');
    const { loaded, dir } = registryContext(args, io);
    const run = resolve(io.cwd, dirArg);
    const inputs = [
      ...['model.json', 'metrics.json', 'run.json'].map((f) => join(run, f)),
      loaded.file,
      resolvePath(loaded.baseDir, loaded.config.data.path),
    ];
    const out = args.values.out ? outputFile(resolve(io.cwd, args.values.out as string), inputs) : null;
    const { verdict } = compareRun({
      dir,
      config: loaded.config,
      baseDir: loaded.baseDir,
      challenger: run,
      // A run trained from a table, query, Parquet file or snapshot is scored on those rows, read again.
      rows: await runEvaluationParts(run, loaded.baseDir, loaded.config.promotion.golden_path),
    });
    if (out) writeJsonAtomic(out, verdict);
    io.out(args.values.json ? JSON.stringify(verdict, null, 2) : verdictMarkdown(verdict));
    return verdict.decision === 'keep' && args.values['fail-on-keep'] ? 1 : 0;
  },
};
