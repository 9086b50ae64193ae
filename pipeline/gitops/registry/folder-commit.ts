/**
 * Commits derived files (a promoted version's report under reports/ and its card.md) after
 * the registry commit, and pushes them. They belong to exactly one version, so when another
 * writer moved the branch a rebase onto the new tip re-applies them (git/push.ts); the
 * registry's own commit is already safe on the remote.
 */
import { relative, resolve } from 'node:path';
import { MlopsError } from '../../core/index.ts';
import { authorEnv, DEFAULT_AUTHOR } from '../git/identity.ts';
import { pushWithRetry, rebaseOnto } from '../git/push.ts';
import { git, gitOk } from '../git/run.ts';
import type { CommitOptions } from './commit.ts';

export async function commitFolder(
  paths: string[],
  message: string,
  opts: CommitOptions,
): Promise<{ commit: string; pushed: boolean; attempts: number }> {
  const root = await gitOk(['rev-parse', '--show-toplevel'], resolve(paths[0], '..'));
  const rels = paths.map((p) => relative(root, resolve(p)));
  const rel = rels.join(', ');
  const env = authorEnv(opts.author ?? DEFAULT_AUTHOR);
  await gitOk(['add', '-A', '--', ...rels], root);
  const c = await git(
    ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', message, '--', ...rels],
    root,
    env,
  );
  if (c.code !== 0) throw new MlopsError('state', `git commit of ${rel} failed: ${(c.stderr || c.stdout).trim()}`);
  const commit = await gitOk(['rev-parse', 'HEAD'], root);
  if (!opts.push) return { commit, pushed: false, attempts: 1 };
  const branch = opts.branch ?? (await gitOk(['symbolic-ref', '--short', 'HEAD'], root));
  const pushed = await pushWithRetry({
    root,
    remote: opts.remote ?? 'origin',
    branch,
    maxAttempts: opts.maxAttempts,
    backoffMs: opts.backoffMs,
    what: rel,
    onAttempt: opts.onAttempt,
    reapply: (tip) => rebaseOnto(root, tip, env),
    restore: async () => `the commit ${commit.slice(0, 7)} of ${rel} stays local`,
  });
  return { commit: pushed.commit, pushed: true, attempts: pushed.attempts };
}
