import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../helpers/cli.ts';
import { readBundle } from '../../pipeline/core/model/bundle.ts';
import { train } from '../../pipeline/core/training/train.ts';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';
import { chooseThreshold } from '../../pipeline/core/evaluation/threshold.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
let dir: string;

beforeAll(() => {
  dir = tempProject();
});

describe('training run', () => {
  it('writes model.json, metrics.json, run.json and report.md with the documented shape', async () => {
    const r = await runCli(['train', '--engine', 'logistic', '--quiet', '--out', 'runs/a'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ROC AUC/);
    expect(readdirSync(join(dir, 'runs/a')).sort()).toEqual(['metrics.json', 'model.json', 'report.md', 'run.json']);
    const m = JSON.parse(readFileSync(join(dir, 'runs/a/metrics.json'), 'utf8'));
    expect(Object.keys(m).sort()).toEqual([
      'data_quality',
      'overfitting',
      'rows',
      'test',
      'timings',
      'train',
      'validation',
    ]);
    for (const split of ['train', 'validation', 'test']) {
      expect(Object.keys(m[split]).sort()).toEqual(
        [
          'accuracy',
          'brier',
          'confusion_matrix',
          'expected_cost',
          'f1',
          'gini',
          'ks',
          'log_loss',
          'pr_auc',
          'precision',
          'recall',
          'roc_auc',
          'threshold',
        ].sort(),
      );
    }
    expect(m.rows.train + m.rows.validation + m.rows.test).toBe(4454);
    expect(readFileSync(join(dir, 'runs/a/report.md'), 'utf8')).toMatch(/## Confusion matrix/);
  });

  it('is deterministic: same data, config and seed give a byte-identical model.json', async () => {
    await runCli(['train', '--engine', 'logistic', '--quiet', '--out', 'runs/b'], dir);
    await runCli(['train', '--engine', 'logistic', '--quiet', '--out', 'runs/c'], dir);
    expect(sha(join(dir, 'runs/b/model.json'))).toBe(sha(join(dir, 'runs/c/model.json')));
    await runCli(['train', '--engine', 'logistic', '--quiet', '--seed', '7', '--out', 'runs/d'], dir);
    expect(sha(join(dir, 'runs/d/model.json'))).not.toBe(sha(join(dir, 'runs/b/model.json')));
  });

  it('refuses a bundle with one changed byte, and a truncated one', async () => {
    const p = join(dir, 'runs/b/model.json');
    const bytes = readFileSync(p);
    const text = bytes.toString('utf8');
    // Change one digit inside the threshold value.
    const at = text.indexOf('"threshold":') + 14;
    const changed = Buffer.from(bytes);
    changed[at] = changed[at] === 0x31 ? 0x32 : 0x31;
    writeFileSync(join(dir, 'tampered.json'), changed);
    expect(() => readBundle(join(dir, 'tampered.json'))).toThrow(/digest mismatch/);
    writeFileSync(join(dir, 'truncated.json'), bytes.subarray(0, bytes.length - 40));
    expect(() => readBundle(join(dir, 'truncated.json'))).toThrow(/not valid JSON.*truncated/);
    const r = await runCli(['evaluate', '--model', 'tampered.json', '--data', 'data/credit_data/test.csv'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/refusing model bundle .*tampered\.json: digest mismatch/);
  });

  it('chooses the threshold on validation rows, never on test rows', async () => {
    const config = { ...defaultConfig(), engine: { name: 'logistic', params: {} } };
    config.data = { ...config.data, path: 'data/credit_data/train.csv', test_path: 'data/credit_data/test.csv' };
    const a = await train({ config, baseDir: dir });
    expect(a.bundle.threshold).toBe(
      chooseThreshold(a.scores.validation.y, a.scores.validation.p, config.costs).threshold,
    );
    // Flip every test label: if test rows influenced the threshold, it would move.
    const lines = readFileSync(join(dir, 'data/credit_data/test.csv'), 'utf8').trim().split('\n');
    const flipped = [
      lines[0],
      ...lines.slice(1).map((l) => (l.startsWith('bad,') ? 'good,' + l.slice(4) : 'bad,' + l.slice(5))),
    ];
    writeFileSync(join(dir, 'flipped.csv'), flipped.join('\n') + '\n');
    const b = await train({ config: { ...config, data: { ...config.data, test_path: 'flipped.csv' } }, baseDir: dir });
    expect(b.bundle.threshold).toBe(a.bundle.threshold);
    expect(b.metrics.test.roc_auc).toBeCloseTo(1 - a.metrics.test.roc_auc!, 10);
  });

  it('scores unseen categories and missing values without failing', async () => {
    const model = CreditModel.load(join(dir, 'runs/b/model.json'));
    const p = model.scoreRecords([
      {
        Seniority: 5,
        Home: 'spaceship',
        Time: 36,
        Age: 30,
        Marital: null,
        Records: 'no',
        Job: 'fixed',
        Expenses: 50,
        Income: null,
        Assets: 0,
        Debt: 0,
        Amount: 800,
        Price: 1000,
      },
    ]);
    expect(p[0]).toBeGreaterThan(0);
    expect(p[0]).toBeLessThan(1);
  });

  it('flags columns that are unique per row as IDs and drops them', async () => {
    const lines = readFileSync(join(dir, 'data/credit_data.csv'), 'utf8').trim().split('\n');
    const withId = lines.map((l, i) => (i === 0 ? `loan_id,${l}` : `L${100000 + i},${l}`));
    writeFileSync(join(dir, 'with-id.csv'), withId.join('\n') + '\n');
    const r = await runCli(
      ['train', '--data', 'with-id.csv', '--engine', 'logistic', '--quiet', '--out', 'runs/id'],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    // train says so on screen.
    expect(r.out).toContain(
      'not a feature: loan_id (unique per row (looks like an ID); list it in data.keep to use it)',
    );
    const b = readBundle(join(dir, 'runs/id/model.json'));
    expect(b.schema.ids).toEqual(['loan_id']);
    expect(b.schema.features.map((f) => f.name)).not.toContain('loan_id');
    // predict copies the kept ID column into its output.
    const pr = await runCli(
      ['predict', '--model', 'runs/id/model.json', '--data', 'with-id.csv', '--out', 'pred.csv'],
      dir,
    );
    expect(pr.code, pr.err).toBe(0);
    const out = readFileSync(join(dir, 'pred.csv'), 'utf8').trim().split('\n');
    expect(out[0]).toBe('loan_id,probability,decision');
    expect(out).toHaveLength(lines.length);
    expect(out[1]).toMatch(/^L100001,0\.\d{6},(good|bad)$/);

    // --id carries any column through (also a feature), in the order given, and names a missing one.
    const ids = await runCli(
      [
        'predict',
        '--model',
        'runs/id/model.json',
        '--data',
        'with-id.csv',
        '--id',
        'Age,loan_id',
        '--id',
        'Home',
        '--out',
        'ids.csv',
      ],
      dir,
    );
    expect(ids.code, ids.err).toBe(0);
    const rows = readFileSync(join(dir, 'ids.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('Age,loan_id,Home,probability,decision');
    expect(rows[1]).toMatch(
      new RegExp(`^${lines[1].split(',')[lines[0].split(',').indexOf('Age')]},L100001,\\w+,0\\.\\d{6},(good|bad)$`),
    );
    const missing = await runCli(
      ['predict', '--model', 'runs/id/model.json', '--data', 'with-id.csv', '--id', 'customer'],
      dir,
    );
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/with-id\.csv: --id column "customer" not in the file \(columns: loan_id, Status/);
  });

  it('predict streams large files in chunks with the same scores as in-memory scoring', async () => {
    const r = await runCli(
      ['predict', '--model', 'runs/b/model.json', '--data', 'data/lending_club/../credit_data.csv', '--out', 'all.csv'],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    const rows = readFileSync(join(dir, 'all.csv'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(4455);
    const ev = await runCli(['evaluate', '--model', 'runs/b/model.json', '--data', 'data/credit_data.csv'], dir);
    expect(ev.code).toBe(0);
    const metrics = JSON.parse(ev.out);
    expect(metrics.rows).toBe(4454);
    const bad = rows.slice(1).filter((l) => l.endsWith(',bad')).length;
    expect(bad).toBe(metrics.confusion_matrix.tp + metrics.confusion_matrix.fp);
  });
});
