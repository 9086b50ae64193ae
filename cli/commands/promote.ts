import { resolve } from 'node:path';
import { usageError } from '../../pipeline/core/index.ts';
import {
  promoteAndCommit,
  promoteRun,
  runEvaluationParts,
  verdictMarkdown,
  writeVersionCard,
  type PromoteResult,
} from '../../pipeline/gitops/index.ts';
import type { Command, CliIO } from '../command.ts';
import {
  actorFrom,
  ciRunUrlFrom,
  commitFlags,
  commitHelp,
  commitOptions,
  historyOptions,
  registryContext,
} from './registry.ts';

export const promoteCommand: Command = {
  help: `Usage: mlops promote --run DIR [--force --reason TEXT] [--commit] [--push] [options]

Compares the run with the champion (see "mlops compare"). When the gate passes — or
there is no champion yet, or --force is given with a reason — the run becomes version
vN under models/<name>/vN/ (model.json.gz, metrics.json, card.md) and the champion,
and its report is written to reports/<name>/vN/, card.md becoming the full model card
(committed after the registry commit with --commit). Otherwise the rejection and its reasons are recorded in the history and the
command exits 1.

  --run DIR           run folder to promote
  --force             promote even if the gate says keep (needs --reason)
  --reason TEXT       why; recorded in the history
  --json              print the result as JSON
  --no-report         skip the promoted version's report (card.md stays the short card)
  --config FILE       config file (default: mlops.config.json in the current folder)
${commitHelp}
  -h, --help          show this help`,
  options: {
    run: { type: 'string' },
    force: { type: 'boolean' },
    reason: { type: 'string' },
    json: { type: 'boolean' },
    'no-report': { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    ...commitOptions,
    ...historyOptions,
  },
  async run(args, io) {
    const runDir = args.values.run as string | undefined;
    if (!runDir) throw usageError('promote needs --run DIR (a run folder from "mlops train" or "mlops run")');
    const reason = args.values.reason as string | undefined;
    if (args.values.force && !reason?.trim())
      throw usageError('--force needs --reason TEXT: a forced promotion is recorded with its reason');
    const { loaded, dir } = registryContext(args, io);
    const { commit, ...push } = commitFlags(args, loaded);
    const challenger = resolve(io.cwd, runDir);
    const base = {
      dir,
      config: loaded.config,
      baseDir: loaded.baseDir,
      challenger,
      // A run trained from a table, query, Parquet file or snapshot is scored on those rows, read again.
      rows: await runEvaluationParts(challenger, loaded.baseDir, loaded.config.promotion.golden_path),
      force: args.values.force ? { reason: reason! } : null,
      note: !args.values.force && reason ? reason : null,
      actor: actorFrom(args, io.cwd),
      ciRunUrl: ciRunUrlFrom(args),
    };
    const card = async (r: PromoteResult, committed: boolean): Promise<void> => {
      if (r.decision !== 'promote' || r.version === null || args.values['no-report']) return;
      try {
        const c = await writeVersionCard(loaded, base.challenger, r.version, committed ? push : null);
        io.err(
          `• model card of v${r.version} in ${c.card}, its report in ${c.dir}${c.commit ? ` (commit ${c.commit.commit.slice(0, 12)})` : ''}`,
        );
      } catch (e) {
        io.err(
          `warning: the promotion stands, but the model card of v${r.version} was not written: ${(e as Error).message}`,
        );
      }
    };
    if (!commit) {
      const r = promoteRun(base);
      await card(r, false);
      return report(io, r, Boolean(args.values.json), null);
    }
    const r = await promoteAndCommit({
      ...base,
      ...push,
      onAttempt: (a) => {
        if (a.phase === 'rejected')
          io.err(
            `• push rejected on attempt ${a.attempt} (another writer updated the branch); re-applying on the new tip`,
          );
      },
    });
    await card(r.promotion, true);
    return report(io, r.promotion, Boolean(args.values.json), {
      commit: r.commit,
      pushed: r.pushed,
      attempts: r.attempts,
      branch: r.branch,
    });
  },
};

export function report(
  io: CliIO,
  r: PromoteResult,
  json: boolean,
  git: { commit: string; pushed: boolean; attempts: number; branch: string | null } | null,
): number {
  if (json) {
    io.out(
      JSON.stringify(
        {
          model: r.name,
          decision: r.decision,
          version: r.version,
          champion: r.champion,
          previous_champion: r.previousChampion,
          ...(git ?? {}),
          verdict: r.verdict,
        },
        null,
        2,
      ),
    );
  } else {
    io.out(verdictMarkdown(r.verdict));
    io.out('');
    io.out(outcomeLine(r));
    if (git)
      io.out(
        `commit ${git.commit.slice(0, 12)}${git.pushed ? ` pushed to ${git.branch} (attempt ${git.attempts})` : ' (not pushed)'}`,
      );
  }
  return r.decision === 'promote' ? 0 : 1;
}

export function outcomeLine(r: PromoteResult): string {
  if (r.decision === 'promote')
    return `promoted ${r.name} v${r.version} to champion${r.previousChampion ? ` (was v${r.previousChampion})` : ''}`;
  if (r.version !== null)
    return `registered ${r.name} v${r.version} as challenger; the gate kept champion v${r.champion}`;
  return `rejected by the gate: ${r.name} champion ${r.champion ? `v${r.champion}` : '(none)'} kept; the rejection is recorded in the history`;
}
