import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../helpers/cli.ts';
import { readBundle } from '../../pipeline/core/model/bundle.ts';
import { computeMetrics } from '../../pipeline/core/evaluation/metrics.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import { evaluationRows, rowsColumn, rowsDataset } from '../../pipeline/gitops/run/evaluation-rows.ts';
import { runDataRecord } from '../../pipeline/gitops/run/data-record.ts';
import { readRunRecord } from '../../pipeline/gitops/run/run-folder.ts';
import { checkSvg } from './svg-check.ts';

let dir: string;

beforeAll(async () => {
  const config = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'mlops.config.json'), 'utf8'));
  dir = tempProject({
    ...config,
    engine: { name: 'logistic', params: {} },
    fairness: {
      attributes: [{ column: 'Age', bands: [25, 35, 50] }, { column: 'Marital' }, { column: 'Sex' }],
      min_disparate_impact: 0.8,
    },
  });
  const a = await runCli(['train', '--quiet', '--out', 'runs/champion'], dir);
  expect(a.code, a.err).toBe(0);
  const b = await runCli(
    [
      'train',
      '--quiet',
      '--engine',
      'gbdt',
      '--param',
      'nRounds=80',
      '--param',
      'maxDepth=3',
      '--out',
      'runs/challenger',
    ],
    dir,
  );
  expect(b.code, b.err).toBe(0);
});

describe('evaluation rows rebuilt from a bundle', () => {
  it('are exactly the rows the run was tested on (same metrics as the bundle states)', () => {
    const bundle = readBundle(join(dir, 'runs/challenger/model.json'));
    const rows = evaluationRows(bundle, {
      record: runDataRecord(readRunRecord(join(dir, 'runs/challenger'))),
      baseDir: dir,
    });
    const ds = rowsDataset(rows, bundle.schema);
    expect(ds.rows).toBe(
      bundle.metrics.test.confusion_matrix.tp +
        bundle.metrics.test.confusion_matrix.fp +
        bundle.metrics.test.confusion_matrix.tn +
        bundle.metrics.test.confusion_matrix.fn,
    );
    const p = new CreditModel(bundle).score(ds);
    expect(computeMetrics(ds.y!, p, bundle.threshold, bundle.costs)).toEqual(bundle.metrics.test);
    expect(rowsColumn(rows, 'Age')).toHaveLength(ds.rows);
    expect(rowsColumn(rows, 'NoSuchColumn')).toBeNull();
  });

  it('refuses a data file changed since training, naming the file', () => {
    const bundle = readBundle(join(dir, 'runs/challenger/model.json'));
    const other = tempProject();
    const file = join(other, 'data/credit_data.csv');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/\n$/, '\n') + readFileSync(file, 'utf8').split('\n')[1] + '\n',
    );
    expect(() =>
      evaluationRows(bundle, { record: runDataRecord(readRunRecord(join(dir, 'runs/challenger'))), baseDir: other }),
    ).toThrow(/credit_data\.csv has changed since the model was trained/);
  });
});

