/** The loop guard: a push that changed only the state bots write skips training; anything else trains. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { gitSync, projectDir, removeTemporaryFolders, tmp } from '../registry/helpers.ts';
import { isStateOnly } from '../../pipeline/gitops/release/loop-guard.ts';

afterAll(removeTemporaryFolders);

function repo(sub = ''): { root: string; project: string; commit: (files: Record<string, string>) => string } {
  const root = tmp('loop');
  const project = join(root, sub);
  mkdirSync(project, { recursive: true });
  projectDir(project);
  gitSync(root, 'init', '-q', '-b', 'main');
  gitSync(root, 'config', 'user.name', 'Loop Test');
  gitSync(root, 'config', 'user.email', 'loop@example.com');
  const commit = (files: Record<string, string>): string => {
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(project, f, '..'), { recursive: true });
      writeFileSync(join(project, f), text);
    }
    gitSync(root, 'add', '-A');
    gitSync(root, 'commit', '-q', '--allow-empty', '-m', 'change');
    return gitSync(root, 'rev-parse', 'HEAD');
  };
  commit({});
  return { root, project, commit };
}

describe('mlops release state-only', () => {
  it('is true for registry, version reports and overlay pins only, false for anything else', async () => {
    const { project, commit } = repo();
    const base = commit({ 'service.ts': 'code' });
    commit({ 'models/registry.json': '{}', 'reports/credit-default/v1/README.md': 'card' });
    commit({ 'deploy/k8s/overlays/production/kustomization.yaml': 'images: []' });
    let r = await runCli(['release', 'state-only', '--before', base], project);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('true');
    expect(r.err).toMatch(
      /only state changed \(3 file\(s\) under models, reports\/credit-default, deploy\/k8s\/overlays\)/,
    );
    const stateTip = commit({});
    commit({ 'data/credit_data.csv': 'new rows', 'models/registry.json': '{"x":1}' });
    r = await runCli(['release', 'state-only', '--before', stateTip], project);
    expect(r.out).toBe('false');
    expect(r.err).toMatch(/code or data changed \(e\.g\. data\/credit_data\.csv\): train/);
    r = await runCli(['release', 'state-only', '--before', '0'.repeat(40)], project);
    expect(r.out).toBe('false');
    r = await runCli(['release', 'state-only', '--before', 'f'.repeat(40)], project);
    expect(r.out).toBe('false');
    expect(r.err).toMatch(/is not in this clone/);
    expect((await runCli(['release', 'state-only'], project)).code).toBe(2);
  });

  it('knows the state folders of a project in a sub-folder of the repository', async () => {
    const { project, commit } = repo('ml');
    const base = commit({});
    commit({ 'models/registry.json': '{}' });
    expect((await runCli(['release', 'state-only', '--before', base], project)).out).toBe('true');
    expect(isStateOnly(['models/registry.json'], ['ml/models'])).toBe(false);
    expect(isStateOnly([], ['models'])).toBe(false);
    expect(isStateOnly(['models-old/x'], ['models'])).toBe(false);
  });
});
