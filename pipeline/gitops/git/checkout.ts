/**
 * Read-only facts about a checkout: where its top level is, the commit it stands on
 * (with whether tracked files differ and the commit time, which the model bundle's
 * provenance records), and files as an older commit had them.
 */
import { gitSync, gitSyncText } from './run.ts';

/** The commit a checkout stands on; all null outside git. */
export interface CheckoutState {
  commit: string | null;
  /** Tracked files differ from the commit (untracked files do not count). */
  dirty: boolean | null;
  /** Commit time, ISO 8601 UTC. */
  time: string | null;
}

export function checkoutState(cwd: string): CheckoutState {
  const commit = gitSyncText(['rev-parse', 'HEAD'], cwd);
  if (!commit) return { commit: null, dirty: null, time: null };
  const status = gitSyncText(['status', '--porcelain', '--untracked-files=no'], cwd);
  const time = gitSyncText(['show', '-s', '--format=%cI', 'HEAD'], cwd);
  return {
    commit,
    dirty: status === null ? null : status.length > 0,
    time: time ? new Date(time).toISOString() : null,
  };
}

/** The top level of the checkout holding `cwd`, or null outside git. */
export function topLevel(cwd: string): string | null {
  return gitSyncText(['rev-parse', '--show-toplevel'], cwd) || null;
}

/** A file's bytes at commit `rev` (`path` from the top level), or null. */
export function fileAt(cwd: string, rev: string, path: string): Buffer | null {
  return gitSync(['show', `${rev}:${path}`], cwd);
}

/** The newest `max` commits that changed `path` (from the top level), newest first. */
export function commitsTouching(cwd: string, path: string, max: number): string[] {
  return (gitSyncText(['log', `-n${max}`, '--format=%H', '--', path], cwd) ?? '').split('\n').filter(Boolean);
}