describe('mlops report', () => {
  it('regenerates the model card, HTML, JSON and charts of a run, with champion, fairness and explanations', async () => {
    const r = await runCli(['report', '--run', 'runs/challenger', '--champion', 'runs/champion/model.json'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/report for credit-default \(gbdt, sha256:[0-9a-f]{8}…\) in [\d.]+ s \([\d.]+ s CPU\)/);
    const run = join(dir, 'runs/challenger');
    for (const f of ['README.md', 'report.html', 'report.json']) expect(existsSync(join(run, f)), f).toBe(true);
    const charts = readdirSync(join(run, 'charts')).sort();
    expect(charts).toEqual([
      'calibration.svg',
      'confusion-matrix.svg',
      'expected-cost.svg',
      'feature-importance.svg',
      'precision-recall.svg',
      'roc.svg',
      'score-distribution.svg',
      'shap-summary.svg',
    ]);
    for (const c of charts) checkSvg(readFileSync(join(run, 'charts', c), 'utf8'));

    const card = readFileSync(join(run, 'README.md'), 'utf8');
    for (const h of [
      '## Intended use',
      '## Data and lineage',
      '## Performance',
      '## Threshold and costs',
      '## What drives the score',
      '## Fairness',
      '## Limitations',
      '## Diagnostics',
    ])
      expect(card).toContain(h);
    expect(card).toMatch(/\| ROC AUC +\| +0\.\d{4} \| 0\.\d{4} – 0\.\d{4} \|.*\| +0\.\d{4} \|$/m); // interval and champion column
    expect(card).toContain('![ROC curve](charts/roc.svg)');
    expect(card).toMatch(/\*\*Age\*\* \(reference: /);
    expect(card).toMatch(/\| <25 +\|/);
    expect(card).toContain('Sex: not evaluated — column "Sex" is not in the data.');
    expect(card).toMatch(/Fairness guardrail: (passed|FAILED)/);
    expect(card).toContain('exact path-dependent TreeSHAP');
    expect(card).toMatch(/- \*\*highest-risk applicant\*\* — probability \d+\.\d %, decision `bad`:\n {2}- \S/);

    const html = readFileSync(join(run, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect((html.match(/<svg\b/g) ?? []).length).toBe(8);
    expect(html).not.toMatch(/<script|<link|src="http|href="http|url\(http/);
    checkSvg(html.replace(/^<!doctype html>\n/, '').replace(/<meta[^>]*>/g, ''));

    const json = JSON.parse(readFileSync(join(run, 'report.json'), 'utf8'));
    const bundle = readBundle(join(run, 'model.json'));
    expect(json.metrics.test).toEqual(bundle.metrics.test);
    expect(json.champion.test.roc_auc).toBeGreaterThan(0.7);
    const roc = json.intervals.find((i: { metric: string }) => i.metric === 'roc_auc');
    expect(roc.lo).toBeLessThan(roc.value);
    expect(roc.hi).toBeGreaterThan(roc.value);
    expect(json.importance.map((f: { feature: string }) => f.feature).sort()).toEqual(
      bundle.schema.features.map((f) => f.name).sort(),
    );
    expect(json.fairness.attributes.map((a: { attribute: string }) => a.attribute)).toEqual(['Age', 'Marital']);
    expect(json.dependencies.status).toBe('skipped');
    expect(json.timings.report_s).toBeGreaterThan(0);

    // Trained-at is the run's wall-clock time (run.json), not the bundle's commit time.
    const record = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    expect(Date.parse(record.trained_at)).toBeGreaterThan(Date.now() - 3_600_000);
    expect(json.model.trained_at).toBe(record.trained_at);
    expect(json.run.trained_at).toBe(record.trained_at);
    expect(card).toContain(`· trained ${record.trained_at}`);
    expect(html).toContain(`· trained ${record.trained_at}`);
  });

  it('keeps the bundle byte-identical when the same commit is trained again at another time', async () => {
    const again = await runCli(['train', '--quiet', '--out', 'runs/champion-again'], dir);
    expect(again.code, again.err).toBe(0);
    const first = JSON.parse(readFileSync(join(dir, 'runs/champion/run.json'), 'utf8'));
    const second = JSON.parse(readFileSync(join(dir, 'runs/champion-again/run.json'), 'utf8'));
    expect(second.trained_at).not.toBe(first.trained_at);
    expect(readFileSync(join(dir, 'runs/champion-again/model.json'))).toEqual(
      readFileSync(join(dir, 'runs/champion/model.json')),
    );
  });

  it('is reproducible: regenerating gives the same card and charts apart from timings', async () => {
    const card = (d: string): string =>
      readFileSync(join(dir, d, 'README.md'), 'utf8').replace(
        /This report took [\d.]+ s to generate \([\d.]+ s CPU\)\./,
        '',
      );
    expect(
      (
        await runCli(
          ['report', '--run', 'runs/challenger', '--champion', 'runs/champion/model.json', '--out', 'again'],
          dir,
        )
      ).code,
    ).toBe(0);
    expect(card('again')).toBe(card('runs/challenger'));
    for (const c of ['roc.svg', 'shap-summary.svg', 'expected-cost.svg']) {
      expect(readFileSync(join(dir, 'again/charts', c), 'utf8'), c).toBe(
        readFileSync(join(dir, 'runs/challenger/charts', c), 'utf8'),
      );
    }
  });

  it('explains usage errors plainly', async () => {
    const none = await runCli(['report'], dir);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/report needs --run DIR/);
    const notRun = await runCli(['report', '--run', 'data'], dir);
    expect(notRun.code).toBe(2);
    expect(notRun.err).toMatch(/data has no model\.json/);
    const badVersion = await runCli(
      ['report', '--model', 'runs/champion/model.json', '--out', 'x', '--version', 'two'],
      dir,
    );
    expect(badVersion.code).toBe(2);
    expect(badVersion.err).toMatch(/--version must be a whole number/);
  });

  it('reports a bare bundle (e.g. a registry version) evaluated on a given CSV', async () => {
    const r = await runCli(
      [
        'report',
        '--model',
        'runs/champion/model.json',
        '--out',
        'out/v1',
        '--version',
        '1',
        '--data',
        'data/credit_data/test.csv',
      ],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    const card = readFileSync(join(dir, 'out/v1/README.md'), 'utf8');
    expect(card.split('\n')[0]).toBe('# Model card: credit-default v1 (logistic)');
    expect(card).toContain('all 891 rows of');
    // A bare bundle has no run: the card says its time is the commit's, not when it was trained.
    expect(card).not.toMatch(/· trained /);
    expect(card).toContain('coefficient × standardised value');
  });
});

describe('sensitive attributes', () => {
  it('warns when one is a feature, matches configured names ignoring case, and gives one fairness verdict', async () => {
    const config = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'mlops.config.json'), 'utf8'));
    const project = tempProject({
      ...config,
      engine: { name: 'logistic', params: {} },
      fairness: { attributes: [{ column: 'AGE', bands: [25, 35, 50] }, { column: 'Sex' }], min_disparate_impact: 0.8 },
    });
    const lines = readFileSync(join(project, 'data/credit_data.csv'), 'utf8').trim().split('\n');
    const races = ['a', 'b', 'c'];
    writeFileSync(
      join(project, 'with-race.csv'),
      lines.map((l, i) => (i === 0 ? `${l},race` : `${l},${races[i % 3]}`)).join('\n') + '\n',
    );
    const t = await runCli(['train', '--quiet', '--data', 'with-race.csv', '--out', 'runs/r'], project);
    expect(t.code, t.err).toBe(0);
    expect(t.err).toMatch(
      /^warning: sensitive attributes used as model features: Age \(in fairness\.attributes\), Marital \(its name suggests a protected characteristic\), race \(its name suggests a protected characteristic\)\./m,
    );
    const r = await runCli(['report', '--run', 'runs/r'], project);
    expect(r.code, r.err).toBe(0);
    const card = readFileSync(join(project, 'runs/r/README.md'), 'utf8');
    expect(card).toMatch(/> ⚠ Sensitive attributes used as model features: Age/);
    expect(card).toMatch(/\*\*Age\*\* \(reference: /); // AGE in the config found the Age column
    expect(card).toContain('- Sex: not evaluated — column "Sex" is not in the data.');
    expect(card).toMatch(/Fairness guardrail: (passed|FAILED)\.?\*\* .*not evaluated: Sex/);
    expect(card).not.toContain('No sensitive attributes are configured');

    // Only absent attributes: "not evaluated", and nothing says "passed" or "not configured".
    const absent = tempProject({
      ...config,
      engine: { name: 'logistic', params: {} },
      fairness: { attributes: [{ column: 'Sex' }] },
    });
    expect((await runCli(['train', '--quiet', '--out', 'runs/a'], absent)).code).toBe(0);
    expect((await runCli(['report', '--run', 'runs/a'], absent)).code).toBe(0);
    const card2 = readFileSync(join(absent, 'runs/a/README.md'), 'utf8');
    expect(card2).toContain(
      '**Fairness: not evaluated.** Fairness not evaluated: none of the configured sensitive attributes',
    );
    expect(card2).not.toMatch(/guardrail: passed|No sensitive attributes are configured/i);
    const html = readFileSync(join(absent, 'runs/a/report.html'), 'utf8');
    expect(html).toContain('Fairness not evaluated');
    expect(html).not.toMatch(/guardrail passed|No sensitive attributes are configured/i);
    // Markdown code spans become <code>, never literal backticks.
    expect(html.replace(/<svg[\s\S]*?<\/svg>/g, '')).not.toContain('`');
  });
});
