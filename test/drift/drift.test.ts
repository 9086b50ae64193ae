import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { loadConfig } from '../../pipeline/core/config/load.ts';
import { train } from '../../pipeline/core/training/train.ts';
import { writeBundle } from '../../pipeline/core/model/bundle.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import { runDrift, writeDriftOutputs } from '../../pipeline/gitops/drift/run-drift.ts';
import { formatScoringLogLine, readScoringLog, ScoringLogSampler } from '../../pipeline/gitops/drift/scoring-log.ts';
import { ingest } from '../../pipeline/gitops/ingest/ingest.ts';
import { runCli, tempProject } from '../helpers/cli.ts';

const CONFIG = {
  data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
  engine: { name: 'logistic', params: {} },
};

/** The embedded data with seven of thirteen features shifted: a lender's new, richer applicants. */
function shiftedCopy(src: string, dest: string, flipLabels = false): void {
  const rows = parse(readFileSync(src, 'utf8'), { columns: true }) as Record<string, string>[];
  const scale = (v: string, f: number, add = 0): string => (v === '' ? v : String(Math.round(Number(v) * f + add)));
  for (const r of rows) {
    r.Seniority = scale(r.Seniority, 1, 6);
    r.Age = scale(r.Age, 1, 9);
    r.Expenses = scale(r.Expenses, 1.5);
    r.Income = scale(r.Income, 1.6);
    r.Amount = scale(r.Amount, 1.6);
    r.Price = scale(r.Price, 1.6);
    r.Time = scale(r.Time, 1, 12);
    if (flipLabels) r.Status = r.Status === 'bad' ? 'good' : 'bad';
  }
  writeFileSync(dest, stringify(rows, { header: true }));
}

