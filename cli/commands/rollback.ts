import { usageError } from '../../pipeline/core/index.ts';
import { rollback, rollbackAndCommit } from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';
import {
  actorFrom,
  ciRunUrlFrom,
  commitFlags,
  commitHelp,
  commitOptions,
  historyOptions,
  registryContext,
} from './registry.ts';

export const rollbackCommand: Command = {
  help: `Usage: mlops rollback [--to vN] --reason TEXT [options]

Points the champion alias at an earlier version (default: the newest earlier version
that has served as champion). Nothing is deleted; the history records who, when, why.

  --to vN             version to serve again
  --reason TEXT       why (required)
  --model NAME        model (default: model_name from the config)
  --config FILE       config file (default: mlops.config.json in the current folder)
${commitHelp}
  -h, --help          show this help`,
  options: {
    to: { type: 'string' },
    reason: { type: 'string' },
    model: { type: 'string' },
    config: { type: 'string', short: 'c' },
    ...commitOptions,
    ...historyOptions,
  },
  async run(args, io) {
    const reason = (args.values.reason as string | undefined)?.trim();
    if (!reason) throw usageError('rollback needs --reason TEXT; it is recorded in the registry history');
    const toText = args.values.to as string | undefined;
    let to: number | null = null;
    if (toText !== undefined) {
      const m = /^v?([1-9]\d*)$/.exec(toText);
      if (!m) throw usageError(`--to must be a version like v3 (got ${JSON.stringify(toText)})`);
      to = Number(m[1]);
    }
    const { loaded, dir } = registryContext(args, io);
    const { commit, ...push } = commitFlags(args, loaded);
    const opts = {
      dir,
      name: (args.values.model as string | undefined) ?? loaded.config.model_name,
      to,
      reason,
      actor: actorFrom(args, io.cwd),
      ciRunUrl: ciRunUrlFrom(args),
    };
    if (!commit) {
      const r = rollback(opts);
      io.out(`rolled back ${r.name}: champion v${r.from} → v${r.to}`);
      return 0;
    }
    const r = await rollbackAndCommit({
      ...opts,
      ...push,
    });
    io.out(
      `rolled back ${r.rollback.name}: champion v${r.rollback.from} → v${r.rollback.to}\ncommit ${r.commit.slice(0, 12)}${r.pushed ? ` pushed to ${r.branch} (attempt ${r.attempts})` : ' (not pushed)'}`,
    );
    return 0;
  },
};
