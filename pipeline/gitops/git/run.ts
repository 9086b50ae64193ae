/**
 * The one place the project starts `git`. The environment is pinned (C locale, no
 * prompts) so messages can be recognised and a missing credential fails instead of
 * waiting for a person. `git` is for commands that change things or talk to a remote;
 * `gitSync` is for quick read-only questions, which answer null when git fails.
 */
import { execFile, execFileSync } from 'node:child_process';
import { MlopsError } from '../../core/index.ts';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

const PINNED = { LC_ALL: 'C', LANG: 'C', GIT_TERMINAL_PROMPT: '0' };
const MAX_BUFFER = 1 << 30;

export function git(args: string[], cwd: string, env: Record<string, string> = {}): Promise<GitResult> {
  return new Promise((resolvePromise) => {
    execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...PINNED, ...env }, maxBuffer: MAX_BUFFER },
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

/** Runs git and returns its trimmed output; throws a `state` error naming the command when it fails. */
export async function gitOk(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const r = await git(args, cwd, env);
  if (r.code !== 0)
    throw new MlopsError('state', `git ${args.join(' ')} failed in ${cwd}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim();
}

/** A read-only question to git: its raw output, or null when git fails (not a checkout, unknown revision…). */
export function gitSync(args: string[], cwd: string): Buffer | null {
  try {
    return execFileSync('git', args, {
      cwd,
      env: { ...process.env, ...PINNED },
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: MAX_BUFFER,
    });
  } catch {
    return null;
  }
}

/** `gitSync` as trimmed text. */
export function gitSyncText(args: string[], cwd: string): string | null {
  const out = gitSync(args, cwd);
  return out === null ? null : out.toString('utf8').trim();
}
