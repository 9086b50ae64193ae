import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitRegistryChange,
  loadChallenger,
  promoteAndCommit,
  rollbackAndCommit,
  type RegistryFile,
} from '../../pipeline/gitops/registry/index.ts';
import type { MlopsConfig } from '../../pipeline/core/config/types.ts';
import { runCli } from '../helpers/cli.ts';
import {
  gitSync,
  projectDir,
  remoteWithProject,
  testConfig,
  trainRun,
  VARIANTS,
  removeTemporaryFolders,
} from './helpers.ts';

afterAll(removeTemporaryFolders);

let config: MlopsConfig;
const runs: Record<string, string> = {};

beforeAll(async () => {
  config = testConfig();
  const project = projectDir(undefined, config);
  for (const [name, variant] of Object.entries(VARIANTS))
    runs[name] = await trainRun(project, join(project, 'runs', name), testConfig(variant));
});

const BOT = 'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>';

function promoteIn(clone: string, run: string, extra: Partial<Parameters<typeof promoteAndCommit>[0]> = {}) {
  return promoteAndCommit({
    dir: join(clone, 'models'),
    config,
    baseDir: clone,
    challenger: run,
    actor: 'ci',
    ciRunUrl: 'https://github.com/acme/credit/actions/runs/42',
    push: true,
    backoffMs: 5,
    ...extra,
  });
}

/** The registry as the remote's main branch has it. */
function remoteRegistry(remote: string): RegistryFile {
  return JSON.parse(gitSync(remote, 'show', 'main:models/registry.json')) as RegistryFile;
}

/** A remote whose champion v1 is the weak model. */
async function remoteWithChampion(): Promise<ReturnType<typeof remoteWithProject>> {
  const r = remoteWithProject(config);
  const c0 = r.clone('c0');
  const first = await promoteIn(c0, runs.weak);
  expect(first).toMatchObject({ decision: 'promote', version: 1, pushed: true, attempts: 1 });
  return r;
}

const clean = (dir: string): string => gitSync(dir, 'status', '--porcelain', '--untracked-files=all');

