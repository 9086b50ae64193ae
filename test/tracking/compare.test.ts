import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { num, signed } from '../../pipeline/core/common/format.ts';
import { runCli } from '../helpers/cli.ts';
import { smallProject, writeFakeRun } from './helpers.ts';

let project: string;
let runs: string;

const A = '20260101T100000Z-aaaa0001';
const B = '20260102T100000Z-bbbb0002';
const C = '20260103T100000Z-cccc0003';

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'mlops-compare-'));
  runs = join(project, 'runs');
  writeFakeRun(runs, {
    id: A,
    created_at: '2026-01-01T10:00:00.000Z',
    engine: 'gbdt',
    params: { learningRate: 0.1, maxDepth: 4, nTrees: 200 },
    metrics: {
      roc_auc: 0.81,
      pr_auc: 0.6,
      accuracy: 0.78,
      precision: 0.55,
      recall: 0.6,
      f1: 0.5739,
      brier: 0.15,
      log_loss: 0.46,
      ks: 0.5,
      gini: 0.62,
      threshold: 0.3,
      expected_cost: 0.5,
    },
    fit_s: 2.5,
  });
  writeFakeRun(runs, {
    id: B,
    created_at: '2026-01-02T10:00:00.000Z',
    engine: 'gbdt',
    params: { learningRate: 0.05, maxDepth: 4, nTrees: 400 },
    metrics: {
      roc_auc: 0.825,
      pr_auc: 0.62,
      accuracy: 0.79,
      precision: 0.56,
      recall: 0.61,
      f1: 0.584,
      brier: 0.145,
      log_loss: 0.45,
      ks: 0.52,
      gini: 0.65,
      threshold: 0.28,
      expected_cost: 0.48,
    },
    fit_s: 4.25,
  });
  writeFakeRun(runs, {
    id: C,
    created_at: '2026-01-03T10:00:00.000Z',
    engine: 'forest',
    params: { maxDepth: 8, nTrees: 300 },
    seed: 7,
    metrics: {
      roc_auc: 0.8,
      pr_auc: 0.59,
      accuracy: 0.8,
      precision: 0.57,
      recall: 0.55,
      f1: 0.5598,
      brier: 0.16,
      log_loss: 0.48,
      ks: 0.49,
      gini: 0.6,
      threshold: 0.31,
      expected_cost: 0.52,
    },
    fit_s: 3,
  });
});

const cli = (...args: string[]) => runCli(['runs', ...args], project);

describe('mlops runs compare', () => {
  it('shows the params that differ and every metric with deltas against the first run (markdown)', async () => {
    const r = await cli('compare', '20260101', 'bbbb0002', C);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`## Comparing 3 runs

|               | ${A}             | ${B}             | ${C}             |
| :------------ | :------------------------------------ | :------------------------------------ | :------------------------------------ |
| created (UTC) | 2026-01-01 10:00Z                     | 2026-01-02 10:00Z                     | 2026-01-03 10:00Z                     |
| command       | train                                 | train                                 | train                                 |
| engine        | gbdt                                  | gbdt                                  | forest                                |
| data          | credit_data.csv (aaaaaaaa, 4454 rows) | credit_data.csv (aaaaaaaa, 4454 rows) | credit_data.csv (aaaaaaaa, 4454 rows) |
| git commit    | c0ffee1                               | c0ffee1                               | c0ffee1                               |
| model         | aaaa0001                              | bbbb0002                              | cccc0003                              |
| fit time (s)  | 2.500                                 | 4.250                                 | 3                                     |

### Parameters that differ

| parameter    | ${A} | ${B} | ${C} |
| :----------- | ------------------------: | ------------------------: | ------------------------: |
| learningRate |                       0.1 |                      0.05 |                         – |
| maxDepth     |                         4 |                         4 |                         8 |
| nTrees       |                       200 |                       400 |                       300 |
| seed         |                        42 |                        42 |                         7 |

### Metrics (test rows; Δ against ${A})

| metric          | ${A} | ${B} | ${C} |
| :-------------- | ------------------------: | ------------------------: | ------------------------: |
| roc_auc ↑       |                    0.8100 |          0.8250 (+0.0150) |          0.8000 (−0.0100) |
| pr_auc ↑        |                    0.6000 |          0.6200 (+0.0200) |          0.5900 (−0.0100) |
| accuracy ↑      |                    0.7800 |          0.7900 (+0.0100) |          0.8000 (+0.0200) |
| precision ↑     |                    0.5500 |          0.5600 (+0.0100) |          0.5700 (+0.0200) |
| recall ↑        |                    0.6000 |          0.6100 (+0.0100) |          0.5500 (−0.0500) |
| f1 ↑            |                    0.5739 |          0.5840 (+0.0101) |          0.5598 (−0.0141) |
| ks ↑            |                    0.5000 |          0.5200 (+0.0200) |          0.4900 (−0.0100) |
| gini ↑          |                    0.6200 |          0.6500 (+0.0300) |          0.6000 (−0.0200) |
| brier ↓         |                    0.1500 |          0.1450 (−0.0050) |          0.1600 (+0.0100) |
| log_loss ↓      |                    0.4600 |          0.4500 (−0.0100) |          0.4800 (+0.0200) |
| expected_cost ↓ |                    0.5000 |          0.4800 (−0.0200) |          0.5200 (+0.0200) |
| threshold       |                    0.3000 |          0.2800 (−0.0200) |          0.3100 (+0.0100) |

↑ higher is better, ↓ lower is better.`);
  });

  it('renders the same comparison as a terminal table', async () => {
    const r = await cli('compare', A, B, '--format', 'table');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Parameters that differ');
    expect(r.out).toMatch(/^roc_auc ↑\s+0\.8100\s+0\.8250 \(\+0\.0150\)$/m);
    expect(r.out).not.toContain('|');
  });
});

