/**
 * Sharded tuning equals single-process tuning: shards run as separate
 * `mlops tune --shard i/3` processes (as on GitHub Actions runners) and merged must
 * pick the same best trial with the same scores as one process running every trial.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import type { TuneSummary } from '../../pipeline/core/tuning/summary.ts';
import { readRunsFile } from '../../pipeline/core/tuning/runs-file.ts';
import { ROOT, untimed } from './helpers.ts';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin', 'mlops.mjs');

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-shards-'));
  const config = {
    // The embedded 891-row holdout file keeps four CLI runs fast; the logic is the same at any size.
    data: { path: join(ROOT, 'data', 'credit_data', 'test.csv'), target: 'Status', positive: 'bad' },
    seed: 11,
    engine: { name: 'logistic', params: { maxIter: 25 } },
    costs: { false_negative: 5, false_positive: 1 },
    tune: { trials: 7, folds: 3, metric: 'roc_auc' },
  };
  writeFileSync(join(dir, 'mlops.config.json'), JSON.stringify(config, null, 2));
  writeFileSync(
    join(dir, 'space.json'),
    JSON.stringify({ C: { low: 0.001, high: 10, log: true }, classWeight: { values: ['none', 'balanced'] } }),
  );
  return dir;
}

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, tty: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const readSummary = (dir: string): TuneSummary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

/** A summary without wall-clock figures. */
function comparable(s: TuneSummary): unknown {
  return {
    ...s,
    timing: null,
    shards: null,
    best: untimed(s.best),
    baseline: s.baseline && untimed(s.baseline),
    ranking: s.ranking.map(untimed),
  };
}

describe('sharded tuning', () => {
  it('three shard processes merged equal one process with the same seed', async () => {
    const dir = project();
    const single = await cli(['tune', '--space', 'space.json', '--out', 'single', '--quiet'], dir);
    expect(single.err).toBe('');
    expect(single.code).toBe(0);

    // Shards 1 and 2 in processes of their own (each loads the code afresh), shard 3 in this one.
    const shardArgs = (i: number): string[] => [
      'tune',
      '--space',
      'space.json',
      '--shard',
      `${i}/3`,
      '--out',
      `shards/s${i}`,
      '--quiet',
    ];
    const [p1, p2, s3] = await Promise.all([
      run(process.execPath, [BIN, ...shardArgs(1)], { cwd: dir }),
      run(process.execPath, [BIN, ...shardArgs(2)], { cwd: dir }),
      cli(shardArgs(3), dir),
    ]);
    expect(p1.stdout).toContain('shard 1/3');
    expect(p2.stdout).toContain('shard 2/3');
    expect(s3.out).toContain('shard 3/3');
    const perShard = [1, 2, 3].map((i) =>
      readRunsFile(join(dir, 'shards', `s${i}`, `trials-${i}-of-3.jsonl`)).trials.map((t) => t.trial),
    );
    expect(perShard).toEqual([
      [0, 3, 6],
      [1, 4, 7],
      [2, 5],
    ]);

    const merged = await cli(
      ['tune', 'merge', 'shards', '--out', 'merged', '--write-config', 'mlops.config.json'],
      dir,
    );
    expect(merged.code).toBe(0);
    expect(merged.out).toContain('Best: trial');

    const a = readSummary(join(dir, 'single'));
    const b = readSummary(join(dir, 'merged'));
    expect(b.trials_run).toBe(8);
    expect(b.shards).toBe(3);
    expect(comparable(b)).toEqual(comparable(a));
    // Same runs on both sides, trial by trial (the runs file of the single process included).
    expect(readRunsFile(join(dir, 'single', 'trials.jsonl')).trials.map(untimed)).toEqual(
      [...a.ranking].sort((x, y) => x.trial - y.trial).map(untimed),
    );

    // The best parameters went into the config, everything else in it kept.
    const cfg = JSON.parse(readFileSync(join(dir, 'mlops.config.json'), 'utf8'));
    expect(cfg.engine).toEqual({ name: 'logistic', params: a.best.params });
    expect(cfg.tune).toEqual({ trials: 7, folds: 3, metric: 'roc_auc' });
    expect(cfg.seed).toBe(11);
  });

  it('refuses to merge an incomplete set or shards of different searches', async () => {
    const dir = project();
    await cli(['tune', '--space', 'space.json', '--shard', '1/2', '--out', 'a', '--quiet'], dir);
    const partial = await cli(['tune', 'merge', 'a', '--out', 'm'], dir);
    expect(partial.code).toBe(2);
    expect(partial.err).toMatch(/shard 2\/2 missing/);
    await cli(['tune', '--space', 'space.json', '--shard', '2/2', '--seed', '12', '--out', 'b', '--quiet'], dir);
    const mixed = await cli(['tune', 'merge', 'a', 'b', '--out', 'm'], dir);
    expect(mixed.code).toBe(1);
    expect(mixed.err).toMatch(/different search .*plan differs in: seed/);
    const wc = await cli(['tune', '--shard', '1/2', '--write-config', 'x.json'], dir);
    expect(wc.code).toBe(2);
    expect(wc.err).toMatch(/--write-config needs every trial/);
  });
});
