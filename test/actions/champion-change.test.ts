import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAction } from './run-action.ts';
import { runCli, tempProject } from '../helpers/cli.ts';

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

let dir: string;
let v1: string;
let v2: string;

/** A project whose registry champion moves from v1 to v2 in one commit, as a merged retraining pull request does. */
beforeAll(async () => {
  dir = tempProject();
  const config = JSON.parse(readFileSync(join(dir, 'mlops.config.json'), 'utf8'));
  config.engine = { name: 'logistic', params: {} };
  writeFileSync(join(dir, 'mlops.config.json'), JSON.stringify(config, null, 2));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 't@localhost');
  git(dir, 'config', 'user.name', 't');
  const first = await runCli(['run', '--quiet', '--out', 'runs/a'], dir);
  expect(first.code, first.err).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'v1');
  v1 = git(dir, 'rev-parse', 'HEAD');
  const second = await runCli(['train', '--quiet', '--seed', '7', '--out', 'runs/b'], dir);
  expect(second.code, second.err).toBe(0);
  const forced = await runCli(['promote', '--run', 'runs/b', '--force', '--reason', 'retrained on new data'], dir);
  expect(forced.code, forced.err).toBe(0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'merge retraining pull request');
  v2 = git(dir, 'rev-parse', 'HEAD');
});

describe('champion-change action', () => {
  it('reports a moved champion with the image tags to publish', async () => {
    const r = await runAction('champion-change', {
      event: 'push',
      payload: {},
      cwd: dir,
      sha: v2,
      inputs: { before: v1, 'working-directory': dir },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.outputs.changed).toBe('true');
    expect(r.outputs.version).toBe('2');
    expect(r.outputs.tags.split('\n')).toEqual(['v2', `sha-${v2.slice(0, 7)}`, 'champion']);
    expect(r.outputs['metadata-tags']).toBe(
      `type=raw,value=v2\ntype=raw,value=sha-${v2.slice(0, 7)}\ntype=raw,value=champion`,
    );
  });

  it('reports no change when the push left the champion where it was, and on a new branch', async () => {
    let r = await runAction('champion-change', {
      event: 'push',
      payload: {},
      cwd: dir,
      inputs: { before: v2, 'working-directory': dir },
    });
    expect(r.outputs.changed).toBe('false');
    expect(r.outputs.tags).toBe('');
    r = await runAction('champion-change', {
      event: 'push',
      payload: {},
      cwd: dir,
      inputs: { before: '0'.repeat(40), 'working-directory': dir },
    });
    // No previous commit to compare with: the current champion is new to this branch.
    expect(r.outputs.changed).toBe('true');
  });

  it('validates its input and names it', async () => {
    const r = await runAction('champion-change', {
      event: 'push',
      payload: {},
      cwd: dir,
      inputs: { before: 'HEAD~1', 'working-directory': dir },
    });
    expect(r.code).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/input "before" must be a full commit sha/);
  });
});
