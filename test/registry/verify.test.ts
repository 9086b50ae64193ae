import { cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promoteRun, verifyVersion, type RegistryFile } from '../../pipeline/gitops/registry/index.ts';
import { runCli } from '../helpers/cli.ts';
import { gitSync, projectDir, ROOT, testConfig, tmp, trainRun, removeTemporaryFolders } from './helpers.ts';

afterAll(removeTemporaryFolders);

let repo: string;
const config = testConfig();

beforeAll(async () => {
  // A repository holding the project's own code, so a worktree of any commit can retrain.
  repo = tmp('verify');
  for (const part of ['bin', 'cli', 'pipeline', 'service', 'package.json'])
    cpSync(join(ROOT, part), join(repo, part), { recursive: true });
  projectDir(repo, config);
  writeFileSync(join(repo, '.gitignore'), 'node_modules\n/runs/\n');
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  gitSync(repo, 'init', '-q', '-b', 'main');
  gitSync(repo, 'config', 'user.name', 'Verify Test');
  gitSync(repo, 'config', 'user.email', 'verify@example.com');
  gitSync(repo, 'add', '.');
  gitSync(repo, 'commit', '-q', '-m', 'project');
  // The code copied into the repository is the code running this test, so training
  // in-process here equals training with the repository's own code.
  await trainRun(repo, join(repo, 'runs/a'), config);
  promoteRun({ dir: join(repo, 'models'), config, baseDir: repo, challenger: join(repo, 'runs/a'), actor: 'ci' });
  gitSync(repo, 'add', 'models');
  gitSync(repo, 'commit', '-q', '-m', 'registry: promote v1');
});

describe('mlops registry verify', () => {
  it('retrains a version from its lineage record in a temporary worktree and reproduces the digest', async () => {
    const cli = await runCli(['registry', 'verify', 'credit-default@v1', '--json'], repo);
    expect(cli.code, cli.err).toBe(0);
    const r = JSON.parse(cli.out);
    expect(r.reproduced).toBe(true);
    expect(r.actual).toBe(r.expected);
    expect(r.commit).toBe(gitSync(repo, 'rev-parse', 'HEAD~1'));
    expect(r.differences).toEqual([]);
    expect(gitSync(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('reports NOT reproduced, and which fields differ, when the record does not describe the bundle', async () => {
    const file = join(repo, 'models/registry.json');
    const reg = JSON.parse(readFileSync(file, 'utf8')) as RegistryFile;
    (reg.models['credit-default'].versions[0].lineage.config as { seed: number }).seed = 7;
    writeFileSync(file, JSON.stringify(reg, null, 2));
    const r = await verifyVersion({ dir: join(repo, 'models'), ref: 'v1', defaultName: 'credit-default' });
    expect(r.reproduced).toBe(false);
    expect(r.differences).toEqual(expect.arrayContaining(['provenance.config', 'provenance.seed', 'engine']));
    gitSync(repo, 'checkout', '--', 'models/registry.json');
  });

  it('says so when the recorded code commit is not in the clone', async () => {
    const file = join(repo, 'models/registry.json');
    const reg = JSON.parse(readFileSync(file, 'utf8')) as RegistryFile;
    reg.models['credit-default'].versions[0].lineage.code_commit = 'f'.repeat(40);
    writeFileSync(file, JSON.stringify(reg, null, 2));
    await expect(
      verifyVersion({ dir: join(repo, 'models'), ref: 'credit-default@champion', defaultName: 'credit-default' }),
    ).rejects.toThrow(/code commit f{40} of credit-default@v1 is not in this clone; fetch the full history/);
    gitSync(repo, 'checkout', '--', 'models/registry.json');
  });
});
