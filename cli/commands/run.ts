import { join } from 'node:path';
import { writeJsonAtomic, fairnessConfigOf, resolvePath } from '../../pipeline/core/index.ts';
import { promoteRun, registryDir, verdictMarkdown, generateReport } from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';
import { configFromFlags, configHelp, configOptions } from '../config-flags.ts';
import { trainSummary } from '../summary.ts';
import { trainToFolder } from './train.ts';
import { outcomeLine } from './promote.ts';
import { actorFrom, ciRunUrlFrom, historyOptions } from './registry.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'the main job: train and evaluate, compare with the champion, promote when the gate passes',
  help: `Usage: mlops run [options]

Trains and evaluates the configured model on the configured data (by default the
embedded credit data set) and writes a run folder under runs/. Then scores the new
model and the registry's champion on the same rows and, when the promotion gate passes
(or there is no champion yet), registers it as the new champion under models/. A
rejection is recorded in the registry history with its reasons. The verdict is also
written to verdict.json in the run folder. Nothing is committed: see "mlops promote --commit".

${configHelp}
  --out DIR           run folder (default: <runs_dir>/<run id>)
  --workers N         worker threads for tree engines
  --no-promote        compare with the champion but do not touch the registry
  --no-report         skip the model card, report.html and charts (run folder and
                      reports/<model>/v<N>/ for a promoted version)
  --actor NAME        who is acting, for the registry history
  --quiet             no progress output
  -h, --help          show this help`,
  options: {
    ...configOptions,
    out: { type: 'string', short: 'o' },
    workers: { type: 'string' },
    quiet: { type: 'boolean' },
    'no-promote': { type: 'boolean' },
    'no-report': { type: 'boolean' },
    ...historyOptions,
  },
  async run(args, io) {
    const loaded = configFromFlags(args, io.cwd);
    const { result, dir, record } = await trainToFolder(loaded, args, io, 'run');
    io.out(trainSummary(result, dir));
    if (!args.values.quiet) io.err('• comparing with the champion');
    const r = promoteRun({
      dir: registryDir(loaded.config, loaded.baseDir),
      config: loaded.config,
      baseDir: loaded.baseDir,
      challenger: dir,
      actor: actorFrom(args, io.cwd),
      ciRunUrl: ciRunUrlFrom(args),
      dryRun: Boolean(args.values['no-promote']),
    });
    writeJsonAtomic(join(dir, 'verdict.json'), r.verdict);
    if (!args.values['no-report']) {
      // Every run gets its model card and charts; a promoted version also gets reports/<model>/v<N>/.
      if (!args.values.quiet) io.err('• writing the report');
      // Built once from what is in memory; a promoted run's card is titled with its version.
      const version = r.decision === 'promote' && r.version !== null && !args.values['no-promote'] ? r.version : null;
      const versionDir =
        version === null ? null : resolvePath(loaded.baseDir, join('reports', loaded.config.model_name, `v${version}`));
      await generateReport({
        bundle: result.bundle,
        metrics: result.metrics,
        run: record,
        baseDir: loaded.baseDir,
        fairness: fairnessConfigOf(loaded.config),
        version,
        outDir: dir,
        alsoTo: versionDir ? [versionDir] : [],
      });
      if (versionDir) io.err(`• model card of v${version} in ${versionDir}`);
    }
    io.out('');
    io.out(verdictMarkdown(r.verdict));
    io.out('');
    io.out(
      args.values['no-promote']
        ? `--no-promote: registry unchanged (${r.verdict.decision === 'promote' ? 'the gate would promote' : 'the gate would keep the champion'})`
        : outcomeLine(r),
    );
    return 0;
  },
};
