/**
 * `engine: auto` through the real training path on the embedded credit data: the plan a
 * budget affords, the leaderboard and its selection rule, determinism down to the bundle's
 * bytes, and the errors a user can act on.
 */
import { describe, expect, it } from 'vitest';
import { engineFactory } from '../../pipeline/core/engines/index.ts';
import { bundleBytes } from '../../pipeline/core/model/bundle.ts';
import { train } from '../../pipeline/core/training/train.ts';
import { oneSeRule, planAuto, rungsFor, type AutoConfig, type Family } from '../../pipeline/core/tuning/auto.ts';
import { pairedGap } from '../../pipeline/core/tuning/fold-scores.ts';
import { resolveConfig } from '../../pipeline/core/config/load.ts';
import { ROOT } from './helpers.ts';

const autoConfig = (auto: Partial<AutoConfig> = {}, engineParams: Record<string, number> = {}) =>
  resolveConfig({
    data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
    seed: 7,
    engine: { name: 'auto', params: engineParams },
    auto: { budget_seconds: 4, folds: 3, ...auto },
  });

const family = (name: string, rows = 2000, columns = 20): Family => {
  const factory = engineFactory(name);
  return { factory, space: factory.searchSpace!, shape: { rows, columns }, foldsKey: factory.encoding };
};
const families = ['logistic', 'forest', 'gbdt'].map((n) => family(n));
const cfg = (budget_seconds: number): AutoConfig => ({
  budget_seconds,
  engines: ['logistic', 'forest', 'gbdt'],
  folds: 4,
  metric: 'roc_auc',
});
const refitShape = (f: Family) => ({ rows: 3000, columns: f.shape.columns });

describe('auto: the plan a budget affords', () => {
  it('rungs double the folds up to k', () => {
    expect(rungsFor(2)).toEqual([1, 2]);
    expect(rungsFor(4)).toEqual([1, 2, 4]);
    expect(rungsFor(5)).toEqual([1, 2, 4, 5]);
  });

  it('is decided from estimated costs alone: fits the budget, grows with it, the same for a seed', () => {
    const sizes = [2, 5, 15, 60].map((b) => planAuto(families, cfg(b), 7, refitShape));
    for (const [i, p] of sizes.entries()) expect(p.planned_seconds).toBeLessThanOrEqual([2, 5, 15, 60][i]);
    const counts = sizes.map((p) => p.candidates.length);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts[3]).toBeGreaterThan(counts[0]);
    expect(planAuto(families, cfg(15), 7, refitShape)).toEqual(sizes[2]);
    // Draw d of an engine is `mlops tune`'s trial d with the same seed; #0 is the defaults.
    expect(sizes[3].candidates.filter((c) => c.draw === 0).map((c) => c.engine)).toEqual([
      'logistic',
      'forest',
      'gbdt',
    ]);
  });

  it('below every engine’s defaults it keeps the cheapest engines; below the cheapest it names auto.budget_seconds', () => {
    const all = planAuto(families, cfg(1000), 7, refitShape);
    const cheapest = all.candidates.filter((c) => c.draw === 0).reduce((m, c) => Math.min(m, c.fold_fit_s), Infinity);
    const tight = planAuto(families, cfg(cheapest * 4 + 0.5), 7, refitShape);
    expect(tight.candidates.map((c) => c.id)).toContain('logistic #0');
    expect(tight.candidates.length).toBeLessThan(3);
    expect(() => planAuto(families, cfg(0.01), 7, refitShape)).toThrow(
      /auto\.budget_seconds is 0\.01 s, too small for even one candidate: the cheapest, logistic #0 .* raise auto\.budget_seconds to at least/,
    );
  });
});

describe('auto: the one-standard-error rule on paired fold differences', () => {
  // Folds that differ in difficulty for every candidate alike: each mean has a large standard
  // error (sd / √k ≈ 0.02), the difference between two candidates on the same fold a small one.
  const hard = [0.8, 0.84, 0.88, 0.92];
  const gbdt = { name: 'gbdt', size: 100, scores: hard.map((v, i) => v + 0.01 + [0.001, -0.001, 0.002, -0.002][i]) };
  const logistic = { name: 'logistic', size: 0, scores: hard };

  it('a simpler candidate consistently behind on every fold is not within one standard error', () => {
    const v = pairedGap(gbdt.scores, logistic.scores, true);
    expect(v.gap).toBeCloseTo(0.01, 12);
    expect(v.se).toBeLessThan(0.001);
    // The unpaired standard error of either mean would call them equal and keep logistic regression.
    const sd = (xs: number[]) => Math.sqrt(xs.reduce((t, x) => t + (x - 0.86) ** 2, 0) / (xs.length - 1));
    expect(v.gap).toBeLessThan(sd(logistic.scores) / 2);
    const r = oneSeRule([gbdt, logistic], true);
    expect(r.close).toEqual([gbdt]);
    expect(r.winner).toBe(gbdt);
  });

  it('a simpler candidate whose difference is noise is kept, and the simplest of several wins', () => {
    const noisy = {
      name: 'logistic',
      size: 0,
      scores: hard.map((v, i) => v + 0.01 + [0.004, -0.006, 0.005, -0.007][i]),
    };
    const forest = {
      name: 'forest',
      size: 50,
      scores: hard.map((v, i) => v + 0.01 + [-0.003, 0.002, 0.001, -0.002][i]),
    };
    const r = oneSeRule([gbdt, forest, noisy], true);
    expect(r.best).toBe(gbdt);
    expect(r.close).toEqual([gbdt, forest, noisy]);
    expect(r.winner).toBe(noisy);
  });

  it('lower is better for expected cost', () => {
    const cheap = { name: 'gbdt', size: 100, scores: [1, 2, 3, 4] };
    const dear = { name: 'logistic', size: 0, scores: [1.5, 2.5, 3.5, 4.6] };
    expect(pairedGap(cheap.scores, dear.scores, false).gap).toBeCloseTo(0.525, 12);
    expect(oneSeRule([cheap, dear], false).winner).toBe(cheap);
  });
});