describe('mlops runs compare … champion', () => {
  it('compares a run with the registry champion in one command', async () => {
    const dir = smallProject();
    expect((await runCli(['train', '--quiet', '--out', 'runs/first'], dir)).code).toBe(0);
    const promoted = await runCli(['promote', '--run', 'runs/first'], dir);
    expect(promoted.code, promoted.err).toBe(0);
    const champion = JSON.parse(readFileSync(join(dir, 'models/credit-default/v1/metrics.json'), 'utf8')).test;
    writeFakeRun(join(dir, 'runs'), {
      id: B,
      created_at: '2026-01-02T10:00:00.000Z',
      params: { nTrees: 400 },
      metrics: { roc_auc: 0.9, brier: 0.1 },
    });
    const r = await runCli(['runs', 'compare', 'bbbb0002', 'champion'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`| ${B} | credit-default@v1 (champion) |`);
    const delta = (m: string, mine: number): string => `${num(champion[m])} (${signed(champion[m] - mine)})`;
    expect(r.out).toMatch(
      new RegExp(`\\| roc_auc ↑ +\\| +0\\.9000 \\| +${delta('roc_auc', 0.9).replace(/[.()+]/g, '\\$&')} \\|`),
    );
    expect(r.out).toMatch(
      new RegExp(`\\| brier ↓ +\\| +0\\.1000 \\| +${delta('brier', 0.1).replace(/[.()+]/g, '\\$&')} \\|`),
    );
    expect(r.out).toMatch(/\| engine +\| gbdt +\| logistic +\|/);
    const show = await runCli(['runs', 'show', 'credit-default@v1'], dir);
    expect(show.code, show.err).toBe(0);
    expect(show.out).toMatch(/^run credit-default@v1 \(champion\)/);
    const none = await runCli(['runs', 'compare', B, 'challenger'], dir);
    expect(none.code).toBe(1);
    expect(none.err).toContain('credit-default has no challenger');
  });
});

describe('mlops runs list / best / show', () => {
  it('lists newest first, filters by engine, param and metric, sorts by a metric', async () => {
    const all = await cli('list', '--format', 'json');
    expect(JSON.parse(all.out).map((r: { id: string }) => r.id)).toEqual([C, B, A]);
    const gbdt = await cli('list', '--engine', 'gbdt', '--format', 'json');
    expect(JSON.parse(gbdt.out).map((r: { id: string }) => r.id)).toEqual([B, A]);
    const p = await cli('list', '--param', 'nTrees=400', '--format', 'json');
    expect(JSON.parse(p.out).map((r: { id: string }) => r.id)).toEqual([B]);
    const w = await cli('list', '--where', 'roc_auc>=0.81', '--format', 'json');
    expect(JSON.parse(w.out).map((r: { id: string }) => r.id)).toEqual([B, A]);
    const sorted = await cli('list', '--sort', 'brier', '--limit', '2', '--format', 'json');
    expect(JSON.parse(sorted.out).map((r: { id: string }) => r.id)).toEqual([B, A]);
    const table = await cli('list');
    expect(table.out.split('\n')[0]).toMatch(/^id\s+created \(UTC\)\s+command\s+engine/);
    expect(table.out.split('\n')[2]).toMatch(new RegExp(`^${C}\\s`));
  });

  it('best respects smaller-is-better metrics', async () => {
    expect((await cli('best', '--metric', 'roc_auc')).out).toMatch(
      new RegExp(`^${B}  roc_auc 0\\.8250 \\(highest of 3 runs`),
    );
    expect((await cli('best', '--metric', 'expected_cost')).out).toMatch(
      new RegExp(`^${B}  expected_cost 0\\.4800 \\(lowest`),
    );
    expect((await cli('best', '--metric', 'accuracy', '--engine', 'gbdt')).out).toMatch(new RegExp(`^${B} `));
    const bad = await cli('best', '--metric', 'auc');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown metric "auc" \(known: roc_auc, pr_auc/);
  });

  it('accepts an id prefix and refuses an ambiguous one', async () => {
    const r = await cli('show', '20260102');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^run ${B}`));
    expect(r.out).toMatch(/engine +gbdt · learningRate=0\.05 maxDepth=4 nTrees=400/);
    const amb = await cli('show', '2026010');
    expect(amb.code).toBe(2);
    expect(amb.err).toContain(`run id "2026010" is ambiguous: it matches 3 runs (${C}, ${B}, ${A})`);
    const none = await cli('show', 'zzz');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no run "zzz" in .*runs \(3 runs there/);
  });
});

describe('mlops runs list / best across filters and data sets', () => {
  it('says that the filters matched none of the recorded runs, not that there are none', async () => {
    const r = await cli('list', '--engine', 'logistic');
    expect(r.code).toBe(0);
    expect(r.out).toBe('no run matches these filters (3 runs recorded; "mlops runs list" without filters shows them)');
    const empty = mkdtempSync(join(tmpdir(), 'mlops-empty-'));
    expect((await runCli(['runs', 'list'], empty)).out).toMatch(/^no runs recorded yet/);
  });

  it('does not rank runs of different data sets together: the best of each, and --data picks one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-best-'));
    const store = join(dir, 'runs');
    const other = 'b'.repeat(64);
    writeFakeRun(store, { id: A, created_at: '2026-01-01T10:00:00.000Z', params: {}, metrics: { expected_cost: 0.5 } });
    writeFakeRun(store, {
      id: B,
      created_at: '2026-01-02T10:00:00.000Z',
      params: {},
      metrics: { expected_cost: 0.45 },
    });
    writeFakeRun(store, {
      id: C,
      created_at: '2026-01-03T10:00:00.000Z',
      params: {},
      metrics: { expected_cost: 0.1 },
      dataSha: other,
    });
    const r = await runCli(['runs', 'best', '--metric', 'expected_cost'], dir);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^not ranked together: these runs measured expected_cost on 2 different sets of rows/);
    expect(lines[1]).toBe(`  data data/credit_data.csv @ bbbbbbbb, test rows:`);
    expect(lines[2]).toMatch(new RegExp(`^ {4}${C}  expected_cost 0\\.1000 \\(lowest of 1 run;`));
    expect(lines[3]).toBe(`  data data/credit_data.csv @ aaaaaaaa, test rows:`);
    expect(lines[4]).toMatch(new RegExp(`^ {4}${B}  expected_cost 0\\.4500 \\(lowest of 2 runs;`));
    const json = JSON.parse((await runCli(['runs', 'best', '--metric', 'expected_cost', '--format', 'json'], dir)).out);
    expect(json.map((j: { id: string }) => j.id)).toEqual([C, B]);
    const picked = await runCli(['runs', 'best', '--metric', 'expected_cost', '--data', 'aaaa'], dir);
    expect(picked.out).toMatch(new RegExp(`^${B}  expected_cost 0\\.4500 \\(lowest of 2 runs; test rows\\)`));
  });
});
