import { join } from 'node:path';
import { writeJsonAtomic } from '../../pipeline/core/index.ts';
import {
  evaluationParts,
  runDataRecord,
  promoteRun,
  registryDir,
  trainingRun,
  verdictMarkdown,
  versionReportTarget,
  type PromoteResult,
} from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';
import { configFromFlags, configHelp, configOptions, engineHelp } from '../config-flags.ts';
import { trainSummary } from '../summary.ts';
import { runFlags } from './train.ts';
import { withProgress } from '../progress.ts';
import { outcomeLine } from './promote.ts';
import { actorFrom, ciRunUrlFrom, historyOptions } from './registry.ts';

export const runCommand: Command = {
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
  --no-report         skip the model card, report.html and charts (run folder, and for a
                      promoted version reports/<model>/v<N>/ and its full card.md)
  --actor NAME        who is acting, for the registry history
  --quiet             no progress output
  -h, --help          show this help

${engineHelp}`,
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
    const noPromote = Boolean(args.values['no-promote']);
    let r!: PromoteResult;
    const run = await withProgress(io, Boolean(args.values.quiet), (progress) =>
      trainingRun({
        loaded,
        command: 'run',
        report: !args.values['no-report'],
        ...runFlags(args, io, progress),
        beforeReport: ({ result, dir, record }) => {
          progress.close();
          io.out(trainSummary(result, dir));
          progress.onStage?.('comparing with the champion');
          r = promoteRun({
            dir: registryDir(loaded.config, loaded.baseDir),
            config: loaded.config,
            baseDir: loaded.baseDir,
            challenger: dir,
            actor: actorFrom(args, io.cwd),
            ciRunUrl: ciRunUrlFrom(args),
            dryRun: noPromote,
            // The rows just read: a database or snapshot source is not read a second time.
            rows: evaluationParts(
              result.bundle,
              runDataRecord(record),
              loaded.baseDir,
              loaded.config.promotion.golden_path,
              result.evaluationTable,
            ),
          });
          writeJsonAtomic(join(dir, 'verdict.json'), r.verdict);
          // Every run gets its model card and charts; a promoted version also gets reports/<model>/v<N>/ and its full card.md.
          const version = r.decision === 'promote' && r.version !== null && !noPromote ? r.version : null;
          return { version, alsoTo: version === null ? [] : [versionReportTarget(loaded, version)] };
        },
      }),
    );
    for (const t of run.report?.alsoTo ?? [])
      io.err(`• model card of v${run.report!.version} in ${t.card?.file ?? t.dir}, its report in ${t.dir}`);
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
