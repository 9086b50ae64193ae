/**
 * Commits a folder of derived files (a promoted version's model card and charts under
 * reports/) after the registry commit, and pushes it. The folder is new and belongs to
 * exactly one version, so when another writer moved the branch a plain rebase onto the
 * new tip can never conflict; the registry's own commit is already safe on the remote.
 */
import { relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MlopsError } from '../../core/index.ts';
import { authorEnv, DEFAULT_AUTHOR, git, gitOk, isRetryablePushRejection } from './git.ts';
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
  if (!opts.push) return { commit: await gitOk(['rev-parse', 'HEAD'], root), pushed: false, attempts: 1 };
  const remote = opts.remote ?? 'origin';
  const branch = opts.branch ?? (await gitOk(['symbolic-ref', '--short', 'HEAD'], root));
  const maxAttempts = opts.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const p = await git(['push', '--porcelain', remote, `HEAD:refs/heads/${branch}`], root);
    if (p.code === 0) return { commit: await gitOk(['rev-parse', 'HEAD'], root), pushed: true, attempts: attempt };
    const output = `${p.stdout}\n${p.stderr}`.trim();
    if (!isRetryablePushRejection(output) || attempt >= maxAttempts) {
      throw new MlopsError(
        'state',
        `git push of ${rel} to ${remote} ${branch} failed after ${attempt} attempt(s):\n${output}`,
      );
    }
    await sleep(Math.round((opts.backoffMs ?? 1000) * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
    const r = await git(['pull', '-q', '--rebase', remote, branch], root, env);
    if (r.code !== 0) {
      await git(['rebase', '--abort'], root);
      throw new MlopsError(
        'state',
        `could not rebase ${rel} onto ${remote}/${branch}: ${(r.stderr || r.stdout).trim()}`,
      );
    }
  }
}
