/**
 * The cluster follows the registry: pin the champion's image digest in the configured
 * kustomize overlays and put that change in git, the state an Argo CD or Flux sync reads.
 * Two ways, per `release.pin`:
 *   commit        commit the overlays on the current branch and push, re-applied on the
 *                 new tip when another writer pushed first (as registry commits are);
 *   pull-request  commit on top of HEAD without touching the working tree or the branch,
 *                 force-push the bot's pin branch, and return the pull request to open
 *                 (title, body, head, base) — opening it is the GitHub adapter's job.
 * An overlay that already pins the digest is left alone, so a second run changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { MlopsError, writeFileAtomic } from '../../core/index.ts';
import { commitRegistryChange, type CommitOptions } from '../registry/commit.ts';
import { authorEnv, DEFAULT_AUTHOR } from '../git/identity.ts';
import { git, gitOk } from '../git/run.ts';
import { overlaysDir, pinnedOverlay, type ImagePin } from './render.ts';

export interface PinTarget extends ImagePin {
  model: string;
  version: number;
}

export interface PinOptions extends CommitOptions {
  /** Project folder holding deploy/k8s/overlays/. */
  root: string;
  overlays: string[];
  target: PinTarget;
  mode: 'commit' | 'pull-request';
  /** The bot's branch for pull-request mode. */
  prBranch: string;
  /** Commit (commit mode) or push the pin branch (pull-request mode); otherwise only write the files. */
  commit?: boolean;
}

export interface PinPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
}

export interface PinResult {
  /** Overlays whose pin changed (empty: every overlay already pinned the digest). */
  changed: string[];
  commit: string | null;
  pushed: boolean;
  pullRequest: PinPullRequest | null;
}

export function pinMessage(t: PinTarget, envs: string[]): { title: string; body: string } {
  return {
    title: `deploy: pin ${t.model} v${t.version} image ${t.digest.slice(0, 19)}… in ${envs.join(', ')}`,
    body: [
      `The registry's champion is ${t.model} v${t.version}; its image is ${t.image}@${t.digest}.`,
      `Overlays: ${envs.map((e) => `deploy/k8s/overlays/${e}`).join(', ')}.`,
      '',
      'Written by `mlops release pin`: a GitOps controller (Argo CD, Flux) syncing these overlays deploys exactly this image.',
    ].join('\n'),
  };
}

function changes(o: PinOptions): { env: string; file: string; after: string }[] {
  return o.overlays
    .map((env) => ({ env, ...pinnedOverlay(o.root, env, o.target) }))
    .filter((x) => x.after !== x.before)
    .map(({ env, file, after }) => ({ env, file, after }));
}

export async function pinOverlays(o: PinOptions): Promise<PinResult> {
  if (o.overlays.length === 0)
    throw new MlopsError('config', 'release.overlays is empty: name the overlays the champion is pinned in');
  const first = changes(o);
  const none: PinResult = { changed: [], commit: null, pushed: false, pullRequest: null };
  if (first.length === 0) return none;
  const envs = first.map((c) => c.env);
  if (!o.commit) {
    for (const c of first) writeFileAtomic(c.file, c.after);
    return { ...none, changed: envs };
  }
  if (o.mode === 'commit') {
    const out = await commitRegistryChange(overlaysDir(o.root), { ...o, what: 'overlay' }, () => {
      // Re-read on every attempt: after another writer's push the overlays are theirs.
      const now = changes(o);
      if (now.length === 0) throw new MlopsError('state', 'the overlays already pin this image on the new tip');
      for (const c of now) writeFileAtomic(c.file, c.after);
      const m = pinMessage(
        o.target,
        now.map((c) => c.env),
      );
      return { result: now.map((c) => c.env), message: `${m.title}\n\n${m.body}\n` };
    });
    return { changed: out.result, commit: out.commit, pushed: out.pushed, pullRequest: null };
  }
  return pinPullRequest(o, first);
}

/** Builds the pin commit on HEAD in a private index (the working tree and branch stay as they are) and force-pushes the pin branch. */
async function pinPullRequest(o: PinOptions, list: { env: string; file: string; after: string }[]): Promise<PinResult> {
  const root = await gitOk(['rev-parse', '--show-toplevel'], o.root);
  const base = o.branch ?? (await git(['symbolic-ref', '--short', '-q', 'HEAD'], root)).stdout.trim();
  if (!base)
    throw new MlopsError('usage', 'HEAD is detached: name the base branch of the pin pull request with --branch NAME');
  const tmp = mkdtempSync(join(tmpdir(), 'mlops-pin-'));
  const index = { GIT_INDEX_FILE: join(tmp, 'index') };
  try {
    await gitOk(['read-tree', 'HEAD'], root, index);
    for (const c of list) {
      const blobFile = join(tmp, 'blob');
      writeFileSync(blobFile, c.after);
      const blob = await gitOk(['hash-object', '-w', blobFile], root);
      await gitOk(['update-index', '--add', '--cacheinfo', `100644,${blob},${relative(root, c.file)}`], root, index);
    }
    const tree = await gitOk(['write-tree'], root, index);
    const m = pinMessage(
      o.target,
      list.map((c) => c.env),
    );
    const commit = await gitOk(
      ['commit-tree', tree, '-p', 'HEAD', '-m', `${m.title}\n\n${m.body}\n`],
      root,
      authorEnv(o.author ?? DEFAULT_AUTHOR),
    );
    const remote = o.remote ?? 'origin';
    const p = await git(['push', '--porcelain', '--force', remote, `${commit}:refs/heads/${o.prBranch}`], root);
    if (p.code !== 0)
      throw new MlopsError(
        'state',
        `git push of the pin branch ${o.prBranch} to ${remote} failed:\n${(p.stderr || p.stdout).trim()}`,
      );
    return {
      changed: list.map((c) => c.env),
      commit,
      pushed: true,
      pullRequest: { head: o.prBranch, base, ...m },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
