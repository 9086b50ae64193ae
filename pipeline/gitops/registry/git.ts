/**
 * A thin async wrapper over the `git` command line, with the environment pinned so its
 * messages can be recognised (C locale, no prompts), and the classification of push
 * rejections into "the remote moved, re-apply and retry" and "give up".
 */
import { execFile } from 'node:child_process';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitAuthor {
  name: string;
  email: string;
}

/** The identity registry commits are made with unless overridden (GitHub's Actions bot). */
export const DEFAULT_AUTHOR: GitAuthor = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

export function git(args: string[], cwd: string, env: Record<string, string> = {}): Promise<GitResult> {
  return new Promise((resolvePromise) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: { ...process.env, LC_ALL: 'C', LANG: 'C', GIT_TERMINAL_PROMPT: '0', ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 1
          : 0;
        resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs git and throws with its message when it fails. */
export async function gitOk(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const r = await git(args, cwd, env);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/**
 * True when a push failed because someone else updated the branch first: the classic
 * non-fast-forward (`! [rejected] … (fetch first)`), or a server that lost the race on
 * its ref lock (`! [remote rejected] … (failed to update ref)`, `cannot lock ref`).
 * Anything else (authentication, branch protection, a hook with a policy) is final.
 */
export function isRetryablePushRejection(output: string): boolean {
  return /\(fetch first\)|non-fast-forward|failed to update ref|cannot lock ref|stale info|incorrect old value|failed to lock/i.test(
    output,
  );
}

/** Parses `Name <email>`. */
export function parseAuthor(text: string): GitAuthor | null {
  const m = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  return m ? { name: m[1], email: m[2] } : null;
}

export function authorEnv(a: GitAuthor): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: a.name,
    GIT_AUTHOR_EMAIL: a.email,
    GIT_COMMITTER_NAME: a.name,
    GIT_COMMITTER_EMAIL: a.email,
  };
}