describe('race-safe registry commits against a real bare remote', () => {
  it('two clones promoting at the same moment both land, with distinct versions; the alias goes where the policy says', async () => {
    const { remote, clone } = await remoteWithChampion();
    const c1 = clone('c1');
    const c2 = clone('c2');
    // Both commit before either pushes, so one of them must lose the race.
    let committed = 0;
    let release!: () => void;
    const bothCommitted = new Promise<void>((r) => (release = r));
    const barrier = async (a: { attempt: number; phase: string }) => {
      if (a.attempt === 1 && a.phase === 'committed' && ++committed === 2) release();
      if (a.attempt === 1 && a.phase === 'committed') await bothCommitted;
    };
    const results = await Promise.all([
      promoteIn(c1, runs.strong, { onAttempt: barrier }),
      promoteIn(c2, runs.twin, { onAttempt: barrier }),
    ]);
    const [winner, loser] = [...results].sort((a, b) => a.attempts - b.attempts);
    expect(winner).toMatchObject({ attempts: 1, pushed: true, decision: 'promote', version: 2, champion: 2 });
    // The loser re-applied on the new tip: new number, gate re-checked against v2 (its twin, within min_delta).
    expect(loser).toMatchObject({ attempts: 2, pushed: true, decision: 'keep', version: 3, champion: 2 });
    expect(loser.verdict.champion?.version).toBe(2);

    const reg = remoteRegistry(remote);
    const m = reg.models['credit-default'];
    expect(m.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(new Set([m.versions[1].digest, m.versions[2].digest])).toEqual(
      new Set([loadChallenger(runs.strong).bundle.digest, loadChallenger(runs.twin).bundle.digest]),
    );
    expect(m.aliases).toEqual({ champion: 2, challenger: 3 });
    expect(m.history.map((h) => [h.event, h.version])).toEqual([
      ['registered', 1],
      ['promoted', 1],
      ['registered', 2],
      ['promoted', 2],
      ['registered', 3],
      ['rejected', 3],
    ]);
    expect(m.history[4].reason).toMatch(/re-applied on attempt 2 after another writer updated the registry/);
    expect(m.history.every((h) => h.ci_run_url === 'https://github.com/acme/credit/actions/runs/42')).toBe(true);
    // Each event names the commit it was applied on: the loser's events sit on the winner's commit.
    expect(m.history[2].git_commit).toBe(gitSync(remote, 'rev-parse', 'main~2'));
    expect(m.history[4].git_commit).toBe(gitSync(remote, 'rev-parse', 'main~1'));
    // Every file of every version made it, and git history is linear with bot-authored commits.
    const tree = gitSync(remote, 'ls-tree', '-r', '--name-only', 'main', 'models');
    for (const v of [1, 2, 3])
      for (const f of ['model.json.gz', 'metrics.json', 'card.md'])
        expect(tree).toContain(`models/credit-default/v${v}/${f}`);
    const log = gitSync(remote, 'log', '--format=%an <%ae>|%s', 'main').split('\n');
    expect(log).toHaveLength(4);
    expect(log.slice(0, 3).every((l) => l.startsWith(`${BOT}|registry: `))).toBe(true);
    expect(log[1]).toMatch(
      /\|registry: promote credit-default v2 \(roc_auc \+0\.1\d{3}, recall [+−]\d\.\d{4}, brier [+−]\d\.\d{4}\)$/,
    );
    expect(log[0]).toMatch(
      /\|registry: register credit-default v3 as challenger, champion v2 kept \(roc_auc [+−]0\.000\d/,
    );
    expect(gitSync(remote, 'rev-list', '--merges', 'main')).toBe('');
    for (const c of [c1, c2]) expect(clean(c)).toBe('');

    // A rollback from the clone that is now behind is re-applied on the tip the same way.
    const behind = winner === results[0] ? c1 : c2;
    const rb = await rollbackAndCommit({
      dir: join(behind, 'models'),
      name: 'credit-default',
      reason: 'v2 misprices young applicants',
      actor: 'ops',
      push: true,
      backoffMs: 5,
    });
    expect(rb).toMatchObject({ pushed: true, attempts: 2, rollback: { from: 2, to: 1 } });
    const after = remoteRegistry(remote).models['credit-default'];
    expect(after.aliases.champion).toBe(1);
    expect(after.history.at(-1)).toMatchObject({
      seq: 7,
      event: 'rolled_back',
      version: 1,
      previous_champion: 2,
      reason: 'v2 misprices young applicants',
    });
    expect(gitSync(remote, 'log', '-1', '--format=%s', 'main')).toBe(
      'registry: roll back credit-default champion v2 → v1',
    );
  });

  it('retries a push a server-side hook rejects once (cannot lock ref)', async () => {
    const { remote, clone } = remoteWithProject(config);
    const marker = join(remote, 'rejected-once');
    const hook = join(remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh\nif [ ! -f '${marker}' ]; then\n  touch '${marker}'\n  echo "error: cannot lock ref 'refs/heads/main': is at 1111111 but expected 2222222" >&2\n  exit 1\nfi\nexit 0\n`,
    );
    chmodSync(hook, 0o755);
    const c1 = clone('c1');
    const r = await runCli(
      ['promote', '--run', runs.strong, '--push', '--actor', 'release-bot', '--ci-run-url', 'https://ci.example/7'],
      c1,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/push rejected on attempt 1/);
    expect(r.out).toMatch(/promoted credit-default v1 to champion/);
    expect(r.out).toMatch(/pushed to main \(attempt 2\)/);
    const m = remoteRegistry(remote).models['credit-default'];
    expect(m.aliases.champion).toBe(1);
    expect(m.history.map((h) => [h.event, h.actor, h.ci_run_url])).toEqual([
      ['registered', 'release-bot', 'https://ci.example/7'],
      ['promoted', 'release-bot', 'https://ci.example/7'],
    ]);
    expect(gitSync(c1, 'rev-parse', 'HEAD')).toBe(gitSync(remote, 'rev-parse', 'main'));
    expect(gitSync(remote, 'log', '-1', '--format=%an <%ae>', 'main')).toBe(BOT);
    expect(clean(c1)).toBe('');
  });

  it('gives up at once on a rejection retrying cannot fix, and leaves the clone as it was', async () => {
    const { remote, clone } = remoteWithProject(config);
    const hook = join(remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "policy: pushes to main need a pull request" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const c1 = clone('c1');
    const head = gitSync(c1, 'rev-parse', 'HEAD');
    await expect(promoteIn(c1, runs.strong)).rejects.toThrow(
      /refused and retrying would not help:[\s\S]*pushes to main need a pull request[\s\S]*Nothing was pushed; the branch is back at [0-9a-f]{7} and the working tree is clean/,
    );
    expect(gitSync(c1, 'rev-parse', 'HEAD')).toBe(head);
    expect(clean(c1)).toBe('');
  });

  it('fails clearly when the change cannot be re-applied on the new tip, leaving the working tree clean', async () => {
    const { clone } = await remoteWithChampion();
    const c1 = clone('c1');
    const head = gitSync(c1, 'rev-parse', 'HEAD');
    // Another writer pushes a registry this version of mlops cannot read.
    const other = clone('other');
    writeFileSync(
      join(other, 'models/registry.json'),
      readFileSync(join(other, 'models/registry.json'), 'utf8').replace('"schema_version": 2', '"schema_version": 3'),
    );
    gitSync(other, 'commit', '-qam', 'registry from the future');
    gitSync(other, 'push', '-q', 'origin', 'main');
    await expect(promoteIn(c1, runs.strong)).rejects.toThrow(
      /cannot re-apply the registry change on top of origin\/main \(attempt 2\): .*registry\.json: schema_version: schema version 3 is not supported[\s\S]*Nothing was pushed; the branch is back at [0-9a-f]{7} and the working tree is clean/,
    );
    expect(gitSync(c1, 'rev-parse', 'HEAD')).toBe(head);
    expect(clean(c1)).toBe('');
  });

  it('undoes a change that failed half-way, including edits to tracked registry files', async () => {
    const { clone } = await remoteWithChampion();
    const c1 = clone('c1');
    const head = gitSync(c1, 'rev-parse', 'HEAD');
    const failing = () => {
      writeFileSync(join(c1, 'models/registry.json'), '{"half": ');
      writeFileSync(join(c1, 'models/stray.txt'), 'x');
      throw new Error('disk full');
    };
    await expect(commitRegistryChange(join(c1, 'models'), { push: true }, failing)).rejects.toThrow('disk full');
    expect(gitSync(c1, 'rev-parse', 'HEAD')).toBe(head);
    expect(clean(c1)).toBe('');
  });

  it('refuses to start with uncommitted changes in the registry folder', async () => {
    const { clone } = await remoteWithChampion();
    const c1 = clone('c1');
    writeFileSync(join(c1, 'models/notes.txt'), 'draft');
    await expect(promoteIn(c1, runs.strong)).rejects.toThrow(/registry folder models\/ has uncommitted changes/);
  });
});