describe('mlops drift', () => {
  let dir: string;
  let modelPath: string;
  beforeAll(async () => {
    dir = tempProject(CONFIG);
    const { config, baseDir } = loadConfig(null, dir);
    const t = await train({ config, baseDir });
    modelPath = join(dir, 'model.json');
    writeBundle(modelPath, t.bundle);
  });

  it('reports no drift when current = reference', () => {
    const { config, baseDir } = loadConfig(null, dir);
    const r = runDrift({
      config,
      baseDir,
      reference: 'data/credit_data.csv',
      current: 'data/credit_data.csv',
      model: CreditModel.load(modelPath),
    });
    expect(r.features).toHaveLength(13);
    expect(r.features.every((f) => f.psi === 0 && f.statistic === 0 && !f.drifted)).toBe(true);
    expect(r.dataset_drift).toBe(false);
    expect(r.score).toMatchObject({ psi: 0, ks: 0, drifted: false });
    // Labelled current data = the training data: the model's metrics there differ from its test metrics, but not by much.
    expect(r.model_drift?.drifted).toBe(false);
  });

  it('reports data-set and model drift on a shifted copy of the embedded data', async () => {
    shiftedCopy(join(dir, 'data', 'credit_data.csv'), join(dir, 'shifted.csv'), true);
    const { config, baseDir } = loadConfig(null, dir);
    const r = runDrift({
      config,
      baseDir,
      reference: 'data/credit_data.csv',
      current: 'shifted.csv',
      model: CreditModel.load(modelPath),
    });
    const drifted = r.features
      .filter((f) => f.drifted)
      .map((f) => f.feature)
      .sort();
    expect(drifted).toEqual(['Age', 'Amount', 'Expenses', 'Income', 'Price', 'Seniority', 'Time']);
    expect(r.share_drifted).toBeCloseTo(7 / 13, 6);
    expect(r.dataset_drift).toBe(true);
    expect(r.features.find((f) => f.feature === 'Home')).toMatchObject({ psi: 0, drifted: false });
    // Richer applicants asking for more: the effects on the score partly cancel.
    expect(r.score!.psi).toBeGreaterThan(0.01);
    expect(r.score!.current_mean).not.toBe(r.score!.reference_mean);
    // Labels flipped: the model ranks the new applicants backwards.
    expect(r.model_drift!.drifted).toBe(true);
    const auc = r.model_drift!.metrics.find((m) => m.metric === 'roc_auc')!;
    expect(auc.current!).toBeLessThan(0.5);
    expect(auc.worse_by!).toBeGreaterThan(0.3);
    expect(r.summary).toMatch(/7 of 13 features drifted .*DATA-SET DRIFT/);

    const out = join(dir, 'drift-out');
    const md = await writeDriftOutputs(out, r);
    expect(md).toContain('**Data-set drift detected**: 7 of 13 features drifted (54 %; threshold 50 %)');
    expect(md).toContain('### Model drift (new labelled rows)');
    expect(JSON.parse(readFileSync(join(out, 'drift.json'), 'utf8')).dataset_drift).toBe(true);
    const svg = readFileSync(join(out, 'drift-psi.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Income');
    expect(existsSync(join(out, 'drift-score.svg'))).toBe(true);
  });

  it('reports score drift when the applicant mix moves to the riskier half', () => {
    const model = CreditModel.load(modelPath);
    const text = readFileSync(join(dir, 'data', 'credit_data.csv'), 'utf8');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    const p = model.scoreRecords(rows);
    const median = [...p].sort((a, b) => a - b)[Math.floor(p.length / 2)];
    writeFileSync(
      join(dir, 'risky.csv'),
      stringify(
        rows.filter((_, i) => p[i] > median),
        { header: true },
      ),
    );
    const { config, baseDir } = loadConfig(null, dir);
    const r = runDrift({ config, baseDir, reference: 'data/credit_data.csv', current: 'risky.csv', model });
    expect(r.score).toMatchObject({ psi_level: 'significant', drifted: true });
    // Half the reference deciles are now empty: PSI is dominated by the 0.0001 smoothing there.
    expect(r.score!.bins.slice(0, 5).every((b) => b.current === 0)).toBe(true);
    expect(r.score!.current_mean).toBeGreaterThan(r.score!.reference_mean);
  });

  it('accepts a scoring log as --current', async () => {
    const model = CreditModel.load(modelPath);
    const rows = parse(readFileSync(join(dir, 'data', 'credit_data.csv'), 'utf8'), { columns: true }) as Record<
      string,
      string
    >[];
    const p = model.scoreRecords(rows);
    const log = rows
      .map((rec, i) =>
        formatScoringLogLine({
          time: new Date(1_700_000_000_000 + i),
          model: model.bundle.digest,
          schema: model.bundle.schema,
          record: { ...rec, applicant_name: 'x' },
          probability: p[i],
        }),
      )
      .join('');
    writeFileSync(join(dir, 'scoring-log.jsonl'), log);
    const first = readScoringLog(join(dir, 'scoring-log.jsonl'))[0];
    expect(Object.keys(first.features)).not.toContain('applicant_name');
    expect(Object.keys(first.features)).not.toContain('Status');
    expect(first.features.Seniority).toBe(9);

    const res = await runCli(
      [
        'drift',
        '--reference',
        'data/credit_data.csv',
        '--current',
        'scoring-log.jsonl',
        '--model',
        'model.json',
        '--json',
      ],
      dir,
    );
    expect(res.code).toBe(0);
    const r = JSON.parse(res.out) as {
      current: { kind: string; rows: number };
      features: { psi: number }[];
      score: { psi: number };
      model_drift: unknown;
      warnings: string[];
    };
    expect(r.current).toMatchObject({ kind: 'scoring-log', rows: 4454 });
    expect(r.features.every((f) => f.psi === 0)).toBe(true);
    expect(r.score.psi).toBe(0);
    expect(r.model_drift).toBeNull();
    expect(r.warnings).toEqual([]);

    writeFileSync(join(dir, 'bad-log.jsonl'), log + '{"time":1}\nnot json\n');
    const bad = await runCli(['drift', '--current', 'bad-log.jsonl', '--model', 'model.json'], dir);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(
      /bad-log\.jsonl: 2 malformed lines:\n {2}- line 4455: expected .*\n {2}- line 4456: not valid JSON/,
    );
  });

  it('by default compares the rows ingested since the model was trained with its training data from git', async () => {
    const proj = tempProject(CONFIG);
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: proj, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'data');
    const { config, baseDir } = loadConfig(null, proj);
    const t = await train({ config, baseDir });
    writeBundle(join(proj, 'champion.json'), t.bundle);
    // New applicants arrive, shifted; ingestion appends them to the data set.
    shiftedCopy(join(proj, 'data', 'credit_data.csv'), join(proj, 'new.csv'));
    const lines = readFileSync(join(proj, 'new.csv'), 'utf8').trim().split('\n');
    mkdirSync(join(proj, 'data', 'incoming'), { recursive: true });
    writeFileSync(join(proj, 'data', 'incoming', 'new.csv'), lines.slice(0, 601).join('\n'));
    const ing = ingest({ config, baseDir });
    expect(ing.files[0].entry.accepted).toBeGreaterThan(500);

    const r = runDrift({ config, baseDir, model: CreditModel.load(join(proj, 'champion.json')) });
    expect(r.reference).toMatchObject({
      name: `credit_data.csv@${t.data.sha256.slice(0, 12)}`,
      rows: 4454,
      sha256: t.data.sha256,
    });
    expect(r.current.rows).toBe(ing.files[0].entry.accepted);
    expect(r.dataset_drift).toBe(true);
    expect(r.warnings).toEqual([]);

    // Nothing new since the reference: a clear usage error.
    const again = await runCli(['drift', '--reference', 'data/credit_data.csv', '--no-model'], proj);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/no rows were added to data\/credit_data\.csv since the reference .*pass --current FILE/);
  });

  it('finds an uncommitted earlier data version as a prefix of the data set; without a model, the version before the last ingestion', async () => {
    const proj = tempProject(CONFIG); // not a git checkout
    const { config, baseDir } = loadConfig(null, proj);
    const t = await train({ config, baseDir });
    shiftedCopy(join(proj, 'data', 'credit_data.csv'), join(proj, 'new.csv'));
    mkdirSync(join(proj, 'data', 'incoming'), { recursive: true });
    writeFileSync(
      join(proj, 'data', 'incoming', 'a.csv'),
      readFileSync(join(proj, 'new.csv'), 'utf8').trim().split('\n').slice(0, 301).join('\n'),
    );
    const first = ingest({ config, baseDir });
    const withModel = runDrift({ config, baseDir, model: new CreditModel(t.bundle) });
    expect(withModel.reference.sha256).toBe(t.data.sha256);
    expect(withModel.current.rows).toBe(first.files[0].entry.accepted);
    expect(withModel.warnings).toEqual([]);

    writeFileSync(
      join(proj, 'data', 'incoming', 'b.csv'),
      readFileSync(join(proj, 'new.csv'), 'utf8')
        .trim()
        .split('\n')
        .filter((_, i) => i === 0 || (i > 1000 && i <= 1100))
        .join('\n'),
    );
    const second = ingest({ config, baseDir });
    const noModel = runDrift({ config, baseDir, model: null });
    expect(noModel.reference).toMatchObject({ sha256: first.version_after, rows: 4754 });
    expect(noModel.current.rows).toBe(second.files[0].entry.accepted);
    expect(second.files[0].entry.accepted).toBeGreaterThan(90);
    expect(noModel.score).toBeNull();
  });

  it('samples scoring-log lines at the configured rate with a per-minute cap', () => {
    expect(Array.from({ length: 100 }, () => new ScoringLogSampler(0).sample(0)).some(Boolean)).toBe(false);
    const capped = new ScoringLogSampler(1, 3);
    expect([0, 1, 2, 3, 4].map((i) => capped.sample(i * 1000))).toEqual([true, true, true, false, false]);
    expect(capped.sample(60_000)).toBe(true);
    const s = new ScoringLogSampler(0.25, Infinity, 7);
    const n = Array.from({ length: 10_000 }, () => s.sample(0)).filter(Boolean).length;
    expect(n).toBeGreaterThan(2300);
    expect(n).toBeLessThan(2700);
    expect(() => new ScoringLogSampler(1.5)).toThrow(/between 0 and 1/);
  });
});
