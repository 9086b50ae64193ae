/**
 * `auto.ensemble`: the soft-voting ensemble of the top finalists is kept only when it beats
 * the winner by more than one paired standard error (and refused otherwise, saying why); its
 * bundle is the same bytes for a seed, scores as the weighted mean of its members'
 * probabilities, and explains in probability space with contributions that add up exactly.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../pipeline/core/config/load.ts';
import { engineFactory } from '../../pipeline/core/engines/index.ts';
import { explainRows, shapValues } from '../../pipeline/core/explain/index.ts';
import { transform } from '../../pipeline/core/features/preprocess.ts';
import { bundleBytes } from '../../pipeline/core/model/bundle.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import type { EnsembleState } from '../../pipeline/core/model/ensemble.ts';
import { train, type TrainResult } from '../../pipeline/core/training/train.ts';
import {
  decodeHeldOut,
  encodeHeldOut,
  ensembleOf,
  type EnsembleEvidence,
} from '../../pipeline/core/tuning/auto-ensemble.ts';
import { ROOT } from './helpers.ts';

const ensembleConfig = (auto: Record<string, unknown> = {}) =>
  resolveConfig({
    data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
    seed: 7,
    engine: { name: 'auto', params: {} },
    auto: { budget_seconds: 4, folds: 3, ensemble: true, ...auto },
  });

/** Three candidates whose held-out probabilities rank every fold's rows perfectly when averaged. */
function evidence(winnerScores: number[]): EnsembleEvidence {
  const k = winnerScores.length;
  const y = Uint8Array.from([0, 0, 1, 1]);
  const oof = new Map<string, { p: Float64Array; y: Uint8Array }[]>();
  const ids = ['a #0', 'b #0', 'c #0'];
  const member = [
    [0.1, 0.5, 0.4, 0.9],
    [0.2, 0.1, 0.6, 0.3],
    [0.3, 0.3, 0.5, 0.8],
  ];
  ids.forEach((id, m) =>
    oof.set(
      id,
      Array.from({ length: k }, () => ({ p: Float64Array.from(member[m]), y })),
    ),
  );
  return {
    folds: k,
    metric: 'roc_auc',
    higher: true,
    costs: { false_negative: 5, false_positive: 1 },
    candidates: ids.map((id) => ({ id, engine: id.split(' ')[0], params: {} })),
    scores: new Map([
      ['a #0', winnerScores],
      ['b #0', winnerScores.map((s) => s - 0.1)],
      ['c #0', winnerScores.map((s) => s - 0.2)],
    ]),
    oof,
    winner: 'a #0',
  };
}

describe('auto.ensemble: kept only when it beats the winner by more than one paired standard error', () => {
  it('keeps it when the gap is larger than the paired standard error', () => {
    // The ensemble scores 1 on every fold; the winner 0.99, 0.99, 1, 1: gap 0.005 > se 0.0029.
    const { choice, why } = ensembleOf(evidence([0.99, 0.99, 1, 1]));
    expect(choice!.fold_scores).toEqual([1, 1, 1, 1]);
    expect(choice!.members.map((m) => [m.candidate, m.weight])).toEqual([
      ['a #0', 1 / 3],
      ['b #0', 1 / 3],
      ['c #0', 1 / 3],
    ]);
    expect(choice!.gap).toBeCloseTo(0.005, 9);
    expect(choice!.se).toBeCloseTo((0.005 * Math.sqrt(4 / 3)) / 2, 6);
    expect(choice!.kept).toBe(true);
    expect(why).toMatch(
      /the soft-voting ensemble of a #0, b #0 and c #0 \(equal weights; 1 ± 0\) beats a #0 \(0\.9950 ± 0\.0058\) on the 4 folds of the first partition by 0\.0050, more than the standard error of 0\.0029 on the paired fold differences, so the model is the ensemble/,
    );
  });

  it('refuses it when it is ahead by no more than the paired standard error, and says so', () => {
    // Differences 0.03, −0.02, 0.01, 0: ahead by 0.005 with a standard error of 0.0104.
    const { choice, why } = ensembleOf(evidence([0.97, 1.02, 0.99, 1]));
    expect(choice!.kept).toBe(false);
    expect(choice!.gap).toBeCloseTo(0.005, 9);
    expect(why).toMatch(
      /is 0\.0050 ahead of a #0 .* not more than the standard error of 0\.0104 on the paired fold differences, so a #0 is kept/,
    );
    // Behind the winner: refused too.
    expect(ensembleOf(evidence([1, 1, 1, 1])).choice!.kept).toBe(false);
  });

  it('needs two finalists with every fold', () => {
    const ev = evidence([0.9, 0.9, 0.9]);
    ev.scores = new Map([...ev.scores].map(([id, s]) => [id, id === 'a #0' ? s : s.slice(0, 1)]));
    expect(ensembleOf(ev)).toEqual({
      choice: null,
      why: 'no ensemble: it needs two finalists cross-validated on every fold, and there is one',
    });
  });

  it('held-out probabilities travel exactly (base64 of doubles)', () => {
    const p = Float64Array.from([0.1, 1 / 3, Math.PI / 10, 1e-300, 0.9999999999999999]);
    const y = Uint8Array.from([0, 1, 1, 0, 1]);
    const back = decodeHeldOut(JSON.parse(JSON.stringify(encodeHeldOut(p, y))));
    expect(Array.from(back.p)).toEqual(Array.from(p));
    expect(Array.from(back.y)).toEqual(Array.from(y));
  });
});

