/**
 * Race-safe registry commits. A registry change is applied as data, committed (only the
 * registry folder) and pushed. When the push is rejected because another writer moved
 * the branch, we fetch, move to the new tip (`git reset --keep`, which refuses to touch
 * files with local edits), re-read the registry there and apply the change again as
 * data — a new version number, the gate re-checked against the champion found there —
 * then commit and push again (the push and its retry rule: git/push.ts). registry.json is
 * never merged as text, so no writer's version is ever lost. If the change cannot be
 * re-applied, the branch goes back to where it started and the working tree is clean.
 */
import { relative, resolve } from 'node:path';
import { MlopsError, isMlopsError, signed } from '../../core/index.ts';
import { DEFAULT_AUTHOR, authorEnv, type GitAuthor } from '../git/identity.ts';
import { pushWithRetry, type PushAttempt } from '../git/push.ts';
import { git, gitOk } from '../git/run.ts';
import { evaluationParts } from '../run/evaluation-rows.ts';
import { loadChallenger } from './challenger.ts';
import { existingAncestor, promoteRun, type PromoteOptions, type PromoteResult } from './promote.ts';
import { rollback, type RollbackOptions, type RollbackResult } from './rollback.ts';
import type { Verdict } from './verdict.ts';

export interface CommitOptions {
  /** Push after committing (default false: commit only). */
  push?: boolean;
  remote?: string;
  /** Branch to push to; default the current branch. */
  branch?: string | null;
  /** Commit identity; default github-actions[bot]. */
  author?: GitAuthor;
  /** What the folder holds, for messages (default "registry"; "overlay" for image pins). */
  what?: string;
  /** Attempts in all, including the first (default 5). */
  maxAttempts?: number;
  /** First backoff delay in ms, doubled each retry with jitter (default 1000). */
  backoffMs?: number;
  /** Progress callback, awaited: `committed` comes right before the push. */
  onAttempt?: (info: PushAttempt) => void | Promise<void>;
}

export interface CommitOutcome {
  /** The registry commit (pushed, when push was asked). */
  commit: string;
  pushed: boolean;
  attempts: number;
  branch: string | null;
}

/**
 * Applies `apply(attempt)` in the checkout holding `dir`, commits the registry folder and
 * pushes with retries. `apply` must (re-)read the registry itself each time.
 */
export async function commitRegistryChange<T>(
  dir: string,
  opts: CommitOptions,
  apply: (attempt: number) => { result: T; message: string },
): Promise<CommitOutcome & { result: T }> {
  const what = opts.what ?? 'registry';
  const cwd = existingAncestor(dir);
  const top = await git(['rev-parse', '--show-toplevel'], cwd);
  if (top.code !== 0) throw new MlopsError('state', `${dir} is not inside a git checkout; --commit needs one`);
  const root = top.stdout.trim();
  const rel = relative(root, resolve(dir)) || '.';
  const head = await git(['rev-parse', '--verify', '-q', 'HEAD'], root);
  if (head.code !== 0)
    throw new MlopsError('state', `${root} has no commits yet; make a first commit before committing to the registry`);
  const origHead = head.stdout.trim();
  const dirty = (await gitOk(['status', '--porcelain', '--untracked-files=all', '--', rel], root)).trim();
  if (dirty)
    throw new MlopsError(
      'state',
      `the ${what} folder ${rel}/ has uncommitted changes; commit or discard them first:\n${dirty}`,
    );
  const remote = opts.remote ?? 'origin';
  let branch = opts.branch ?? null;
  if (!branch) {
    const b = await git(['symbolic-ref', '--short', '-q', 'HEAD'], root);
    branch = b.code === 0 ? b.stdout.trim() : null;
  }
  if (opts.push && !branch)
    throw new MlopsError('usage', 'HEAD is detached: name the branch to push to with --branch NAME');
  const env = authorEnv(opts.author ?? DEFAULT_AUTHOR);

  const restore = async (): Promise<string> => {
    // The folder was clean when we started, so whatever is uncommitted there is
    // ours: drop it first, so that --keep (which guards everybody else's edits) can move.
    await git(['checkout', '-q', 'HEAD', '--', rel], root);
    await git(['clean', '-fdq', '--', rel], root);
    const r = await git(['reset', '-q', '--keep', origHead], root);
    await git(['clean', '-fdq', '--', rel], root);
    return r.code === 0
      ? `the branch is back at ${origHead.slice(0, 7)} and the working tree is clean`
      : `could not move back to ${origHead.slice(0, 7)}: ${r.stderr.trim()}`;
  };

  let applied!: { result: T; message: string };
  const applyAndCommit = async (attempt: number): Promise<void> => {
    applied = apply(attempt);
    await gitOk(['add', '-A', '--', rel], root);
    const c = await git(
      ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', applied.message, '--', rel],
      root,
      env,
    );
    if (c.code !== 0) throw new MlopsError('state', `git commit failed: ${(c.stderr || c.stdout).trim()}`);
  };

  try {
    await applyAndCommit(1);
  } catch (e) {
    const state = await restore();
    if (isMlopsError(e) && e.message.startsWith('git commit failed'))
      throw new MlopsError('state', `${e.message}; ${state}`);
    throw e;
  }
  if (!opts.push)
    return {
      commit: await gitOk(['rev-parse', 'HEAD'], root),
      pushed: false,
      attempts: 1,
      branch,
      result: applied.result,
    };
  const pushed = await pushWithRetry({
    root,
    remote,
    branch: branch!,
    maxAttempts: opts.maxAttempts,
    backoffMs: opts.backoffMs,
    what: `the ${what} change`,
    onAttempt: opts.onAttempt,
    restore,
    giveUpHint: `Run the ${what === 'registry' ? 'promotion' : 'command'} again.`,
    // Re-applied as data on the new tip, never merged as text.
    reapply: async (tip, attempt) => {
      if ((await git(['merge-base', '--is-ancestor', origHead, tip], root)).code !== 0)
        throw new Error(
          `the local branch has commits that ${remote}/${branch} (${tip.slice(0, 7)}) does not have; pull or rebase them first, then try again.`,
        );
      const mv = await git(['reset', '-q', '--keep', tip], root);
      if (mv.code !== 0)
        throw new Error(
          `cannot move to ${remote}/${branch} (${tip.slice(0, 7)}): ${mv.stderr.trim()}; commit or stash local edits first.`,
        );
      await applyAndCommit(attempt);
    },
  });
  return { commit: pushed.commit, pushed: true, attempts: pushed.attempts, branch, result: applied.result };
}

