import { describe, expect, it } from 'vitest';
import {
  bandLabel,
  DEFAULT_FAIRNESS,
  fairnessConfigOf,
  fairnessGuardrail,
  fairnessReport,
  groupLabels,
  resolveColumn,
} from '../../pipeline/core/evaluation/fairness.ts';
import { sensitiveFeatures, sensitiveFeatureWarning } from '../../pipeline/core/evaluation/sensitive.ts';
import { resolveConfig } from '../../pipeline/core/config/load.ts';

/**
 * Hand-made table, threshold 0.5 (p ≥ 0.5 = refused):
 *   group A (10 rows): 4 defaulters (3 refused), 6 good payers (1 refused) → refused 4/10, approved 0.6,
 *                      TPR 3/4, FPR 1/6
 *   group B (10 rows): 5 defaulters (5 refused), 5 good payers (3 refused) → refused 8/10, approved 0.2,
 *                      TPR 1, FPR 3/5
 *   group C (2 rows):  1 defaulter refused, 1 good payer approved → too small to judge
 * Reference = A (approval 0.6); DI(B) = 0.2 / 0.6 = 1/3 → flagged; DI(C) = 0.5/0.6, not judged.
 */
function table() {
  const rows: [string, number, number][] = [];
  const add = (g: string, y: number, p: number, n: number) => {
    for (let k = 0; k < n; k++) rows.push([g, y, p]);
  };
  add('A', 1, 0.9, 3);
  add('A', 1, 0.1, 1);
  add('A', 0, 0.7, 1);
  add('A', 0, 0.2, 5);
  add('B', 1, 0.8, 5);
  add('B', 0, 0.6, 3);
  add('B', 0, 0.3, 2);
  add('C', 1, 0.5, 1);
  add('C', 0, 0.4, 1);
  return {
    y: rows.map((r) => r[1]),
    p: rows.map((r) => r[2]),
    group: rows.map((r) => r[0]),
  };
}

