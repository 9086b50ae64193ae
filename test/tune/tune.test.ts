import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineFactory } from '../../pipeline/core/engines/index.ts';
import { resolveParams } from '../../pipeline/core/engines/params.ts';
import { chooseThreshold } from '../../pipeline/core/evaluation/threshold.ts';
import { loadTrainingPool, prepareFolds } from '../../pipeline/core/tuning/cv.ts';
import { parseSampling } from '../../pipeline/core/tuning/imbalance.ts';
import { readRunsFile } from '../../pipeline/core/tuning/runs-file.ts';
import { parseSpace } from '../../pipeline/core/tuning/space.ts';
import { summarize } from '../../pipeline/core/tuning/summary.ts';
import { parseShard, trialsOfShard, tune, type TuneOptions } from '../../pipeline/core/tuning/tune.ts';
import { writeConfigSnippet } from '../../pipeline/core/tuning/write-config.ts';
import { deriveSeed } from '../../pipeline/core/common/random.ts';
import { creditConfig, ROOT, untimed } from './helpers.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'mlops-tune-'));

// Loaded once: the tree engines' configs differ only in engine, so the rows are the same.
const pool = loadTrainingPool(creditConfig(), ROOT);

const base = (over: Partial<TuneOptions> = {}): TuneOptions => ({
  config: creditConfig(),
  pool,
  baseDir: ROOT,
  trials: 5,
  folds: 3,
  metric: 'roc_auc',
  sampler: 'random',
  sampling: parseSampling('none'),
  ...over,
});

describe('tune', () => {
  it('is deterministic for a seed: the same trials, parameters and fold scores', async () => {
    const a = await tune(base());
    const b = await tune(base({ pool: loadTrainingPool(creditConfig(), ROOT) }));
    expect(a.trials.map(untimed)).toEqual(b.trials.map(untimed));
    expect(a.trials).toHaveLength(6);
    expect(a.trials[0].baseline).toBe(true);
    expect(a.trials[0].params).toEqual({});
    // Searched trials really differ from each other.
    expect(new Set(a.trials.map((t) => t.mean)).size).toBeGreaterThan(3);
  });

  it('--jobs: trials in worker threads give the same records as one thread', async () => {
    const one = await tune(base({ trials: 3 }));
    const two = await tune(base({ trials: 3, jobs: 2 }));
    expect(two.trials.map(untimed)).toEqual(one.trials.map(untimed));
    await expect(tune(base({ sampler: 'tpe', jobs: 2 }))).rejects.toThrow(/runs one trial at a time/);
  });

  it('records every trial to the runs file as it finishes, after the plan line', async () => {
    const file = join(tmp(), 'trials.jsonl');
    const out = await tune(base({ runsFile: file, trials: 3 }));
    const runs = readRunsFile(file);
    expect(runs.plan.engine).toBe('logistic');
    expect(runs.plan.folds).toBe(3);
    expect(runs.trials).toEqual(out.trials);
    for (const t of runs.trials) {
      expect(t.fold_scores).toHaveLength(3);
      expect(t.mean).toBeCloseTo(t.fold_scores.reduce((s, v) => s! + v!, 0)! / 3, 12);
    }
    const s = summarize(runs.plan, runs.trials);
    expect(s.best.mean).toBe(runs.trials.reduce((m, t) => Math.max(m, t.mean!), -Infinity));
    expect(s.config.engine.name).toBe('logistic');
  });

  it("expected_cost: chooses the threshold on each fold's held-out rows, so it moves per fold", async () => {
    const out = await tune(base({ metric: 'expected_cost', trials: 0, folds: 4 }));
    const t0 = out.trials[0];
    expect(t0.thresholds).toHaveLength(4);
    expect(new Set(t0.thresholds).size).toBeGreaterThan(1);
    // Recompute fold by fold: the recorded threshold and cost are chooseThreshold's on held-out rows.
    const cfg = creditConfig();
    const folds = prepareFolds(pool, {
      k: 4,
      seed: cfg.seed,
      encoding: 'linear',
      sampling: parseSampling('none'),
      earlyStopping: false,
    });
    const f = engineFactory('logistic');
    for (const fd of folds) {
      const e = f.create(resolveParams('logistic', f.paramSpec, {}));
      await e.fit(fd.train.X, fd.train.y, { seed: deriveSeed(cfg.seed, 404, fd.fold) });
      const choice = chooseThreshold(fd.heldOut.y, e.predictProba(fd.heldOut.X), cfg.costs);
      expect(t0.thresholds![fd.fold]).toBe(choice.threshold);
      expect(t0.fold_scores[fd.fold]).toBe(choice.expected_cost);
    }
    // With false negatives 5× as costly, the cost threshold sits well below 0.5.
    for (const th of t0.thresholds!) expect(th).toBeLessThan(0.4);
    expect(out.plan.higher_is_better).toBe(false);
  });

  it('shards partition the trials', () => {
    const all = [1, 2, 3].flatMap((i) => trialsOfShard(10, { index: i, count: 3 })).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(trialsOfShard(10, parseShard('2/3'))).toEqual([1, 4, 7, 10]);
    expect(() => parseShard('4/3')).toThrow(/--shard must be i\/N/);
    expect(() => parseShard('0/3')).toThrow(/--shard/);
  });

  it('refuses to shard the sequential TPE sampler', async () => {
    await expect(tune(base({ sampler: 'tpe', shard: { index: 1, count: 2 } }))).rejects.toThrow(/cannot be sharded/);
  });

  it('tunes the tree engines (tiny budgets), early stopping on rows apart from the held-out fold', async () => {
    const gbdt = await tune(
      base({
        config: creditConfig('gbdt', { nRounds: 15 }),
        trials: 2,
        folds: 2,
        space: parseSpace({ learningRate: { low: 0.05, high: 0.3, log: true }, maxDepth: { low: 2, high: 3 } }, 'test'),
      }),
    );
    for (const t of gbdt.trials) expect(t.mean!).toBeGreaterThan(0.7);
    const forest = await tune(
      base({
        config: creditConfig('forest', { nTrees: 10 }),
        trials: 2,
        folds: 2,
        space: parseSpace({ minSamplesLeaf: { low: 2, high: 20 } }, 'test'),
      }),
    );
    for (const t of forest.trials) expect(t.mean!).toBeGreaterThan(0.7);
    // Searched trials start from the config's parameters.
    expect(forest.trials[1].params.nTrees).toBe(10);
    expect(gbdt.trials[2].params.nRounds).toBe(15);
  });
});

