/** Direct promotion (no pull request): retrain in-process in clones of a bare remote, push to main, and race. */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/core/config/load.ts';
import { publishRetrain, retrain } from '../../pipeline/gitops/retrain/retrain.ts';
import { ROOT } from '../helpers/cli.ts';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
const BOT = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };

function setup(): { origin: string; clone: (name: string) => string } {
  const tmp = mkdtempSync(join(tmpdir(), 'mlops-direct-'));
  const origin = join(tmp, 'origin.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  const seed = join(tmp, 'seed');
  execFileSync('git', ['clone', '-q', origin, seed], { stdio: 'ignore' });
  git(seed, 'checkout', '-q', '-b', 'main');
  mkdirSync(join(seed, 'data', 'incoming'), { recursive: true });
  cpSync(join(ROOT, 'data', 'credit_data.csv'), join(seed, 'data', 'credit_data.csv'));
  const lines = readFileSync(join(ROOT, 'data', 'credit_data.csv'), 'utf8')
    .trim()
    .split('\n');
  // 50 new applications: existing rows with a different loan amount.
  writeFileSync(
    join(seed, 'data', 'incoming', 'batch.csv'),
    [
      lines[0],
      ...lines
        .slice(1, 51)
        .map((l) => l.replace(/,(\d+),(\d+)$/, (_, a: string, p: string) => `,${Number(a) + 1},${p}`)),
    ].join('\n') + '\n',
  );
  writeFileSync(join(seed, '.gitignore'), 'runs/\n');
  writeFileSync(
    join(seed, 'mlops.config.json'),
    JSON.stringify({
      data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
      engine: { name: 'logistic' },
      retrain: { promotion: 'direct' },
    }),
  );
  git(seed, 'add', '.');
  git(seed, 'commit', '-qm', 'project');
  git(seed, 'push', '-q', 'origin', 'main');
  return {
    origin,
    clone: (name) => {
      const dir = join(tmp, name);
      execFileSync('git', ['clone', '-q', origin, dir], { stdio: 'ignore' });
      return dir;
    },
  };
}

const BOT_LOG = [
  'github-actions[bot]|registry: promote credit-default v1 (scheduled retraining)',
  'github-actions[bot]|data: ingest 50 rows from batch.csv',
];

describe('direct promotion', () => {
  it('pushes the data and registry commits to main, re-applied on top of a main that moved meanwhile', async () => {
    const { origin, clone } = setup();
    const a = clone('a');
    const loaded = loadConfig(null, a);
    expect(loaded.config.retrain.promotion).toBe('direct');
    const opts = { loaded, actor: 'scheduler', author: BOT };
    const out = await retrain(opts);
    expect(out.status).toBe('promote');
    expect(out.commits).toHaveLength(2);
    // No champion yet: the new rows are compared with the data set they were added to.
    expect(out.drift?.reference.name).toBe('data/credit_data.csv@43c83a4630f1');
    expect(out.drift?.current.rows).toBe(50);
    // The run went through the one training-run sequence: tracked, with its model card and drift report.
    const run = JSON.parse(readFileSync(join(out.run!.dir, 'run.json'), 'utf8')) as {
      command: string;
      tracking: { artifacts: { name: string }[] };
    };
    expect(run.command).toBe('retrain');
    expect(run.tracking.artifacts.map((f) => f.name)).toContain('model.json');
    for (const f of ['README.md', 'report.html', 'drift/drift.json'])
      expect(existsSync(join(out.run!.dir, f)), f).toBe(true);

    // Someone else pushes to main first: the push is rejected (fetch first), the data commit
    // is re-applied on the new tip and the promotion recorded again there; never forced.
    const b = clone('b');
    writeFileSync(join(b, 'NOTES.md'), 'unrelated change\n');
    git(b, 'add', 'NOTES.md');
    git(b, 'commit', '-qm', 'notes');
    git(b, 'push', '-q', 'origin', 'main');
    const published = await publishRetrain(opts, out, { remote: 'origin', branch: 'main', force: false, backoffMs: 5 });
    expect(published.pushed.attempts).toBe(2);
    expect(published.status).toBe('promote');
    expect(published.promotion?.version).toBe(1);
    expect(git(origin, 'log', '-3', '--format=%an|%s', 'main').split('\n')).toEqual([...BOT_LOG, 't|notes']);
    expect(git(origin, 'ls-tree', '-r', '--name-only', 'main')).toContain('data/processed/batch.csv');
    const registry = JSON.parse(git(origin, 'show', 'main:models/registry.json')) as {
      models: Record<string, { aliases: { champion: number }; history: { reason?: string }[] }>;
    };
    expect(registry.models['credit-default'].aliases.champion).toBe(1);
    expect(registry.models['credit-default'].history.at(-1)?.reason).toMatch(
      /re-applied after another writer moved the branch/,
    );
    expect(git(a, 'status', '--porcelain')).toBe('');
  }, 240_000);

  it('two retrainings of the same new data racing: the second cannot re-apply its data, fails and says so', async () => {
    const { origin, clone } = setup();
    const [c, d] = [clone('c'), clone('d')];
    const optsOf = (dir: string) => ({ loaded: loadConfig(null, dir), actor: 'scheduler', author: BOT });
    const first = await retrain(optsOf(c));
    const second = await retrain(optsOf(d));
    expect([first.status, second.status]).toEqual(['promote', 'promote']);
    await publishRetrain(optsOf(c), first, { remote: 'origin', branch: 'main', force: false, backoffMs: 5 });
    const tip = git(origin, 'rev-parse', 'main');
    const before = git(d, 'rev-parse', 'HEAD');
    await expect(
      publishRetrain(optsOf(d), second, { remote: 'origin', branch: 'main', force: false, backoffMs: 5 }),
    ).rejects.toThrow(
      /cannot re-apply the retrained model on top of origin\/main \(attempt 2\): the new data \([0-9a-f]{7}\) conflicts with changes on the new tip[\s\S]*Nothing was pushed; the local commits are kept at [0-9a-f]{7}/,
    );
    expect(git(origin, 'rev-parse', 'main')).toBe(tip);
    expect(git(d, 'rev-parse', 'HEAD')).toBe(before);
    expect(git(d, 'status', '--porcelain')).toBe('');
  }, 240_000);
});
