/** A temporary detached worktree of another commit, removed afterwards (scoring or rebuilding old code). */
import { MlopsError } from '../../core/index.ts';
import { git } from './run.ts';

/**
 * Checks `ref` out at `path` (a folder that does not exist yet), runs `fn` there and
 * removes the worktree whatever happens. `cannotCheckOut` words the error when `ref`
 * cannot be checked out (it gets git's message).
 */
export async function withWorktree<T>(
  root: string,
  ref: string,
  path: string,
  fn: () => Promise<T>,
  cannotCheckOut: (gitMessage: string) => string = (m) => `cannot check out ${ref}: ${m}`,
): Promise<T> {
  const add = await git(['worktree', 'add', '--detach', '-q', path, ref], root);
  if (add.code !== 0) throw new MlopsError('input', cannotCheckOut((add.stderr || add.stdout).trim()));
  try {
    return await fn();
  } finally {
    await git(['worktree', 'remove', '--force', path], root);
    await git(['worktree', 'prune'], root);
  }
}
