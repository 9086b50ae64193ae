/**
 * The comment builder and its helpers, in-process: escaping of untrusted text, the delta
 * direction per metric, the size bound (never cutting inside a chart), Mermaid output,
 * ROC resampling and schema-change detection.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildPrComment,
  COMMENT_MARKER,
  deltaCell,
  fitComment,
  MAX_COMMENT_CHARS,
  mdText,
} from '../../actions/pr-report/comment.ts';
import { barChart, mermaidLabel, rocChart } from '../../actions/pr-report/mermaid.ts';
import { resampleRoc, schemaChanges, ROC_GRID } from '../../pipeline/gitops/report/comparison.ts';
import { readReportArtifact, type ReportArtifact } from '../../actions/common/report-artifact.ts';
import type { DataSchema } from '../../pipeline/core/data/schema.ts';
import { buildArtifact } from './fixtures.ts';

let artifact: ReportArtifact;

beforeAll(async () => {
  artifact = readReportArtifact((await buildArtifact()).dir);
});

describe('PR comment', () => {
  it('starts with the stable marker and holds every section', () => {
    const body = buildPrComment(artifact, { artifactUrl: 'https://github.test/run#artifacts' });
    expect(body.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    for (const s of [
      '## ⏸️ Keep champion v1',
      '### Champion vs challenger',
      '### Confusion matrices at the threshold',
      '### Data',
      '### Charts',
      '### Code quality',
    ])
      expect(body).toContain(s);
    // One row per metric of metrics.json, with a delta for each.
    for (const label of [
      'ROC AUC',
      'PR AUC',
      'KS',
      'Gini',
      'Accuracy',
      'Precision',
      'Recall',
      'F1',
      'Brier score',
      'Log loss',
      'Expected cost / applicant',
    ]) {
      expect(body).toMatch(
        new RegExp(`\\| ${label.replace('/', '\\/')} +\\| +[\\d.]+ \\| +[\\d.]+ \\| +(±0|[+−][\\d.]+ (🟢|🔴)) \\|`),
      );
    }
    expect((body.match(/```mermaid/g) ?? []).length).toBe(2);
    expect(body).toContain('[full report](https://github.test/run#artifacts)');
  });

  it('shows a forced promotion, a dry run and a first model', () => {
    const forced: ReportArtifact = {
      ...artifact,
      verdict: { ...artifact.verdict, decision: 'promote', forced: { reason: 'regulator asked for <b>recall</b>' } },
      context: { ...artifact.context, dry_run: true },
    };
    const body = buildPrComment(forced, { artifactUrl: null });
    expect(body).toContain('## ✅ Promote: the challenger beats champion v1');
    expect(body).toContain('Forced promotion — reason: regulator asked for &lt;b&gt;recall&lt;/b&gt;');
    expect(body).toContain('_Dry run: nothing is promoted or published from this run._');
    const first: ReportArtifact = {
      ...artifact,
      verdict: { ...artifact.verdict, decision: 'promote', champion: null },
      comparison: { ...artifact.comparison, champion: null },
    };
    const fb = buildPrComment(first, { artifactUrl: null });
    expect(fb).toContain('becomes the first champion');
    expect(fb).toContain('no champion to compare with');
    expect((fb.match(/^ {2}line \[/gm) ?? []).length).toBe(2);
  });

  it('escapes untrusted text: no HTML, no table breaks, no mentions, no marker forgery', () => {
    expect(mdText('<!-- credit-risk-gitops:pr-report --> | @admin `x` [a](b)')).toBe(
      '&lt;!-- credit-risk-gitops:pr-report --&gt; \\| @\u200badmin \\`x\\` \\[a\\](b)',
    );
    const hostile: ReportArtifact = {
      ...artifact,
      comparison: { ...artifact.comparison, schema_changes: ['feature added: <script>alert(1)</script> | @team'] },
    };
    const body = buildPrComment(hostile, { artifactUrl: null });
    expect(body).not.toContain('<script>');
    expect(body.split(COMMENT_MARKER)).toHaveLength(2);
  });

  it('judges each delta by the metric direction', () => {
    expect(deltaCell('roc_auc', 0.8, 0.81)).toBe('+0.0100 🟢');
    expect(deltaCell('brier', 0.15, 0.14)).toBe('−0.0100 🟢');
    expect(deltaCell('expected_cost', 0.4, 0.45)).toBe('+0.0500 🔴');
    expect(deltaCell('roc_auc', null, 0.8)).toBe('n/a');
    // A change is never shown as none: the same digits as the gate's text (pipeline/core/common/format.ts).
    expect(deltaCell('roc_auc', 0.8, 0.80001)).toBe('+0.000010 🟢');
    expect(deltaCell('roc_auc', 0.8, 0.8)).toBe('±0');
  });

  it('stays under 60,000 characters and never cuts inside a chart', () => {
    const chart = rocChart(ROC_GRID, ROC_GRID, null, 'ROC');
    const body = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(100)}\n${chart}`).join('\n');
    const out = fitComment(body, '<sub>footer</sub>', { artifactUrl: 'https://github.test/a' });
    expect(out.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect((out.match(/^```/gm) ?? []).length % 2).toBe(0);
    expect(out).toContain('the full report is in [the artifact](https://github.test/a)');
    expect(out.trimEnd().endsWith('<sub>footer</sub>')).toBe(true);
    expect(fitComment('short', 'f', { artifactUrl: null })).toBe('short\nf\n');
  });
});

describe('Mermaid charts', () => {
  it('draws both ROC curves and the chance line with fixed colours', () => {
    const c = rocChart([0, 0.5, 1], [0, 0.8, 1], [0, 0.7, 1], 'ROC "test"');
    expect(c).toBe(
      [
        '```mermaid',
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#d62728, #1f77b4, #bbbbbb"}}}}%%',
        'xychart-beta',
        `  title "ROC 'test'"`,
        '  x-axis "False positive rate" 0 --> 1',
        '  y-axis "True positive rate" 0 --> 1',
        '  line [0, 0.8, 1]',
        '  line [0, 0.7, 1]',
        '  line [0, 0.5, 1]',
        '```',
      ].join('\n'),
    );
  });

  it('draws the largest importances as horizontal bars with safe labels', () => {
    const c = barChart(
      'imp',
      'importance',
      [
        { label: 'a', value: 0.1 },
        { label: 'b"]\n', value: 0.3 },
        { label: 'c', value: 0.2 },
      ],
      '#000',
      2,
    );
    expect(c).toContain('xychart-beta horizontal');
    expect(c).toContain(`x-axis ["b'", "c"]`);
    expect(c).toContain('bar [0.3, 0.2]');
    expect(mermaidLabel('x'.repeat(40))).toHaveLength(32);
  });
});

describe('comparison helpers', () => {
  it('resamples the ROC curve onto the FPR grid', () => {
    // Scores rank 2 positives above 2 negatives except one swap: ROC (0,0) (0,.5) (.5,.5) (.5,1) (1,1).
    const y = [1, 0, 1, 0];
    const p = [0.9, 0.8, 0.7, 0.1];
    expect(resampleRoc(y, p, [0, 0.25, 0.5, 0.75, 1])).toEqual([0.5, 0.5, 1, 1, 1]);
  });

  it('lists schema changes between the champion and the challenger data', () => {
    const base: DataSchema = {
      target: 'Status',
      positive: 'bad',
      negative: 'good',
      ids: [],
      dropped: [],
      rows: 10,
      positive_rate: 0.3,
      features: [
        { name: 'Age', kind: 'numeric', integer: true, missing: 0, min: 18, max: 70, mean: 40, sd: 10, median: 39 },
        { name: 'Home', kind: 'categorical', missing: 0, categories: ['owner', 'rent'], counts: [5, 5] },
        { name: 'Job', kind: 'categorical', missing: 0, categories: ['fixed'], counts: [10] },
      ],
    };
    const next: DataSchema = {
      ...base,
      features: [
        { name: 'Age', kind: 'categorical', missing: 0, categories: ['young'], counts: [10] },
        { name: 'Home', kind: 'categorical', missing: 0, categories: ['owner', 'parents'], counts: [5, 5] },
        { name: 'Income', kind: 'numeric', integer: false, missing: 1, min: 0, max: 9, mean: 3, sd: 1, median: 3 },
      ],
    };
    expect(schemaChanges(base, next)).toEqual([
      'feature added: Income (numeric)',
      'feature removed: Job',
      'feature Age: kind changed numeric → categorical',
      'feature Home: new categories parents',
      'feature Home: categories no longer seen rent',
    ]);
    expect(schemaChanges(base, base)).toEqual([]);
  });
});
