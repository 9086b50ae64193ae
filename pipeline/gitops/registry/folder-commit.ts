/**
 * Commits a folder of derived files (a promoted version's model card and charts under
 * reports/) after the registry commit, and pushes it. The folder is new and belongs to
 * exactly one version, so when another writer moved the branch a rebase onto the new tip
 * re-applies it (git/push.ts); the registry's own commit is already safe on the remote.
 */
import { relative, resolve } from 'node:path';
import { MlopsError } from '../../core/index.ts';
import { authorEnv, DEFAULT_AUTHOR } from '../git/identity.ts';
import { pushWithRetry, rebaseOnto } from '../git/push.ts';
import { git, gitOk } from '../git/run.ts';
import type { CommitOptions } from './commit.ts';

export async function commitFolder(
  folder: string,
  message: string,
  opts: CommitOptions,
): Promise<{ commit: string; pushed: boolean; attempts: number }> {
  const root = await gitOk(['rev-parse', '--show-toplevel'], resolve(folder, '..'));
  const rel = relative(root, resolve(folder));
  const env = authorEnv(opts.author ?? DEFAULT_AUTHOR);
  await gitOk(['add', '-A', '--', rel], root);
  const c = await git(
    ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', message, '--', rel],
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
