import { userInfo } from 'node:os';
import { loadConfig, type LoadedConfig, usageError } from '../../pipeline/core/index.ts';
import {
  DEFAULT_AUTHOR,
  ciRunUrl,
  gitUserName,
  historyText,
  loadRegistry,
  modelEntry,
  parseAuthor,
  registryDir,
  registryListText,
  resolveRef,
  verifyVersion,
  versionText,
  type GitAuthor,
} from '../../pipeline/gitops/index.ts';
import type { Command, CliIO, ParsedArgs } from '../command.ts';

export const registryCommand: Command = {
  help: `Usage: mlops registry <list|show|history|verify> [REF] [options]

  list                 every model with its versions and aliases
  show [REF]           one version: digest, lineage, metrics (default: the champion)
  history              the append-only audit trail (registered, promoted, rolled back, rejected)
  verify               check that registry.json, the version folders, the bundles and the
                       history agree (every command checks this on every read; exit 1 if not)
  verify REF           that, then retrain REF from its lineage record in a temporary git
                       worktree and report whether the bundle digest reproduces (exit 1 if not)

REF is name@vN, name@champion, name@challenger, vN or champion (name defaults to
model_name from the config).

  --config FILE   config file (default: mlops.config.json in the current folder)
  --model NAME    model for history (default: model_name from the config)
  --json          print JSON instead of text
  -h, --help      show this help`,
  options: { config: { type: 'string', short: 'c' }, model: { type: 'string' }, json: { type: 'boolean' } },
  positionals: true,
  async run(args, io) {
    const [sub, ref, ...extra] = args.positionals;
    if (!sub) throw usageError('registry needs a subcommand: list, show, history or verify');
    if (extra.length > 0) throw usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const { loaded, dir } = registryContext(args, io);
    const name = (args.values.model as string | undefined) ?? loaded.config.model_name;
    const json = Boolean(args.values.json);
    switch (sub) {
      case 'list': {
        const reg = loadRegistry(dir);
        io.out(json ? JSON.stringify(reg, null, 2) : registryListText(reg));
        return 0;
      }
      case 'show': {
        const r = resolveRef(loadRegistry(dir), ref ?? 'champion', name);
        io.out(
          json
            ? JSON.stringify({ name: r.name, aliases: r.model.aliases, ...r.version }, null, 2)
            : versionText(r.name, r.model, r.version),
        );
        return 0;
      }
      case 'history': {
        const reg = loadRegistry(dir);
        const events = modelEntry(reg, name)?.history ?? [];
        io.out(json ? JSON.stringify(events, null, 2) : historyText(name, events));
        return 0;
      }
      case 'verify': {
        if (!ref) {
          const reg = loadRegistry(dir);
          const models = Object.entries(reg.models);
          const versions = models.reduce((n, [, m]) => n + m.versions.length, 0);
          const summary = {
            models: models.length,
            versions,
            events: models.reduce((n, [, m]) => n + m.history.length, 0),
            consistent: true,
          };
          io.out(
            json
              ? JSON.stringify(summary, null, 2)
              : `${dir}: ${summary.models} model${summary.models === 1 ? '' : 's'}, ${versions} version${versions === 1 ? '' : 's'}, ${summary.events} history events: versions, folders, bundles and history agree`,
          );
          return 0;
        }
        if (!args.values.json) io.err(`• retraining ${ref} from its lineage record in a temporary git worktree`);
        const r = await verifyVersion({ dir, ref, defaultName: name, config: loaded.config, baseDir: loaded.baseDir });
        if (json) io.out(JSON.stringify(r, null, 2));
        else {
          io.out(
            [
              `${r.name}@v${r.version}: ${r.reproduced ? 'REPRODUCED' : 'NOT REPRODUCED'} at commit ${r.commit.slice(0, 12)}`,
              `  registered ${r.expected}`,
              `  retrained  ${r.actual}`,
              ...(r.reproduced ? [] : [`  differs in: ${r.differences.join(', ') || '(digest only)'}`]),
              ...r.notes.map((n) => `  note: ${n}`),
            ].join('\n'),
          );
        }
        return r.reproduced ? 0 : 1;
      }
      default:
        throw usageError(`unknown registry subcommand "${sub}" (use list, show, history or verify)`);
    }
  },
};

