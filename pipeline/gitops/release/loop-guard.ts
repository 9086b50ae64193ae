/**
 * The loop guard. Bot commits that only record state — the registry (promotions,
 * sign-offs), the promoted versions' reports and the overlay pins — start CI when they are
 * pushed with a GitHub App token. Training on such a push would register again and loop,
 * so CI asks whether a push changed nothing but state: then training is skipped and only
 * reconcile runs (it is how a bot's registry commit gets its image).
 */
import { posix, relative } from 'node:path';
import type { MlopsConfig } from '../../core/index.ts';
import { git } from '../git/run.ts';

/** Folders, relative to the git root, that hold only state written by the release machinery. */
export function stateFolders(config: MlopsConfig, projectFromRoot: string): string[] {
  const at = (p: string): string => posix.normalize(posix.join(projectFromRoot || '.', p)).replace(/\/+$/, '');
  return [at(config.registry.path), at(`reports/${config.model_name}`), at('deploy/k8s/overlays')];
}

/** True when every changed path lies in a state folder (and something changed). */
export function isStateOnly(changed: string[], folders: string[]): boolean {
  return changed.length > 0 && changed.every((p) => folders.some((f) => p === f || p.startsWith(`${f}/`)));
}

export interface StateOnlyAnswer {
  stateOnly: boolean;
  /** One line for the log: what changed, or why the answer is "train". */
  reason: string;
}

/**
 * Whether the push from `before` to `after` changed state only. Unknown (a new branch, a
 * `before` missing from the clone after a force-push) counts as a code change: train.
 */
export async function pushIsStateOnly(
  config: MlopsConfig,
  baseDir: string,
  before: string,
  after = 'HEAD',
): Promise<StateOnlyAnswer> {
  const top = await git(['rev-parse', '--show-toplevel'], baseDir);
  if (top.code !== 0) return { stateOnly: false, reason: `${baseDir} is not a git checkout: train` };
  const root = top.stdout.trim();
  if (/^0*$/.test(before)) return { stateOnly: false, reason: 'no commit before the push (a new branch): train' };
  const known = await git(['cat-file', '-e', `${before}^{commit}`], root);
  if (known.code !== 0)
    return { stateOnly: false, reason: `${before.slice(0, 12)} is not in this clone (force-push or shallow): train` };
  const diff = await git(['diff', '--name-only', '--no-renames', before, after], root);
  if (diff.code !== 0) return { stateOnly: false, reason: `git diff failed (${diff.stderr.trim()}): train` };
  const changed = diff.stdout.split('\n').filter(Boolean);
  const folders = stateFolders(config, relative(root, baseDir).split('\\').join('/'));
  const stateOnly = isStateOnly(changed, folders);
  return {
    stateOnly,
    reason: stateOnly
      ? `only state changed (${changed.length} file(s) under ${folders.join(', ')}): skip training, reconcile`
      : changed.length === 0
        ? 'nothing changed: train'
        : `code or data changed (e.g. ${changed.find((p) => !isStateOnly([p], folders))}): train`,
  };
}
