/**
 * Pushing with the project's one push-rejection rule. When another writer moved the
 * branch first — git's `! [rejected] … (fetch first)` / non-fast-forward, or a server
 * that lost the race on its ref lock (`! [remote rejected] … (failed to update ref)`,
 * `cannot lock ref`) — we fetch, re-apply our change on the new tip and push again, with
 * exponential backoff up to a bound. Any other refusal (authentication, branch
 * protection, a hook with a policy) is final at once. A change that cannot be re-applied
 * on the new tip is final too, and the error says so; nothing is ever force-merged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MlopsError } from '../../core/index.ts';
import { git, gitOk } from './run.ts';

/** True when a push failed because someone else updated the branch first (see the module comment). */
export function isRetryablePushRejection(output: string): boolean {
  return /\(fetch first\)|non-fast-forward|failed to update ref|cannot lock ref|stale info|incorrect old value|failed to lock/i.test(
    output,
  );
}

export interface PushAttempt {
  attempt: number;
  phase: 'committed' | 'rejected' | 'pushed';
  commit: string;
  detail?: string;
}

export interface PushOptions {
  /** The checkout's top level. */
  root: string;
  remote: string;
  branch: string;
  /** For a branch that is ours alone and rebuilt every time (never a shared branch). */
  force?: boolean;
  /** Attempts in all, including the first (default 5). */
  maxAttempts?: number;
  /** First backoff delay in ms, doubled each retry with jitter (default 1000). */
  backoffMs?: number;
  /** What is being pushed, for messages ("the registry change"). */
  what: string;
  /**
   * Moves the local change onto `tip` (the branch as the remote has it now, fetched) and
   * commits it again; throws when that is impossible (a conflict), which ends the push.
   */
  reapply: (tip: string, attempt: number) => Promise<void>;
  /** Puts the checkout back after a final failure; says where it left things. */
  restore: () => Promise<string>;
  /** Progress, awaited: `committed` comes right before each push. */
  onAttempt?: (info: PushAttempt) => void | Promise<void>;
  /** Appended to the message when every attempt lost the race. */
  giveUpHint?: string;
}

/** Pushes HEAD to `branch`, re-applying on a moved branch; returns the pushed commit and attempts made. */
export async function pushWithRetry(o: PushOptions): Promise<{ commit: string; attempts: number }> {
  const maxAttempts = Math.max(1, o.maxAttempts ?? 5);
  const backoff = o.backoffMs ?? 1000;
  const target = `${o.remote} ${o.branch}`;
  const fail = async (message: (state: string) => string): Promise<never> => {
    throw new MlopsError('state', message(await o.restore()));
  };
  for (let attempt = 1; ; attempt++) {
    const commit = await gitOk(['rev-parse', 'HEAD'], o.root);
    await o.onAttempt?.({ attempt, phase: 'committed', commit });
    const p = await git(
      ['push', '--porcelain', ...(o.force ? ['--force'] : []), o.remote, `HEAD:refs/heads/${o.branch}`],
      o.root,
    );
    if (p.code === 0) {
      await o.onAttempt?.({ attempt, phase: 'pushed', commit });
      return { commit, attempts: attempt };
    }
    const output = `${p.stdout}\n${p.stderr}`.trim();
    if (!isRetryablePushRejection(output))
      return fail(
        (state) =>
          `git push to ${target} was refused and retrying would not help:\n${output}\nNothing was pushed; ${state}.`,
      );
    await o.onAttempt?.({ attempt, phase: 'rejected', commit, detail: output });
    if (attempt >= maxAttempts)
      return fail(
        (state) =>
          `gave up after ${attempt} attempts: every push to ${target} lost a race with another writer (last: ${lastLine(output)}). Nothing was pushed; ${state}.${o.giveUpHint ? ` ${o.giveUpHint}` : ''}`,
      );
    await sleep(Math.round(backoff * 2 ** (attempt - 1) * (0.5 + Math.random() / 2)));
    const f = await git(
      ['fetch', '-q', o.remote, `+refs/heads/${o.branch}:refs/remotes/${o.remote}/${o.branch}`],
      o.root,
    );
    if (f.code !== 0)
      return fail((state) => `git fetch ${target} failed after a rejected push: ${f.stderr.trim()}; ${state}.`);
    const tip = await gitOk(['rev-parse', `refs/remotes/${o.remote}/${o.branch}`], o.root);
    try {
      await o.reapply(tip, attempt + 1);
    } catch (e) {
      const why = (e as Error).message;
      return fail(
        (state) =>
          `cannot re-apply ${o.what} on top of ${o.remote}/${o.branch} (attempt ${attempt + 1}): ${why} Nothing was pushed; ${state}.`,
      );
    }
  }
}

/**
 * Replays the local commits that `tip` lacks on top of it (`git rebase`), committing as
 * `env` says. A conflict aborts the rebase and throws: the commits cannot be re-applied.
 */
export async function rebaseOnto(root: string, tip: string, env: Record<string, string>): Promise<void> {
  const r = await git(['-c', 'commit.gpgsign=false', 'rebase', '-q', tip], root, env);
  if (r.code === 0) return;
  const conflicts = (await git(['diff', '--name-only', '--diff-filter=U'], root)).stdout.trim().split('\n');
  await git(['rebase', '--abort'], root);
  throw new MlopsError(
    'state',
    `our commits conflict with the new tip ${tip.slice(0, 7)}${conflicts[0] ? ` in ${conflicts.join(', ')}` : ''}: ${lastLine(r.stderr || r.stdout)}.`,
  );
}

const lastLine = (s: string): string => s.trim().split('\n').filter(Boolean).at(-1) ?? s;
