/**
 * The lint score: pylint's formula on a fixture whose statements and problems are
 * counted by hand, and the lint-score action run as the runner runs it on a small git
 * repository whose head is worse than its base (delta from a worktree of the base ref,
 * warning annotation, never a failed job).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { countStatements, describeScore, lintScore, scoreDelta, scoreFormula } from '../../actions/lint-score/score.ts';
import { ROOT, runAction } from './run-action.ts';

const BASE_SOURCE = `const a = 1;
function f(x) {
  if (x) {
    return 1;
  }
  return 2;
}
f(a);
`;
// + one unused variable (error) and one console call (warning): 8 statements.
const HEAD_SOURCE = `const a = 1;
const unused = 2;
console.log(a);
function f(x) {
  if (x) {
    return 1;
  }
  return 2;
}
f(a);
`;

describe('lint score math', () => {
  it('counts statements like pylint: statements and declarations, not blocks', () => {
    expect(countStatements(ts, BASE_SOURCE, 'a.js')).toBe(6);
    expect(countStatements(ts, HEAD_SOURCE, 'a.js')).toBe(8);
    const source = `import { x } from './x.ts';
export interface P { a: number }
type Q = P;
export class C {
  private n = 1;
  constructor() {}
  get v(): number { return this.n; }
  m(): void { for (const i of [1]) { void i; } }
}
;
`;
    // import, interface, type, class, property, constructor, getter, return, method, for-of, expression; not the empty statement.
    expect(countStatements(ts, source, 'c.ts')).toBe(11);
  });

  it('scores 10 − 10 × (5·errors + warnings) / statements, floored at 0', () => {
    expect(scoreFormula(1, 1, 8)).toBe(2.5);
    expect(scoreFormula(0, 0, 8)).toBe(10);
    expect(scoreFormula(0, 3, 200)).toBe(9.85);
    expect(scoreFormula(10, 0, 8)).toBe(0);
    expect(scoreFormula(0, 0, 0)).toBe(10);
  });

  it('scores ESLint results with counts per rule and per file', () => {
    const s = lintScore(
      [
        {
          filePath: '/repo/src/a.ts',
          messages: [
            { ruleId: 'no-console', severity: 1 },
            { ruleId: 'no-unused-vars', severity: 2 },
            { ruleId: 'no-console', severity: 1 },
          ],
        },
        { filePath: '/repo/src/b.ts', messages: [{ ruleId: null, severity: 2, fatal: true }] },
        { filePath: '/repo/src/c.ts', messages: [] },
      ],
      (f) => ({ '/repo/src/a.ts': 50, '/repo/src/b.ts': 10, '/repo/src/c.ts': 140 })[f]!,
      '/repo',
    );
    // 2 errors, 2 warnings, 200 statements: 10 − 10 × 12 / 200 = 9.4
    expect(s).toMatchObject({ score: 9.4, errors: 2, warnings: 2, statements: 200, files: 3 });
    expect(s.rules).toEqual([
      { rule: 'fatal', errors: 1, warnings: 0 },
      { rule: 'no-unused-vars', errors: 1, warnings: 0 },
      { rule: 'no-console', errors: 0, warnings: 2 },
    ]);
    expect(s.by_file.map((f) => f.file)).toEqual(['src/a.ts', 'src/b.ts', 'src/c.ts']);
  });

  it('reports the delta against the base and whether it dropped', () => {
    expect(scoreDelta(9.4, 9.6)).toEqual({ base: 9.6, delta: -0.2, dropped: true });
    expect(scoreDelta(9.6, 9.4)).toEqual({ base: 9.4, delta: 0.2, dropped: false });
    expect(scoreDelta(9.6, null)).toEqual({ base: null, delta: null, dropped: false });
    expect(describeScore(9.4, scoreDelta(9.4, 9.6))).toBe('9.40/10 (−0.20 vs base 9.60)');
  });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args],
    { cwd, encoding: 'utf8' },
  );
}

function fixtureRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lint-fixture-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'eslint.config.mjs'),
    `export default [{ rules: { 'no-unused-vars': 'error', 'no-console': 'warn' } }];\n`,
  );
  writeFileSync(join(dir, 'src', 'a.js'), BASE_SOURCE);
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'base');
  git(dir, 'checkout', '-qb', 'feature');
  writeFileSync(join(dir, 'src', 'a.js'), HEAD_SOURCE);
  git(dir, 'commit', '-qam', 'head');
  // The project's dependencies, installed: the action runs the project's own ESLint.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('lint-score action', () => {
  it('scores the head, scores the base in a worktree, warns when the score drops, and passes', async () => {
    const repo = fixtureRepo();
    const r = await runAction('lint-score', {
      event: 'pull_request',
      payload: { pull_request: { number: 3, head: { sha: 'b'.repeat(40) }, base: { ref: 'main' } } },
      inputs: { 'working-directory': repo, patterns: 'src', 'base-ref': 'main' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs).toMatchObject({
      score: '2.50',
      'base-score': '10.00',
      delta: '-7.50',
      errors: '1',
      warnings: '1',
      statements: '8',
    });
    expect(r.warnings.join('\n')).toContain('Lint score dropped from 10.00 to 2.50');
    expect(r.stdout).toContain('::warning title=Lint score dropped::');
    const file = JSON.parse(readFileSync(r.outputs.file, 'utf8'));
    expect(file.delta).toEqual({ base: 10, delta: -7.5, dropped: true });
    expect(file.rules).toEqual([
      { rule: 'no-unused-vars', errors: 1, warnings: 0 },
      { rule: 'no-console', errors: 0, warnings: 1 },
    ]);
    expect(r.summary).toContain('Lint score: 2.50/10 (−7.50 vs base 10.00)');
    // The temporary worktree is gone.
    expect(git(repo, 'worktree', 'list').trim().split('\n')).toHaveLength(1);

    // A saved base score (artifact) instead of a worktree.
    writeFileSync(
      join(repo, 'base.json'),
      JSON.stringify({ ...file, score: 2.5, delta: { base: null, delta: null, dropped: false } }),
    );
    const saved = await runAction('lint-score', {
      event: 'push',
      payload: {},
      inputs: { 'working-directory': repo, patterns: 'src', 'base-score-file': 'base.json', output: 'again.json' },
    });
    expect(saved.code).toBe(0);
    expect(saved.outputs).toMatchObject({ score: '2.50', 'base-score': '2.50', delta: '0.00' });
    expect(saved.warnings).toEqual([]);
  });

  it('never fails the job: a bad input or an unknown base ref become warnings', async () => {
    const repo = fixtureRepo();
    const badRef = await runAction('lint-score', {
      event: 'push',
      payload: {},
      inputs: { 'working-directory': repo, patterns: 'src', 'base-ref': 'no-such-branch' },
    });
    expect(badRef.code).toBe(0);
    expect(badRef.outputs.score).toBe('2.50');
    expect(badRef.outputs.delta).toBe('');
    expect(badRef.warnings.join('\n')).toContain('cannot check out base ref "no-such-branch"');
    const badDir = await runAction('lint-score', {
      event: 'push',
      payload: {},
      inputs: { 'working-directory': join(repo, 'nope') },
    });
    expect(badDir.code).toBe(0);
    expect(badDir.warnings.join('\n')).toContain('input "working-directory"');
    rmSync(join(repo, 'node_modules'));
    const uninstalled = await runAction('lint-score', {
      event: 'push',
      payload: {},
      inputs: { 'working-directory': repo, patterns: 'src' },
    });
    expect(uninstalled.code).toBe(0);
    expect(uninstalled.warnings.join('\n')).toContain(
      "lint-score runs the project's own eslint, and none is installed for " + repo,
    );
  });
});
