/** Who commits: the bot identity by default, `Name <email>` parsing, and the variables git reads it from. */
import { gitSyncText } from './run.ts';

export interface GitAuthor {
  name: string;
  email: string;
}

/** The identity registry and retraining commits are made with unless overridden (GitHub's Actions bot). */
export const DEFAULT_AUTHOR: GitAuthor = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

/** Parses `Name <email>`. */
export function parseAuthor(text: string): GitAuthor | null {
  const m = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  return m ? { name: m[1], email: m[2] } : null;
}

/** Author and committer both: a rebase or cherry-pick re-commits as the same identity. */
export function authorEnv(a: GitAuthor): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: a.name,
    GIT_AUTHOR_EMAIL: a.email,
    GIT_COMMITTER_NAME: a.name,
    GIT_COMMITTER_EMAIL: a.email,
  };
}

/** The person git knows in `cwd` (`user.name`), or null. */
export function gitUserName(cwd: string): string | null {
  return gitSyncText(['config', 'user.name'], cwd) || null;
}
