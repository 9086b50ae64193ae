/** Direct promotion (no pull request): retrain in-process in a clone, push to main, and lose a race cleanly. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/core/config/load.ts';
import { retrain } from '../../pipeline/gitops/retrain/retrain.ts';
import { pushHead } from '../../pipeline/gitops/retrain/git.ts';
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

describe('direct promotion', () => {
  it('pushes the data and registry commits to main, and refuses to force past a moved main', async () => {
    const { origin, clone } = setup();
    const a = clone('a');
    const { config, baseDir } = loadConfig(null, a);
    expect(config.retrain.promotion).toBe('direct');
    const out = await retrain({ config, baseDir, actor: 'scheduler', author: BOT });
    expect(out.status).toBe('promote');
    expect(out.commits).toHaveLength(2);
    // No champion yet: the new rows are compared with the data set they were added to.
    expect(out.drift?.reference.name).toBe('data/credit_data.csv@43c83a4630f1');
    expect(out.drift?.current.rows).toBe(50);

    // Someone else pushes to main first: the direct push is refused, never forced.
    const b = clone('b');
    writeFileSync(join(b, 'NOTES.md'), 'unrelated change\n');
    git(b, 'add', 'NOTES.md');
    git(b, 'commit', '-qm', 'notes');
    git(b, 'push', '-q', 'origin', 'main');
    await expect(pushHead(a, 'origin', 'main', false)).rejects.toThrow(
      /rejected because main moved while retraining ran; nothing was pushed/,
    );
    expect(git(origin, 'log', '-1', '--format=%s', 'main')).toBe('notes');

    // From a fresh checkout of the new tip the same retraining goes through.
    const c = clone('c');
    const cfg = loadConfig(null, c);
    const again = await retrain({ config: cfg.config, baseDir: cfg.baseDir, actor: 'scheduler', author: BOT });
    expect(again.status).toBe('promote');
    await pushHead(c, 'origin', 'main', false);
    expect(git(origin, 'log', '-3', '--format=%an|%s', 'main').split('\n')).toEqual([
      'github-actions[bot]|registry: promote credit-default v1 (scheduled retraining)',
      'github-actions[bot]|data: ingest 50 rows from batch.csv',
      't|notes',
    ]);
    expect(git(origin, 'ls-tree', '-r', '--name-only', 'main')).toContain('data/processed/batch.csv');
  }, 180_000);
});