let kept: TrainResult;

describe('auto.ensemble on the embedded credit data', () => {
  it('keeps the ensemble of the top three finalists, in one bundle, the same bytes twice', async () => {
    kept = await train({ config: ensembleConfig(), baseDir: ROOT, workers: 1 });
    const s = kept.bundle.selection!;
    expect(s.ensemble!.kept).toBe(true);
    expect(s.engine).toBe('ensemble');
    expect(s.winner).toBe(s.ensemble!.id);
    expect(s.reason).toMatch(/, so the model is the ensemble$/);
    // The leaderboard's first line is the ensemble, its members and weights as parameters; the single winner is a finalist.
    const top = s.leaderboard[0];
    expect(top).toMatchObject({ rank: 1, candidate: s.winner, engine: 'ensemble', outcome: 'winner', folds: 3 });
    expect(Object.keys(top.params).sort()).toEqual(s.ensemble!.members.map((m) => m.candidate).sort());
    expect(s.leaderboard.filter((e) => e.outcome === 'winner')).toHaveLength(1);
    expect(s.ensemble!.gap!).toBeGreaterThan(s.ensemble!.se!);
    expect(kept.bundle.format_version).toBe(3);
    expect(kept.bundle.preprocessing).toBeUndefined();
    const members = (kept.bundle.engine.state as EnsembleState).members;
    expect(members.map((m) => m.candidate)).toEqual(s.ensemble!.members.map((m) => m.candidate));
    // Its parameters, as the run record and MLflow carry them: two plain keys.
    expect(kept.bundle.engine.params).toEqual({
      members: members.map((m) => m.candidate).join(', '),
      weights: '0.333333, 0.333333, 0.333333',
    });
    // Each member keeps its own encoding: logistic regression the linear one, trees the tree one.
    for (const m of members) expect(m.preprocessing.encoding).toBe(engineFactory(m.engine.engine).encoding);
    expect(new Set(members.map((m) => m.preprocessing.encoding)).size).toBe(2);
    const again = await train({ config: ensembleConfig(), baseDir: ROOT, workers: 2 });
    expect(bundleBytes(again.bundle, true).equals(bundleBytes(kept.bundle, true))).toBe(true);
  }, 300_000);

  it('scores as the weighted mean of its members’ probabilities, each through its own preprocessing', () => {
    const model = new CreditModel(JSON.parse(JSON.stringify(kept.bundle)));
    const ds = kept.testSet;
    const p = model.score(ds);
    const expected = new Float64Array(ds.rows);
    for (const m of (kept.bundle.engine.state as EnsembleState).members) {
      const q = engineFactory(m.engine.engine).fromJSON(m.engine).predictProba(transform(m.preprocessing, ds));
      for (let i = 0; i < q.length; i++) expected[i] += m.weight * q[i];
    }
    expect(Array.from(p)).toEqual(Array.from(expected));
    expect(Array.from(p)).toEqual(Array.from(kept.scores.test.p));
    // The threshold was chosen on the ensemble's validation probabilities.
    expect(kept.metrics.test.roc_auc).toBeGreaterThan(0.8);
  });

  it('attributes in probability space: base value + contributions = its probability, to 1e-9, on real rows', () => {
    const model = new CreditModel(kept.bundle);
    const ds = kept.testSet;
    const p = model.score(ds);
    const s = shapValues(model, ds);
    expect(s.output).toBe('probability');
    for (let i = 0; i < ds.rows; i++) {
      const total = s.values[i].reduce((a, b) => a + b, s.base);
      expect(Math.abs(total - p[i])).toBeLessThan(1e-9);
      expect(Math.abs(s.margin[i] - p[i])).toBeLessThan(1e-9);
    }
    const [e] = explainRows(model, ds, [3]);
    expect(e.output).toBe('probability');
    expect(e.probability).toBeCloseTo(p[3], 9);
    expect(e.reason_codes.length).toBeGreaterThan(0);
  });

  it('refused, the model is the single winner’s, with the reason', async () => {
    // Logistic regressions alone: their average is no better than the best of them.
    const r = await train({ config: ensembleConfig({ engines: ['logistic'] }), baseDir: ROOT, workers: 1 });
    const s = r.bundle.selection!;
    expect(s.ensemble!.kept).toBe(false);
    expect(s.engine).toBe('logistic');
    expect(s.reason).toMatch(
      /not more than the standard error of .* on the paired fold differences, so logistic #\d+ is kept$/,
    );
    expect(s.leaderboard.find((e) => e.engine === 'ensemble')!.outcome).toBe('finalist');
    expect(r.bundle.format_version).toBe(2);
    expect(r.bundle.engine.engine).toBe('logistic');
  }, 300_000);

  it('a config value that is not a boolean is an error naming auto.ensemble', () => {
    expect(() => ensembleConfig({ ensemble: 'yes' })).toThrow(/auto\/ensemble: must be boolean/);
  });
});