export interface PromoteAndCommitResult extends CommitOutcome {
  decision: Verdict['decision'];
  /** The version this promotion registered (null when the challenger was rejected without registering). */
  version: number | null;
  champion: number | null;
  verdict: Verdict;
  promotion: PromoteResult;
}

/**
 * `promoteRun` + commit + push with race-safe retries. On a re-application the gate is
 * re-checked against the champion found at the new tip; a version approved on the first
 * attempt stays registered even if the new champion now wins (alias `challenger`).
 */
export async function promoteAndCommit(opts: PromoteOptions & CommitOptions): Promise<PromoteAndCommitResult> {
  const challenger = typeof opts.challenger === 'string' ? loadChallenger(opts.challenger) : opts.challenger;
  // Read the evaluation rows once, before any move to another tip can change the data files.
  const rows =
    opts.rows ?? evaluationParts(challenger.bundle, challenger.record, opts.baseDir, opts.config.promotion.golden_path);
  let first: Verdict['decision'] | null = null;
  const out = await commitRegistryChange(opts.dir, opts, (attempt) => {
    const r = promoteRun({
      ...opts,
      challenger,
      rows,
      gitCommit: opts.gitCommit,
      registerOnKeep: attempt > 1 && first === 'promote',
      note:
        attempt > 1
          ? `re-applied on attempt ${attempt} after another writer updated the registry`
          : (opts.note ?? null),
    });
    if (attempt === 1) first = r.decision;
    return { result: r, message: promotionMessage(r, opts.ciRunUrl ?? null) };
  });
  const r = out.result;
  return {
    commit: out.commit,
    pushed: out.pushed,
    attempts: out.attempts,
    branch: out.branch,
    decision: r.decision,
    version: r.version,
    champion: r.champion,
    verdict: r.verdict,
    promotion: r,
  };
}

export async function rollbackAndCommit(
  opts: RollbackOptions & CommitOptions,
): Promise<CommitOutcome & { rollback: RollbackResult }> {
  const out = await commitRegistryChange(opts.dir, opts, () => {
    const r = rollback(opts);
    return {
      result: r,
      message: `registry: roll back ${r.name} champion v${r.from} → v${r.to}\n\nReason: ${opts.reason}\nActor: ${opts.actor}${opts.ciRunUrl ? `\nCI run: ${opts.ciRunUrl}` : ''}\n`,
    };
  });
  return { commit: out.commit, pushed: out.pushed, attempts: out.attempts, branch: out.branch, rollback: out.result };
}

/** The commit message: model, version and the metric deltas a reviewer wants in `git log`. */
export function promotionMessage(r: PromoteResult, ciRunUrl: string | null): string {
  const v = r.verdict;
  const deltas = v.rules
    .filter(
      (x) =>
        (x.kind === 'primary' || x.kind === 'guardrail') &&
        !x.id.endsWith(':relative') &&
        x.champion !== null &&
        x.challenger !== null,
    )
    .map((x) => `${x.metric} ${signed(x.challenger! - x.champion!)}`);
  const primary = v.rules.find((x) => x.kind === 'primary')?.metric ?? null;
  const firstValue = primary ? v.metrics.challenger[primary] : null;
  const what = deltas.length
    ? deltas.join(', ')
    : primary && firstValue != null
      ? `first model, ${primary} ${firstValue.toFixed(4)}`
      : 'no comparison';
  let subject: string;
  if (r.decision === 'promote')
    subject = `registry: promote ${r.name} v${r.version}${v.forced ? ' (forced)' : ''} (${what})`;
  else if (r.version !== null)
    subject = `registry: register ${r.name} v${r.version} as challenger, champion v${r.champion} kept (${what})`;
  else subject = `registry: ${r.name} challenger rejected by the gate (${what})`;
  const body = [
    `Verdict: ${v.summary}`,
    r.previousChampion !== r.champion
      ? `Champion: ${r.previousChampion ? `v${r.previousChampion}` : 'none'} → v${r.champion}`
      : `Champion: ${r.champion ? `v${r.champion}` : 'none'} (unchanged)`,
    `Model: ${v.challenger.digest}`,
    v.challenger.run_id ? `Run: ${v.challenger.run_id}` : null,
    v.forced ? `Forced: ${v.forced.reason}` : null,
    ciRunUrl ? `CI run: ${ciRunUrl}` : null,
  ].filter(Boolean);
  return `${subject}\n\n${body.join('\n')}\n`;
}
