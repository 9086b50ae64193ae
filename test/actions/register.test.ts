/**
 * The register action against a real bare git remote: a promotion is committed and
 * pushed with the version as output, and two runners promoting at the same moment
 * both land — distinct version numbers, both history events — through the registry's
 * race-safe retry.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolveConfig } from '../../pipeline/core/config/load.ts';
import { train } from '../../pipeline/core/training/train.ts';
import { buildRunRecord, newRunId, writeRunFolder } from '../../pipeline/gitops/run/run-folder.ts';
import { runAction } from './run-action.ts';
import { logisticProject } from './fixtures.ts';

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args],
    { cwd, encoding: 'utf8' },
  ).trim();
}

/** A bare remote holding the project, and `n` clones of it. */
function remoteWithClones(n: number): { remote: string; clones: string[] } {
  const base = mkdtempSync(join(tmpdir(), 'register-'));
  const remote = join(base, 'remote.git');
  git(base, 'init', '-q', '--bare', remote);
  const seed = logisticProject();
  writeFileSync(join(seed, '.gitignore'), 'runs/\n');
  git(seed, 'init', '-q');
  git(seed, 'add', '.');
  git(seed, 'commit', '-qm', 'project');
  git(seed, 'push', '-q', remote, 'HEAD:main');
  const clones = Array.from({ length: n }, (_, i) => {
    const c = join(base, `clone${i}`);
    git(base, 'clone', '-q', remote, c);
    return c;
  });
  return { remote, clones };
}

async function trainRun(project: string, params: Record<string, number | string>): Promise<string> {
  const loaded = loadConfig(null, project);
  const config = resolveConfig({ ...loaded.config, engine: { name: 'logistic', params } });
  const result = await train({ config, baseDir: project });
  const id = newRunId(result.bundle.digest);
  const dir = join(project, 'runs', id);
  writeRunFolder(dir, result, buildRunRecord(result, 'test', id));
  return dir;
}

function registerEnv(cwd: string, runDir: string) {
  return {
    event: 'push',
    payload: { ref: 'refs/heads/main' },
    cwd,
    extraEnv: { GITHUB_ACTOR: 'octocat' },
    inputs: { 'run-dir': runDir, branch: 'main' },
  };
}

function remoteRegistry(remote: string): {
  models: Record<
    string,
    {
      versions: { version: number }[];
      aliases: { champion: number | null };
      history: { event: string; version: number | null }[];
    }
  >;
} {
  return JSON.parse(
    execFileSync('git', ['--git-dir', remote, 'show', 'main:models/registry.json'], { encoding: 'utf8' }),
  );
}

describe('register action', () => {
  it('promotes, commits and pushes, and outputs the version', async () => {
    const { remote, clones } = remoteWithClones(1);
    const run = await trainRun(clones[0], {});
    const r = await runAction('register', registerEnv(clones[0], run));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs).toMatchObject({
      decision: 'promote',
      promoted: 'true',
      version: '1',
      'champion-version': '1',
      pushed: 'true',
      attempts: '1',
    });
    const head = git(remote, 'rev-parse', 'main~1');
    expect(r.outputs.commit).toBe(head);
    expect(git(remote, 'log', '-1', '--format=%an <%ae>%n%s', 'main~1')).toMatch(
      /^github-actions\[bot\] <41898282\+github-actions\[bot\]@users\.noreply\.github\.com>\nregistry: promote credit-default v1/,
    );
    const reg = remoteRegistry(remote);
    expect(reg.models['credit-default'].aliases.champion).toBe(1);
    expect(r.summary).toContain('Its image `v1` is published by reconcile.');
    // The model card of v1 follows the registry commit onto the remote.
    expect(git(remote, 'log', '-1', '--format=%an%n%s', 'main')).toBe(
      'github-actions[bot]\nreports: model card of credit-default v1',
    );
    expect(git(remote, 'rev-parse', 'main~1')).toBe(r.outputs.commit);
    const files = git(remote, 'ls-tree', '-r', '--name-only', 'main', 'reports/credit-default/v1').split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'reports/credit-default/v1/README.md',
        'reports/credit-default/v1/report.html',
        'reports/credit-default/v1/charts/roc.svg',
      ]),
    );
    // The same commit makes the registry's card.md the full card; reports/ only points at it.
    expect(git(remote, 'diff', '--name-only', 'main~1', 'main', '--', 'models')).toBe(
      'models/credit-default/v1/card.md',
    );
    expect(git(remote, 'show', 'main:models/credit-default/v1/card.md')).toMatch(/^# Model card: credit-default v1 /);
    expect(git(remote, 'show', 'main:reports/credit-default/v1/README.md')).toBe(
      'The model card of this report is [card.md](../../../models/credit-default/v1/card.md).',
    );
  });

  it('lets two runners promote at the same moment: both versions land, numbered apart', async () => {
    const { remote, clones } = remoteWithClones(2);
    const runs = [await trainRun(clones[0], { C: 0.3 }), await trainRun(clones[1], { C: 3 })];
    const [a, b] = await Promise.all([
      runAction('register', registerEnv(clones[0], runs[0])),
      runAction('register', registerEnv(clones[1], runs[1])),
    ]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    expect([a.outputs.version, b.outputs.version].sort()).toEqual(['1', '2']);
    // One of them found the branch moved and re-applied its promotion on the new tip.
    expect(Math.max(Number(a.outputs.attempts), Number(b.outputs.attempts))).toBeGreaterThan(1);
    const reg = remoteRegistry(remote);
    const model = reg.models['credit-default'];
    expect(model.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(
      model.history
        .filter((e) => e.event === 'registered')
        .map((e) => e.version)
        .sort(),
    ).toEqual([1, 2]);
    // Only the run whose promotion stood says it promoted that version.
    const champion = model.aliases.champion!;
    const winner = [a, b].find((x) => x.outputs.version === String(champion))!;
    expect(winner.outputs.promoted).toBe('true');
  });

  it('names the input when the run folder is missing', async () => {
    const r = await runAction('register', registerEnv(mkdtempSync(join(tmpdir(), 'register-empty-')), 'runs/nope'));
    expect(r.code).toBe(1);
    expect(r.errors.join('\n')).toContain('input "run-dir"');
  });
});
