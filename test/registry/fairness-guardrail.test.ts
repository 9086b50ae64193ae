import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareRun,
  evaluateChallenger,
  loadChallenger,
  type Challenger,
  type Verdict,
} from '../../pipeline/gitops/registry/index.ts';
import { evaluationParts } from '../../pipeline/gitops/run/evaluation-rows.ts';
import { DEFAULT_FAIRNESS, type FairnessConfig } from '../../pipeline/core/evaluation/fairness.ts';
import { projectDir, removeTemporaryFolders, testConfig, trainRun, VARIANTS } from './helpers.ts';

afterAll(removeTemporaryFolders);

let project: string;
let strong: Challenger;
let weak: Challenger;
const ATTRIBUTES: FairnessConfig['attributes'] = [{ column: 'Age', bands: [25, 35, 50] }, { column: 'Marital' }];

beforeAll(async () => {
  project = projectDir();
  strong = loadChallenger(await trainRun(project, join(project, 'runs/strong'), testConfig(VARIANTS.strong)));
  weak = loadChallenger(await trainRun(project, join(project, 'runs/weak'), testConfig(VARIANTS.weak)));
});

function verdict(fairness: FairnessConfig | null): Verdict {
  const c = testConfig();
  return evaluateChallenger({
    name: 'credit-default',
    challenger: strong,
    champion: { version: 1, bundle: weak.bundle },
    policy: c.promotion,
    rows: evaluationParts(strong.bundle, strong.record, project, null),
    maxBundleBytes: c.registry.max_bundle_bytes,
    registered: [{ version: 1, digest: weak.bundle.digest }],
    fairness,
  });
}

const fairnessRule = (v: Verdict) => v.rules.find((r) => r.id === 'guardrail:fairness');

describe('fairness guardrail in the promotion policy', () => {
  it('is absent unless configured', () => {
    expect(fairnessRule(verdict(null))).toBeUndefined();
    expect(fairnessRule(verdict({ ...DEFAULT_FAIRNESS, attributes: [] }))).toBeUndefined();
  });

  it("passes when every group is within the bounds, and shows both models' worst disparate impact", () => {
    const v = verdict({ ...DEFAULT_FAIRNESS, attributes: ATTRIBUTES, min_disparate_impact: 0.05 });
    const r = fairnessRule(v)!;
    expect(r.passed).toBe(true);
    expect(r.kind).toBe('guardrail');
    expect(r.challenger).toBeGreaterThan(0.05);
    expect(r.challenger).toBeLessThanOrEqual(1);
    expect(r.champion).not.toBeNull();
    expect(r.required).toBe('disparate impact ≥ 0.05 in every group of Age, Marital');
  });

  it('refuses the challenger and names the group when a bound is broken', () => {
    const v = verdict({ ...DEFAULT_FAIRNESS, attributes: ATTRIBUTES, min_disparate_impact: 0.99 });
    const r = fairnessRule(v)!;
    expect(r.passed).toBe(false);
    expect(r.detail).toMatch(/Age|Marital/);
    expect(v.decision).toBe('keep');
  });

  it("is turned on by promotion.fairness_guardrail with the config's fairness section", () => {
    const config = testConfig((c) => {
      c.promotion.fairness_guardrail = true;
      (c as unknown as { fairness: Partial<FairnessConfig> }).fairness = {
        attributes: ATTRIBUTES,
        min_disparate_impact: 0.05,
      };
    });
    const { verdict: v } = compareRun({
      dir: join(project, 'models'),
      config,
      baseDir: project,
      challenger: join(project, 'runs/strong'),
    });
    expect(fairnessRule(v)?.passed).toBe(true);
    const off = compareRun({
      dir: join(project, 'models'),
      config: testConfig(),
      baseDir: project,
      challenger: join(project, 'runs/strong'),
    });
    expect(fairnessRule(off.verdict)).toBeUndefined();
  });
});