describe('auto: selection through train()', () => {
  it('records the whole leaderboard and why the winner won; same seed, same leaderboard and same bundle bytes', async () => {
    const a = await train({ config: autoConfig(), baseDir: ROOT, workers: 1 });
    const b = await train({ config: autoConfig(), baseDir: ROOT, workers: 2 });
    expect(bundleBytes(b.bundle, false).equals(bundleBytes(a.bundle, false))).toBe(true);
    const s = a.bundle.selection!;
    expect(s).toEqual(b.bundle.selection);
    expect(s.planned_seconds).toBeLessThanOrEqual(4);
    // The model is the winner's engine with the winner's parameters, refitted on the training rows.
    expect(a.bundle.engine.engine).toBe(s.engine);
    expect(a.bundle.provenance.engine).toBe(s.engine);
    for (const [k, v] of Object.entries(s.params)) expect(a.bundle.engine.params[k]).toBe(v);
    // Every engine reaches the last rung with its best candidate, scored on every fold.
    const finalists = s.leaderboard.filter((e) => e.outcome === 'finalist' || e.outcome === 'winner');
    expect(new Set(finalists.map((e) => e.engine))).toEqual(new Set(['logistic', 'forest', 'gbdt']));
    for (const e of finalists) {
      expect(e.folds).toBe(3);
      expect(e.fold_scores).toHaveLength(3);
      expect(e.sd).not.toBeNull();
      expect(e.estimated_fit_s).toBeGreaterThan(0);
    }
    expect(s.leaderboard.map((e) => e.rank)).toEqual(s.leaderboard.map((_, i) => i + 1));
    expect(s.leaderboard.filter((e) => e.outcome === 'dropped').every((e) => e.folds < 3)).toBe(true);
    const winner = s.leaderboard.find((e) => e.outcome === 'winner')!;
    expect(winner.candidate).toBe(s.winner);
    // The best mean wins unless a simpler finalist is within one standard error of it.
    const best = s.leaderboard[0];
    if (winner !== best) {
      expect(s.reason).toMatch(/within one standard error of the best/);
      const size = (e: typeof best): number => engineFactory(e.engine).size!(e.params);
      expect(size(winner)).toBeLessThan(size(best));
    } else expect(s.reason).toMatch(/has the best 3-fold cross-validated ROC AUC/);
    // Measured times are the run's, never the bundle's.
    expect(Object.keys(a.auto!.fit_seconds).sort()).toEqual(s.leaderboard.map((e) => e.candidate).sort());
    expect(JSON.stringify(a.bundle)).not.toContain('fit_seconds');
    expect(a.metrics.timings.select_s).toBeGreaterThan(0);
  });

  it('when 3 folds cannot tell the best from a simpler finalist, both go on to more partitions; the same for a seed', async () => {
    // Seed 3 on the embedded data: gbdt #0 and logistic #0 are within one standard error on 3 folds.
    const config = { ...autoConfig(), seed: 3 };
    const a = await train({ config, baseDir: ROOT });
    const b = await train({ config, baseDir: ROOT, workers: 2 });
    expect(bundleBytes(b.bundle, false).equals(bundleBytes(a.bundle, false))).toBe(true);
    const s = a.bundle.selection!;
    expect(s.repeats).toBeGreaterThan(1);
    const top = s.leaderboard.filter((e) => e.folds === 3 * s.repeats!);
    expect(top.map((e) => e.engine).sort()).toEqual(['gbdt', 'logistic']);
    expect(top.map((e) => e.candidate)).toContain(s.winner);
    expect(s.leaderboard.slice(0, top.length)).toEqual(top);
    for (const e of s.leaderboard.slice(top.length)) expect(e.folds).toBeLessThanOrEqual(3);
    expect(s.reason).toMatch(
      new RegExp(`3 folds could not tell .* apart, so they were cross-validated on ${s.repeats! - 1} more partitions?`),
    );
    // Repeats are bought from the estimated budget the halving left, never from the clock.
    const spent = s.leaderboard.reduce((t, e) => t + e.estimated_fit_s, 0);
    expect(spent).toBeLessThanOrEqual(s.budget_seconds);
  });

  it('expected cost as the objective: lower is better, and the leaderboard is ordered that way', async () => {
    const r = await train({ config: autoConfig({ metric: 'expected_cost', budget_seconds: 2 }), baseDir: ROOT });
    const s = r.bundle.selection!;
    expect(s.higher_is_better).toBe(false);
    const means = s.leaderboard.filter((e) => e.folds === 3).map((e) => e.mean!);
    expect(means).toEqual([...means].sort((x, y) => x - y));
  });

  it('a budget too small for one candidate, and parameters given to auto, are clear errors', async () => {
    await expect(train({ config: autoConfig({ budget_seconds: 0.01 }), baseDir: ROOT })).rejects.toThrow(
      /auto\.budget_seconds is 0\.01 s, too small for even one candidate/,
    );
    await expect(train({ config: autoConfig({}, { nTrees: 5 }), baseDir: ROOT })).rejects.toThrow(
      /engine "auto" chooses the parameters itself; remove engine\.params \(got nTrees\)/,
    );
    await expect(train({ config: autoConfig({ engines: ['ml-random-forest'] }), baseDir: ROOT })).rejects.toThrow(
      /auto\.engines: engine "ml-random-forest" declares no fit-cost estimate/,
    );
  });
});
