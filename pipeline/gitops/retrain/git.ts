/**
 * The few git steps scheduled retraining needs: commit chosen paths on the current
 * HEAD, and push HEAD to a branch. Identity and messages are the caller's; nothing
 * here knows about GitHub.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MlopsError } from '../../core/index.ts';

export interface Author {
  name: string;
  email: string;
}

function run(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const r = await run(args, cwd, env);
  if (r.code !== 0)
    throw new MlopsError('state', `git ${args.join(' ')} failed in ${cwd}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

export async function gitRoot(cwd: string): Promise<string> {
  const r = await run(['rev-parse', '--show-toplevel'], cwd);
  if (r.code !== 0)
    throw new MlopsError(
      'state',
      `${cwd} is not inside a git checkout; scheduled retraining commits its results and needs one`,
    );
  return r.stdout.trim();
}

export async function headCommit(cwd: string): Promise<string> {
  return ok(['rev-parse', 'HEAD'], cwd);
}

/**
 * Commits every change (additions, edits, deletions) under `paths` on HEAD.
 * Returns the new commit, or null when those paths hold no change.
 */
export async function commitPaths(
  cwd: string,
  paths: string[],
  message: string,
  author: Author,
): Promise<string | null> {
  const root = await gitRoot(cwd);
  // A pathspec that matches nothing is an error to git: keep folders that exist or were tracked.
  const present: string[] = [];
  for (const p of paths) {
    if (existsSync(resolve(cwd, p)) || (await run(['ls-files', '--', p], cwd)).stdout.trim() !== '') present.push(p);
  }
  if (present.length === 0) return null;
  paths = present;
  await ok(['add', '-A', '--', ...paths], cwd);
  const staged = await run(['diff', '--cached', '--quiet', '--', ...paths], cwd);
  if (staged.code === 0) return null;
  const env = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  await ok(['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', message, '--', ...paths], cwd, env);
  return ok(['rev-parse', 'HEAD'], root);
}

/**
 * Pushes HEAD to `branch`. `force` is for the bot's own branch, rebuilt from the base
 * branch on every run; a push to a shared branch is never forced.
 */
export async function pushHead(cwd: string, remote: string, branch: string, force: boolean): Promise<void> {
  const r = await run(['push', '--porcelain', ...(force ? ['--force'] : []), remote, `HEAD:refs/heads/${branch}`], cwd);
  if (r.code !== 0) {
    const out = `${r.stdout}\n${r.stderr}`.trim();
    const moved = /\[rejected\]|fetch first|non-fast-forward|failed to update ref|cannot lock ref/.test(out);
    throw new MlopsError(
      'state',
      moved
        ? `git push to ${remote} ${branch} was rejected because ${branch} moved while retraining ran; nothing was pushed. The next scheduled run starts from the new tip.\n${out}`
        : `git push to ${remote} ${branch} failed:\n${out}`,
    );
  }
}
