/** Commits chosen paths of a checkout (and nothing else) with a given identity. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MlopsError } from '../../core/index.ts';
import { authorEnv, type GitAuthor } from './identity.ts';
import { git, gitOk } from './run.ts';

/** The top level of the checkout holding `cwd`; a `state` error saying `why` git is needed otherwise. */
export async function gitRoot(cwd: string, why: string): Promise<string> {
  const r = await git(['rev-parse', '--show-toplevel'], cwd);
  if (r.code !== 0) throw new MlopsError('state', `${cwd} is not inside a git checkout; ${why}`);
  return r.stdout.trim();
}

/**
 * Commits every change (additions, edits, deletions) under `paths` on HEAD, relative to
 * `cwd`. Returns the new commit, or null when those paths hold no change.
 */
export async function commitPaths(
  cwd: string,
  paths: string[],
  message: string,
  author: GitAuthor,
): Promise<string | null> {
  const root = await gitRoot(cwd, 'the change is committed and needs one');
  // A pathspec that matches nothing is an error to git: keep paths that exist or were tracked.
  const present: string[] = [];
  for (const p of paths) {
    if (existsSync(resolve(cwd, p)) || (await git(['ls-files', '--', p], cwd)).stdout.trim() !== '') present.push(p);
  }
  if (present.length === 0) return null;
  await gitOk(['add', '-A', '--', ...present], cwd);
  const staged = await git(['diff', '--cached', '--quiet', '--', ...present], cwd);
  if (staged.code === 0) return null;
  await gitOk(
    ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', message, '--', ...present],
    cwd,
    authorEnv(author),
  );
  return gitOk(['rev-parse', 'HEAD'], root);
}
