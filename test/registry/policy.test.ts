import { join } from 'node:path';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareRun,
  evaluateChallenger,
  loadChallenger,
  loadRegistry,
  promoteRun,
  rollback,
  type Challenger,
  type Verdict,
} from '../../pipeline/gitops/registry/index.ts';
import { evaluationParts } from '../../pipeline/gitops/run/evaluation-rows.ts';
import { HIGHER_IS_BETTER, METRIC_NAMES } from '../../pipeline/core/evaluation/metrics.ts';
import type { MlopsConfig } from '../../pipeline/core/config/types.ts';
import { projectDir, ROOT, testConfig, tmp, trainRun, VARIANTS, removeTemporaryFolders } from './helpers.ts';

afterAll(removeTemporaryFolders);

let project: string;
let config: MlopsConfig;
const runs: Record<string, string> = {};
const ch: Record<string, Challenger> = {};

beforeAll(async () => {
  config = testConfig();
  project = projectDir(undefined, config);
  cpSync(join(ROOT, 'data/credit_data/test.csv'), join(project, 'data/golden.csv'));
  for (const [name, variant] of Object.entries(VARIANTS)) {
    runs[name] = await trainRun(project, join(project, 'runs', name), testConfig(variant));
    ch[name] = loadChallenger(runs[name]);
  }
});

/** Verdict of `challenger` against `champion` under a policy tweak. */
function verdict(
  challenger: string,
  champion: string | null,
  policy: (p: MlopsConfig['promotion']) => void = () => {},
  force: string | null = null,
): Verdict {
  const c = testConfig();
  policy(c.promotion);
  return evaluateChallenger({
    name: 'credit-default',
    challenger: ch[challenger],
    champion: champion ? { version: 1, bundle: ch[champion].bundle } : null,
    policy: c.promotion,
    rows: evaluationParts(ch[challenger].bundle, ch[challenger].record, project, c.promotion.golden_path),
    maxBundleBytes: c.registry.max_bundle_bytes,
    registered: champion ? [{ version: 1, digest: ch[champion].bundle.digest }] : [],
    force: force ? { reason: force } : null,
  });
}

