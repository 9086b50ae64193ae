import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { readBundle, type Bundle, loadConfig, usageError, fairnessConfigOf } from '../../pipeline/core/index.ts';
import { configuredDataRecord, generateReport, reportRunFolder } from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';
import { withProgress } from '../progress.ts';

function bundleIn(dir: string): string {
  for (const name of ['model.json', 'model.json.gz']) if (existsSync(join(dir, name))) return join(dir, name);
  throw usageError(`${dir} has no model.json: pass a run folder to --run, or a bundle to --model`);
}

export const reportCommand: Command = {
  help: `Usage: mlops report --run DIR [--champion FILE] [--out DIR] [options]
       mlops report --model FILE --out DIR [options]

Regenerates the full report of a run from its folder: README.md (the model card),
report.html (self-contained), report.json and charts/*.svg. The test rows are rebuilt
from the bundle's provenance (data file, its sha256, split and seed), so the figures are
those of the rows the run was evaluated on; a changed data file is refused.

  --run DIR         run folder (model.json, metrics.json, run.json)
  --model FILE      a bundle without a run folder (e.g. a registry version)
  --champion FILE   champion bundle: its ROC/PR/calibration curves and metrics are
                    drawn beside the challenger's, on the same rows
  --out DIR         where to write (default: the run folder)
  --data FILE       evaluate on this labelled CSV instead of the rebuilt test rows
  --config FILE     config with the "fairness" section (default: mlops.config.json);
                    relative data paths in the bundle resolve against its folder
  --version N       registry version number, shown in the card's title
  --deps            also run \`npm outdated\` (8 s timeout) for the dependency report
  -h, --help        show this help`,
  options: {
    run: { type: 'string', short: 'r' },
    model: { type: 'string', short: 'm' },
    champion: { type: 'string' },
    out: { type: 'string', short: 'o' },
    data: { type: 'string' },
    config: { type: 'string', short: 'c' },
    version: { type: 'string' },
    deps: { type: 'boolean' },
  },
  async run(args, io) {
    const v = args.values;
    const runDir = v.run ? resolve(io.cwd, v.run as string) : null;
    if (!runDir && !v.model) throw usageError('report needs --run DIR (a run folder) or --model FILE');
    if (runDir && v.model) throw usageError('report takes --run or --model, not both');
    if (!runDir && !v.out) throw usageError('report --model needs --out DIR');
    let version: number | null = null;
    if (v.version !== undefined) {
      version = Number(v.version);
      if (!Number.isInteger(version) || version < 1)
        throw usageError(`--version must be a whole number from 1 (got ${JSON.stringify(v.version)})`);
    }
    const champion: Bundle | null = v.champion ? readBundle(resolve(io.cwd, v.champion as string)) : null;
    const loaded = loadConfig((v.config as string | undefined) ?? null, io.cwd);
    const outDir = v.out ? resolve(io.cwd, v.out as string) : runDir!;
    const common = {
      champion,
      baseDir: loaded.baseDir,
      alsoIn: [io.cwd],
      data: v.data ? resolve(io.cwd, v.data as string) : undefined,
      fairness: fairnessConfigOf(loaded.config),
      dependencies: v.deps ? { timeoutMs: 8000, cwd: io.cwd } : (false as const),
      version,
      outDir,
    };
    if (runDir) bundleIn(runDir); // a plain usage error when the folder is not a run
    // A bare bundle pins its rows by digest: its test rows come from the configured data when it has those rows.
    const result = await withProgress(io, false, ({ onStage, onProgress }) => {
      if (runDir) return reportRunFolder(runDir, { ...common, onStage, onProgress });
      const bundle = readBundle(resolve(io.cwd, v.model as string));
      return generateReport({
        ...common,
        onStage,
        onProgress,
        bundle,
        record: common.data ? null : configuredDataRecord(bundle, loaded.config.data),
      });
    });
    const m = result.data.model;
    for (const w of result.data.warnings) io.err(`warning: ${w}`);
    const shown = relative(io.cwd, outDir) || '.';
    io.out(
      `report for ${m.name} (${m.engine}, ${m.digest.slice(0, 15)}…) in ${result.seconds} s (${result.cpuSeconds} s CPU)`,
    );
    io.out(`model card  ${join(shown, 'README.md')}`);
    io.out(`html        ${join(shown, 'report.html')}`);
    io.out(
      `charts      ${result.files.filter((f) => f.startsWith('charts/')).length} SVG files in ${join(shown, 'charts')}`,
    );
    if (result.data.fairness.flagged) io.out(`fairness    FLAGGED: ${result.data.fairness.failures.join('; ')}`);
    return 0;
  },
};
