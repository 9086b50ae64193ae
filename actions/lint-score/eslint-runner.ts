/**
 * Runs ESLint through its Node API in a given folder and scores the result with
 * actions/lint-score/score.ts. The base branch is scored in a `git worktree` of the base ref
 * (its own files and its own eslint.config.js, our node_modules linked in), so the delta
 * compares like with like without a second checkout step or a stored artifact.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { countStatements, lintScore, type LintScore } from './score.ts';
import { withWorktree } from '../../pipeline/gitops/index.ts';

export async function scoreFolder(cwd: string, patterns: string[]): Promise<LintScore> {
  const eslint = new ESLint({ cwd, errorOnUnmatchedPattern: false });
  const results = await eslint.lintFiles(patterns);
  return lintScore(
    results,
    (file) => {
      try {
        return countStatements(readFileSync(file, 'utf8'), file);
      } catch {
        return 0;
      }
    },
    cwd,
  );
}

/** Scores `ref` in a temporary worktree of the repository at `cwd`; removes the worktree afterwards. */
export async function scoreRef(cwd: string, ref: string, patterns: string[]): Promise<LintScore> {
  const dir = mkdtempSync(join(tmpdir(), 'lint-base-'));
  const wt = join(dir, 'tree');
  try {
    return await withWorktree(
      cwd,
      ref,
      wt,
      async () => {
        // The base tree has no node_modules; ESLint's config imports resolve through ours.
        if (existsSync(join(cwd, 'node_modules')) && !existsSync(join(wt, 'node_modules'))) {
          symlinkSync(join(cwd, 'node_modules'), join(wt, 'node_modules'), 'dir');
        }
        return scoreFolder(wt, patterns);
      },
      (message) =>
        `cannot check out base ref ${JSON.stringify(ref)} to score it (${message}); fetch it first (actions/checkout with fetch-depth: 0)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