describe('fairness metrics', () => {
  it('computes per-group rates, disparate impact and flags on a hand-made table', () => {
    const t = table();
    const cfg = { ...DEFAULT_FAIRNESS, attributes: [{ column: 'G' }], min_group_size: 5, max_fpr_gap: 0.3 };
    const r = fairnessReport({ y: t.y, p: t.p, threshold: 0.5, columns: new Map([['G', t.group]]) }, cfg);
    const [attr] = r.attributes;
    expect(attr.reference_group).toBe('A');
    const by = new Map(attr.groups.map((g) => [g.group, g]));
    const a = by.get('A')!;
    expect(a.rows).toBe(10);
    expect(a.actual_positive_rate).toBeCloseTo(0.4, 12);
    expect(a.positive_rate).toBeCloseTo(0.4, 12);
    expect(a.approval_rate).toBeCloseTo(0.6, 12);
    expect(a.tpr).toBeCloseTo(0.75, 12);
    expect(a.fpr).toBeCloseTo(1 / 6, 12);
    expect(a.disparate_impact).toBeCloseTo(1, 12);
    expect(a.flags).toEqual([]);
    const b = by.get('B')!;
    expect(b.approval_rate).toBeCloseTo(0.2, 12);
    expect(b.tpr).toBeCloseTo(1, 12);
    expect(b.fpr).toBeCloseTo(0.6, 12);
    expect(b.disparate_impact).toBeCloseTo(1 / 3, 12);
    expect(b.flags).toHaveLength(2); // DI below 0.8 and FPR gap 0.433 > 0.3
    expect(b.flags[0]).toMatch(/disparate impact 0\.333 < 0\.8/);
    expect(b.flags[1]).toMatch(/FPR gap 0\.433 > 0\.3/);
    const c = by.get('C')!;
    expect(c.small).toBe(true);
    expect(c.disparate_impact).toBeCloseTo(0.5 / 0.6, 12);
    expect(c.flags).toEqual([]);
    expect(r.flagged).toBe(true);
    expect(r.failures).toEqual([`G = B: ${b.flags[0]}`, `G = B: ${b.flags[1]}`]);
    const verdict = fairnessGuardrail(r);
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons[0]).toMatch(/^fairness: G = B: disparate impact/);
  });

  it('passes when every judged group is within bounds, and skips absent columns', () => {
    const y = [1, 0, 1, 0, 1, 0, 1, 0];
    const p = [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1];
    const g = ['x', 'x', 'x', 'x', 'y', 'y', 'y', 'y'];
    const r = fairnessReport(
      { y, p, threshold: 0.5, columns: new Map([['G', g]]) },
      { ...DEFAULT_FAIRNESS, min_group_size: 1, attributes: [{ column: 'G' }, { column: 'Sex' }] },
    );
    expect(r.flagged).toBe(false);
    expect(r.attributes[0].groups.every((x) => x.disparate_impact === 1)).toBe(true);
    expect(r.skipped).toEqual([{ attribute: 'Sex', reason: 'column "Sex" is not in the data' }]);
    expect(fairnessGuardrail(r)).toEqual({ passed: true, reasons: [] });
    expect(r.verdict).toEqual({
      status: 'passed',
      text: 'Fairness bounds met for G; not evaluated: Sex (column "Sex" is not in the data).',
    });
  });

  it('matches configured columns ignoring case, and gives one verdict when none is in the data', () => {
    const y = [1, 0, 1, 0];
    const p = [0.9, 0.1, 0.9, 0.1];
    const config = { ...DEFAULT_FAIRNESS, min_group_size: 1, attributes: [{ column: 'Age', bands: [30] }] };
    const found = fairnessReport({ y, p, threshold: 0.5, columns: new Map([['age', [25, 35, 25, 35]]]) }, config);
    expect(found.attributes.map((a) => a.attribute)).toEqual(['age']);
    expect(found.skipped).toEqual([]);
    expect(resolveColumn('MARITAL', ['Marital', 'Age'])).toBe('Marital');
    expect(resolveColumn('sex', ['Sex', 'SEX'])).toBeNull(); // ambiguous
    const none = fairnessReport({ y, p, threshold: 0.5, columns: new Map() }, config);
    expect(none.verdict.status).toBe('not_evaluated');
    expect(none.verdict.text).toBe(
      'Fairness not evaluated: none of the configured sensitive attributes is in the data: Age (column "Age" is not in the data).',
    );
    const unset = fairnessReport({ y, p, threshold: 0.5, columns: new Map() }, DEFAULT_FAIRNESS);
    expect(unset.verdict.status).toBe('not_configured');
  });

  it('names sensitive columns used as features: configured ones and protected-looking names, unless kept', () => {
    const features = ['Income', 'age', 'Race', 'maritalStatus', 'Mortgage', 'applicant_gender'];
    const found = sensitiveFeatures(features, { attributes: [{ column: 'Age' }] }, ['applicant_gender']);
    expect(found).toEqual([
      { column: 'age', why: 'configured' },
      { column: 'Race', why: 'name' },
      { column: 'maritalStatus', why: 'name' },
    ]);
    expect(sensitiveFeatureWarning(found)).toMatch(
      /^sensitive attributes used as model features: age \(in fairness\.attributes\), Race \(its name suggests a protected characteristic\), maritalStatus .*list them in data\.keep if using them is deliberate and lawful\.$/,
    );
    expect(sensitiveFeatureWarning([])).toBeNull();
  });

  it('bands numbers (age bands) in order, with missing values in their own group', () => {
    expect(groupLabels(['19', '25', '34.9', '35', '50', '77', '', null, 'n/a'], [25, 35, 50])).toEqual([
      '<25',
      '25–35',
      '25–35',
      '35–50',
      '≥50',
      '≥50',
      '(missing)',
      '(missing)',
      '(missing)',
    ]);
    expect(bandLabel(10, [25])).toBe('<25');
    const y = [0, 0, 1, 1, 0, 0];
    const p = [0.1, 0.1, 0.9, 0.9, 0.1, 0.9];
    const ages = Float64Array.from([60, 20, 30, 40, 55, 22]);
    const r = fairnessReport(
      { y, p, threshold: 0.5, columns: new Map([['Age', ages]]) },
      { ...DEFAULT_FAIRNESS, min_group_size: 1, attributes: [{ column: 'Age', bands: [50, 25, 35] }] },
    );
    expect(r.attributes[0].groups.map((g) => g.group)).toEqual(['<25', '25–35', '35–50', '≥50']);
  });

  it('is a validated config section with defaults', () => {
    const c = resolveConfig({
      data: { path: 'd.csv', target: 'Status', positive: 'bad' },
      fairness: { attributes: [{ column: 'Age', bands: [25, 35] }], min_disparate_impact: 0.9 },
    });
    expect(fairnessConfigOf(c)).toEqual({
      ...DEFAULT_FAIRNESS,
      attributes: [{ column: 'Age', bands: [25, 35] }],
      min_disparate_impact: 0.9,
    });
    expect(() =>
      resolveConfig({
        data: { path: 'd.csv', target: 'Status', positive: 'bad' },
        fairness: { attributes: [{ bands: [1] }] },
      }),
    ).toThrow(/fairness\/attributes\/0/);
    expect(() =>
      resolveConfig({
        data: { path: 'd.csv', target: 'Status', positive: 'bad' },
        fairness: { min_disparate_impact: 1.5 },
      }),
    ).toThrow(/min_disparate_impact/);
  });
});