describe('--write-config', () => {
  const snippet = { engine: { name: 'logistic', params: { C: 0.5, classWeight: 'balanced' } } };

  it('merges into an existing JSON config, keeping every other key', () => {
    const file = join(tmp(), 'mlops.config.json');
    const before = {
      model_name: 'x',
      data: { path: 'd.csv', target: 'T', positive: 'bad' },
      engine: { name: 'forest', params: { nTrees: 5 } },
      costs: { false_negative: 5, false_positive: 1 },
    };
    writeFileSync(file, JSON.stringify(before, null, 2));
    writeConfigSnippet(file, snippet);
    const after = JSON.parse(readFileSync(file, 'utf8'));
    expect(after).toEqual({ ...before, engine: snippet.engine });
  });

  it('keeps YAML comments and other keys, and creates a missing file', () => {
    const dir = tmp();
    const yml = join(dir, 'mlops.config.yaml');
    writeFileSync(yml, '# lender settings\nseed: 3 # fixed\nengine:\n  name: forest\n  params:\n    nTrees: 5\n');
    writeConfigSnippet(yml, snippet);
    const text = readFileSync(yml, 'utf8');
    expect(text).toContain('# lender settings');
    expect(text).toContain('seed: 3 # fixed');
    expect(text).toContain('name: logistic');
    expect(text).not.toContain('nTrees');
    const fresh = join(dir, 'snippet.json');
    writeConfigSnippet(fresh, snippet);
    expect(JSON.parse(readFileSync(fresh, 'utf8'))).toEqual(snippet);
  });

  it('refuses to overwrite a malformed file', () => {
    const file = join(tmp(), 'bad.json');
    writeFileSync(file, '{"seed": 3,');
    expect(() => writeConfigSnippet(file, snippet)).toThrow(/malformed JSON.*not overwriting/);
    expect(readFileSync(file, 'utf8')).toBe('{"seed": 3,');
  });
});
