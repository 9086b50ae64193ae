/**
 * Runs ESLint through its Node API in a given folder and scores the result with
 * actions/lint-score/score.ts. The base branch is scored in a `git worktree` of the base ref
 * (its own files and its own eslint.config.js, our node_modules linked in), so the delta
 * compares like with like without a second checkout step or a stored artifact.
 *
 * ESLint and TypeScript are the linted project's own, resolved from its folder, not
 * bundled into the action: its eslint.config.js imports its plugins from its
 * node_modules, and they are written for the ESLint it installed (and the action stays
 * small: the two weigh about 12 MB).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ESLintModule from 'eslint';
import type * as TS from 'typescript';
import { countStatements, lintScore, type LintScore } from './score.ts';
import { MlopsError } from '../../pipeline/core/index.ts';
import { withWorktree } from '../../pipeline/gitops/index.ts';

/** The project's ESLint and TypeScript, resolved from `cwd` the way the project's own scripts would. */
async function projectTools(cwd: string): Promise<{ ESLint: typeof ESLintModule.ESLint; ts: typeof TS }> {
  const require = createRequire(join(cwd, 'package.json'));
  const resolve = (name: string): string => {
    try {
      return require.resolve(name);
    } catch {
      throw new MlopsError(
        'state',
        `lint-score runs the project's own ${name}, and none is installed for ${cwd}: install the project's dependencies first (npm ci)`,
      );
    }
  };
  const eslint = (await import(pathToFileURL(resolve('eslint')).href)) as typeof ESLintModule & {
    default?: typeof ESLintModule;
  };
  return { ESLint: eslint.ESLint ?? eslint.default!.ESLint, ts: require(resolve('typescript')) as typeof TS };
}

export async function scoreFolder(cwd: string, patterns: string[]): Promise<LintScore> {
  const { ESLint, ts } = await projectTools(cwd);
  const eslint = new ESLint({ cwd, errorOnUnmatchedPattern: false });
  const results = await eslint.lintFiles(patterns);
  return lintScore(
    results,
    (file) => {
      try {
        return countStatements(ts, readFileSync(file, 'utf8'), file);
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
