/** Where a model came from: code commit, package versions, a reproducible time. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function gitInfo(cwd: string): { commit: string | null; dirty: boolean | null; time: string | null } {
  const commit = git(['rev-parse', 'HEAD'], cwd);
  if (!commit) return { commit: null, dirty: null, time: null };
  const status = git(['status', '--porcelain', '--untracked-files=no'], cwd);
  const time = git(['show', '-s', '--format=%cI', 'HEAD'], cwd);
  return {
    commit,
    dirty: status === null ? null : status.length > 0,
    time: time ? new Date(time).toISOString() : null,
  };
}

/** A creation time that does not change between identical runs (reproducible builds). */
export function reproducibleTime(gitTime: string | null): string | null {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return gitTime;
}

const require = createRequire(import.meta.url);

export function packageVersion(name: string): string {
  try {
    const pkgPath = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function projectVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