const rule = (v: Verdict, id: string) => {
  const r = v.rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id} in ${v.rules.map((x) => x.id).join(', ')}`);
  return r;
};

describe('promotion policy', () => {
  it("scores both models on the challenger's re-created test rows: its metrics there equal its recorded test metrics", () => {
    const v = verdict('strong', 'weak');
    expect(v.evaluated_on).toEqual([expect.objectContaining({ name: 'test', rows: ch.strong.metrics.rows.test })]);
    expect(v.metrics.challenger.roc_auc).toBeCloseTo(ch.strong.metrics.test.roc_auc!, 12);
    expect(v.metrics.challenger.brier).toBeCloseTo(ch.strong.metrics.test.brier, 12);
    // The weak champion has other columns; it is scored on the same rows with its own schema.
    expect(v.metrics.champion!.roc_auc).toBeLessThan(v.metrics.challenger.roc_auc! - 0.05);
  });

  it('primary metric: passes on a real improvement, fails below min_delta', () => {
    const up = verdict('strong', 'weak');
    expect(rule(up, 'primary:roc_auc').passed).toBe(true);
    expect(up.decision).toBe('promote');
    expect(up.summary).toMatch(/^promote: roc_auc \+0\.1\d+ vs champion v1/);
    const down = verdict('weak', 'strong');
    expect(rule(down, 'primary:roc_auc').passed).toBe(false);
    expect(down.decision).toBe('keep');
    const tiny = verdict('twin', 'strong');
    const r = rule(tiny, 'primary:roc_auc');
    expect(Math.abs(r.challenger! - r.champion!)).toBeLessThan(0.002);
    expect(r.passed).toBe(false);
    expect(tiny.summary).toMatch(/^keep champion v1: primary:roc_auc improvement .* improvement ≥ 0\.002 required/);
    const relaxed = verdict('twin', 'strong', (p) => {
      p.min_delta = 0;
      p.guardrails = [];
    });
    expect(rule(relaxed, 'primary:roc_auc').passed).toBe(r.challenger! >= r.champion!);
  });

  it('min_relative: enforced as a separate rule', () => {
    const gain = (v: Verdict) =>
      (v.metrics.challenger.roc_auc! - v.metrics.champion!.roc_auc!) / v.metrics.champion!.roc_auc!;
    const pass = verdict('strong', 'weak', (p) => (p.min_relative = 0.05));
    expect(gain(pass)).toBeGreaterThan(0.05);
    expect(rule(pass, 'primary:roc_auc:relative').passed).toBe(true);
    const fail = verdict('strong', 'weak', (p) => (p.min_relative = 0.5));
    expect(rule(fail, 'primary:roc_auc:relative').passed).toBe(false);
    expect(fail.decision).toBe('keep');
  });

  it('guardrails: a regression within the tolerance passes, beyond it fails, in the right direction per metric', () => {
    const strict = verdict(
      'weak',
      'strong',
      (p) => (p.guardrails = METRIC_NAMES.map((metric) => ({ metric, max_regression: 0 }))),
    );
    for (const metric of METRIC_NAMES) {
      const r = rule(strict, `guardrail:${metric}`);
      const regression = HIGHER_IS_BETTER[metric] ? r.champion! - r.challenger! : r.challenger! - r.champion!;
      expect(r.passed, metric).toBe(regression <= 1e-12);
    }
    expect(rule(strict, 'guardrail:roc_auc').passed).toBe(false);
    expect(rule(strict, 'guardrail:brier').passed).toBe(false);
    const loose = verdict(
      'weak',
      'strong',
      (p) => (p.guardrails = METRIC_NAMES.map((metric) => ({ metric, max_regression: 1 }))),
    );
    expect(loose.rules.filter((r) => r.kind === 'guardrail').every((r) => r.passed)).toBe(true);
    // A guardrail alone can block an otherwise winning challenger.
    const blocked = verdict('strong', 'weak', (p) => (p.guardrails = [{ metric: 'recall', max_regression: 0 }]));
    const recall = rule(blocked, 'guardrail:recall');
    expect(blocked.decision).toBe(recall.passed ? 'promote' : 'keep');
  });

  it('overfitting gap: limit just above the gap passes, just below fails', () => {
    const b = ch.strong.bundle;
    const gap = b.metrics.train.roc_auc! - b.metrics.test.roc_auc!;
    expect(
      rule(
        verdict('strong', 'weak', (p) => (p.max_overfitting_gap = Math.max(0, gap) + 0.001)),
        'overfitting',
      ).passed,
    ).toBe(true);
    const weakGap = ch.weak.bundle.metrics.train.roc_auc! - ch.weak.bundle.metrics.test.roc_auc!;
    const tight = verdict('strong', 'weak', (p) => (p.max_overfitting_gap = 0));
    expect(rule(tight, 'overfitting').passed).toBe(gap <= 0);
    expect(weakGap).toBeLessThan(0.05);
    // An overfitted first model is not a valid first model either.
    const first = verdict('strong', null, (p) => (p.max_overfitting_gap = 0));
    expect(first.decision).toBe(gap <= 0 ? 'promote' : 'keep');
  });

  it('no champion: the first valid model is promoted', () => {
    const v = verdict('weak', null);
    expect(v.decision).toBe('promote');
    expect(v.champion).toBeNull();
    expect(v.metrics.champion).toBeNull();
    expect(rule(v, 'first-model').passed).toBe(true);
    expect(v.summary).toBe('promote: first model for credit-default (no champion yet)');
  });

  it('forced promotion overrides the gate but not validity', () => {
    const v = verdict('weak', 'strong', () => {}, 'rolling out the simpler scorecard for the audit');
    expect(v.decision).toBe('promote');
    expect(v.forced).toEqual({ reason: 'rolling out the simpler scorecard for the audit' });
    expect(rule(v, 'forced').passed).toBe(true);
    expect(v.summary).toMatch(
      /^promote \(forced: rolling out.*the gate alone would keep the champion \(failed: primary:roc_auc/,
    );
    const dup = verdict('strong', 'strong', () => {}, 'again');
    expect(rule(dup, 'validity:new-model').passed).toBe(false);
    expect(dup.decision).toBe('keep');
  });

  it('a golden holdout file adds its rows to the evaluation for both models', () => {
    const v = verdict('strong', 'weak', (p) => (p.golden_path = 'data/golden.csv'));
    expect(v.evaluated_on.map((e) => e.name)).toEqual(['test', 'golden']);
    expect(v.evaluated_on[1].rows).toBe(891);
  });

  it('refuses a challenger whose data changed since training (the rows could not be the same)', () => {
    const dir = projectDir(tmp('changed'));
    const csv = readFileSync(join(dir, 'data/credit_data.csv'), 'utf8');
    writeFileSync(join(dir, 'data/credit_data.csv'), csv.replace(/\n[^\n]*\n$/, '\n'));
    expect(() => evaluationParts(ch.strong.bundle, ch.strong.record, dir, null)).toThrow(/data changed since training/);
  });
});

describe('promoteRun and rollback on the registry files', () => {
  it('registers, promotes, rejects, forces and rolls back, with every event in the history', () => {
    const dir = join(tmp('reg'), 'models');
    const base = {
      dir,
      config,
      baseDir: project,
      actor: 'alice',
      ciRunUrl: 'https://ci.example/runs/1',
      gitCommit: null,
    };
    const first = promoteRun({ ...base, challenger: runs.weak });
    expect(first).toMatchObject({ decision: 'promote', version: 1, champion: 1, previousChampion: null });
    const better = promoteRun({ ...base, challenger: runs.strong });
    expect(better).toMatchObject({ decision: 'promote', version: 2, champion: 2, previousChampion: 1 });
    const rejected = promoteRun({ ...base, challenger: runs.twin });
    expect(rejected).toMatchObject({ decision: 'keep', version: null, champion: 2 });
    const forced = promoteRun({
      ...base,
      challenger: runs.twin,
      force: { reason: 'calibration review asked for C=0.9' },
    });
    expect(forced).toMatchObject({ decision: 'promote', version: 3, champion: 3 });
    expect(() => promoteRun({ ...base, challenger: runs.twin, force: { reason: ' ' } })).toThrow(/needs a reason/);
    const rb = rollback({ dir, name: 'credit-default', reason: 'C=0.9 misbehaves on new applicants', actor: 'bob' });
    expect(rb).toMatchObject({ from: 3, to: 2 });

    const reg = loadRegistry(dir);
    const m = reg.models['credit-default'];
    expect(m.aliases).toEqual({ champion: 2, challenger: null });
    expect(m.versions.map((v) => [v.version, v.path, v.forced])).toEqual([
      [1, 'credit-default/v1', null],
      [2, 'credit-default/v2', null],
      [3, 'credit-default/v3', { reason: 'calibration review asked for C=0.9' }],
    ]);
    expect(m.history.map((h) => [h.seq, h.event, h.version, h.previous_champion, h.actor])).toEqual([
      [1, 'registered', 1, null, 'alice'],
      [2, 'promoted', 1, null, 'alice'],
      [3, 'registered', 2, null, 'alice'],
      [4, 'promoted', 2, 1, 'alice'],
      [5, 'rejected', null, 2, 'alice'],
      [6, 'registered', 3, null, 'alice'],
      [7, 'promoted', 3, 2, 'alice'],
      [8, 'rolled_back', 2, 3, 'bob'],
    ]);
    expect(m.history[4].verdict!.decision).toBe('keep');
    expect(m.history[4].reason).toMatch(/primary:roc_auc/);
    expect(m.history[6].reason).toBe('forced: calibration review asked for C=0.9');
    expect(m.history[6].verdict!.forced).toEqual({ reason: 'calibration review asked for C=0.9' });
    expect(m.history[7].reason).toBe('C=0.9 misbehaves on new applicants');
    expect(m.history[1].ci_run_url).toBe('https://ci.example/runs/1');
    expect(readFileSync(join(dir, 'credit-default/v2/card.md'), 'utf8')).toMatch(
      /# credit-default v2[\s\S]*## Known limits/,
    );
    expect(m.versions[1].lineage).toMatchObject({
      seed: 42,
      engine: 'logistic',
      data: { path: 'data/credit_data.csv', rows: 4454 },
      run: { command: 'test' },
    });
    // A rollback to a version that never served needs --to; an explicit target works.
    expect(() => rollback({ dir, name: 'credit-default', to: 2, reason: 'x', actor: 'bob' })).toThrow(
      /already the champion/,
    );
    expect(rollback({ dir, name: 'credit-default', to: 3, reason: 'the review is done', actor: 'bob' })).toMatchObject({
      from: 2,
      to: 3,
    });
    expect(() => rollback({ dir, name: 'credit-default', reason: '', actor: 'bob' })).toThrow(/needs a reason/);
  });

  it('refuses a bundle over the size budget and points to Git LFS; nothing is written', () => {
    const dir = join(tmp('size'), 'models');
    const small = testConfig((c) => (c.registry.max_bundle_bytes = 100));
    expect(() => promoteRun({ dir, config: small, baseDir: project, challenger: runs.strong, actor: 'alice' })).toThrow(
      /over the registry budget of 100 B.*Git LFS/,
    );
    expect(loadRegistry(dir).models).toEqual({});
    const v = compareRun({ dir, config: small, baseDir: project, challenger: runs.strong }).verdict;
    expect(v.decision).toBe('keep');
    expect(v.summary).toMatch(/validity:size: the bundle is .* gzipped, over the registry budget/);
  });
});

describe('model identity', () => {
  it('keeps a run trained under another model name out of this model', () => {
    const dir = join(tmp('name'), 'models');
    const other = testConfig((c) => (c.model_name = 'scorecard'));
    const v = compareRun({ dir, config: other, baseDir: project, challenger: runs.strong }).verdict;
    expect(v.model).toBe('scorecard');
    expect(v.decision).toBe('keep');
    expect(v.summary).toMatch(/validity:model-name: bundle is model "credit-default"/);
  });
});