/** The config and the registry folder it names. */
export function registryContext(args: ParsedArgs, io: CliIO): { loaded: LoadedConfig; dir: string } {
  const loaded = loadConfig((args.values.config as string | undefined) ?? null, io.cwd);
  return { loaded, dir: registryDir(loaded.config, loaded.baseDir) };
}

/** Options shared by commands that write history events and commits. */
export const historyOptions: Command['options'] = {
  actor: { type: 'string' },
  'ci-run-url': { type: 'string' },
};

export const commitOptions: Command['options'] = {
  commit: { type: 'boolean' },
  push: { type: 'boolean' },
  remote: { type: 'string' },
  branch: { type: 'string' },
  author: { type: 'string' },
  'max-attempts': { type: 'string' },
};

export const commitHelp = `  --commit            commit the registry folder (only it) to git
  --push              also push; when another writer pushed first, re-apply on the new
                      tip and retry with backoff (implies --commit)
  --remote NAME       remote to push to (default origin)
  --branch NAME       branch to push to (default the current branch)
  --author "N <e>"    commit identity (default $MLOPS_COMMIT_AUTHOR, else
                      ${DEFAULT_AUTHOR.name} <${DEFAULT_AUTHOR.email}>)
  --max-attempts N    push attempts in all (default registry.push_attempts, 5)
  --actor NAME        who is acting, for the history (default $GITHUB_ACTOR, else git user.name)
  --ci-run-url URL    CI run link for the history (default from GITHUB_SERVER_URL,
                      GITHUB_REPOSITORY and GITHUB_RUN_ID when set)`;

/** Who is acting: --actor, the CI's actor, the git identity, or the OS user. */
export function actorFrom(args: ParsedArgs, cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const flag = args.values.actor as string | undefined;
  if (flag?.trim()) return flag.trim();
  if (env.GITHUB_ACTOR) return env.GITHUB_ACTOR;
  const name = gitUserName(cwd);
  if (name) return name;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export function ciRunUrlFrom(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): string | null {
  return (
    (args.values['ci-run-url'] as string | undefined) ??
    ciRunUrl(env.GITHUB_SERVER_URL, env.GITHUB_REPOSITORY, env.GITHUB_RUN_ID)
  );
}

export function authorFrom(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): GitAuthor {
  const text = (args.values.author as string | undefined) ?? env.MLOPS_COMMIT_AUTHOR;
  if (!text) return DEFAULT_AUTHOR;
  const a = parseAuthor(text);
  if (!a) throw usageError(`--author must look like "Name <email@example.com>" (got ${JSON.stringify(text)})`);
  return a;
}

/** `commit`, and the push settings every committing command passes on as they are. */
export function commitFlags(
  args: ParsedArgs,
  loaded: LoadedConfig,
): {
  commit: boolean;
  push: boolean;
  remote?: string;
  branch?: string | null;
  author: GitAuthor;
  maxAttempts: number;
  backoffMs: number;
} {
  const v = args.values;
  let maxAttempts = loaded.config.registry.push_attempts;
  if (v['max-attempts'] !== undefined) {
    maxAttempts = Number(v['max-attempts']);
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 50)
      throw usageError(`--max-attempts must be a whole number from 1 to 50 (got ${JSON.stringify(v['max-attempts'])})`);
  }
  const push = Boolean(v.push);
  return {
    commit: push || Boolean(v.commit),
    push,
    remote: v.remote as string | undefined,
    branch: (v.branch as string | undefined) ?? null,
    author: authorFrom(args),
    maxAttempts,
    backoffMs: loaded.config.registry.push_backoff_ms,
  };
}
