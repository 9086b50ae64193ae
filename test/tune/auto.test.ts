/**
 * `engine: auto` through the real training path on the embedded credit data: the plan a
 * budget affords, the leaderboard and its selection rule, determinism down to the bundle's
 * bytes, and the errors a user can act on.
 */
import { describe, expect, it } from 'vitest';
import { engineFactory } from '../../pipeline/core/engines/index.ts';
import { bundleBytes } from '../../pipeline/core/model/bundle.ts';
import { train } from '../../pipeline/core/training/train.ts';
import { planAuto, rungsFor, type AutoConfig, type Family } from '../../pipeline/core/tuning/auto.ts';
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
