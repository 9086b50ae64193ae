import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { ROOT } from './helpers.ts';

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, tty: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-tune-cli-'));
  const config = {
    data: { path: join(ROOT, 'data', 'credit_data', 'test.csv'), target: 'Status', positive: 'bad' },
    engine: { name: 'logistic', params: {} },
    costs: { false_negative: 5, false_positive: 1 },
  };
  writeFileSync(join(dir, 'mlops.config.json'), JSON.stringify(config, null, 2));
  return dir;
}

describe('mlops tune (command line)', () => {
  it('refuses bad flags with exit code 2 and a message naming the flag', async () => {
    const dir = project();
    const cases: [string[], RegExp][] = [
      [['--metric', 'accuracy'], /--metric must be one of roc_auc, expected_cost, pr_auc, log_loss/],
      [['--trials', '1.5'], /--trials must be a whole number/],
      [['--folds', '1'], /--folds must be a whole number from 2 to 20/],
      [['--shard', '3/2'], /--shard must be i\/N/],
      [['--sampler', 'grid'], /--sampler must be random or tpe/],
      [['--sampling', 'smote'], /--sampling must be none, undersample/],
      [['--space', 'nope.json'], /--space: file not found: nope.json/],
      [['--engine', 'svm'], /unknown engine "svm"/],
      [['stray'], /unexpected argument "stray"/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['tune', ...args], dir);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
    }
    writeFileSync(join(dir, 'space.json'), JSON.stringify({ C: { low: 1, high: 1e9 } }));
    const space = await cli(['tune', '--space', 'space.json'], dir);
    expect(space.code).toBe(2);
    expect(space.err).toMatch(/space.json: engine "logistic" parameter "C" must be ≤ 1000000/);
  });

  it('runs a search, prints the table and writes summary, runs file and config', async () => {
    const dir = project();
    const r = await cli(
      [
        'tune',
        '--trials',
        '2',
        '--folds',
        '2',
        '--metric',
        'expected_cost',
        '--out',
        'out',
        '--write-config',
        'mlops.config.json',
        '--track',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/trial 0 \(baseline\) \[1\/3\] expected_cost/);
    expect(r.out).toContain('| trial');
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.plan.metric).toBe('expected_cost');
    expect(summary.trials_run).toBe(3);
    expect(
      readFileSync(join(dir, 'out', 'trials.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(4);
    const cfg = JSON.parse(readFileSync(join(dir, 'mlops.config.json'), 'utf8'));
    expect(cfg.engine).toEqual(summary.config.engine);
    // --track: one run record per trial in the runs store.
    const runs = readdirSync(join(dir, 'runs'))
      .filter((d) => d !== 'tune-logistic')
      .map((d) => JSON.parse(readFileSync(join(dir, 'runs', d, 'run.json'), 'utf8')));
    expect(runs.map((x) => x.tracking.trial.index).sort()).toEqual([0, 1, 2]);
    expect(runs.every((x) => x.command === 'tune' && x.tracking.metrics_split === 'cv2')).toBe(true);
    expect(cfg.costs).toEqual({ false_negative: 5, false_positive: 1 });
  });
});
