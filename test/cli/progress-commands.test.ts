/**
 * Every long command reports progress in a CI log (stderr not a terminal): with a tiny
 * MLOPS_PROGRESS_INTERVAL_MS each prints lines with the step, its elapsed time and an ETA
 * where the amount of work is known, on stderr only; stdout (results, --json) is the same
 * as without progress lines.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject, type CliResult } from '../helpers/cli.ts';
import { PROGRESS_INTERVAL_ENV } from '../../cli/progress.ts';

let dir: string;
const saved = process.env[PROGRESS_INTERVAL_ENV];

beforeAll(async () => {
  process.env[PROGRESS_INTERVAL_ENV] = '0';
  dir = tempProject();
  // Three copies of the embedded data: enough rows for several progress reports per read.
  const [header, ...rows] = readFileSync(join(dir, 'data', 'credit_data.csv'), 'utf8')
    .trimEnd()
    .split('\n');
  writeFileSync(join(dir, 'big.csv'), [header, ...rows, ...rows, ...rows].join('\n') + '\n');
  const r = await runCli(['train', '--out', 'run1'], dir);
  expect(r.code, r.err).toBe(0);
  trained = r;
});

afterAll(() => {
  if (saved === undefined) delete process.env[PROGRESS_INTERVAL_ENV];
  else process.env[PROGRESS_INTERVAL_ENV] = saved;
});

let trained: CliResult;

/** Runs a command as it would run with progress at the default interval (for stdout comparisons). */
async function withoutProgressLines(args: string[]): Promise<CliResult> {
  delete process.env[PROGRESS_INTERVAL_ENV];
  try {
    return await runCli(args, dir);
  } finally {
    process.env[PROGRESS_INTERVAL_ENV] = '0';
  }
}

const progressLine = (step: string, amount: string, withEta = true): RegExp =>
  new RegExp(`^  ${step}: ${amount} \\(\\d+ %\\), [\\d.]+ s elapsed${withEta ? ', ETA [\\d.]+ s' : ''}$`, 'm');

describe('progress in a CI log', () => {
  it('train: loading, training and evaluating report with elapsed time and ETA', () => {
    expect(trained.err).toMatch(/^• loading data$/m);
    expect(trained.err).toMatch(progressLine('loading data', '\\d+/\\d+ rows read'));
    expect(trained.err).toMatch(progressLine('training \\w+', '\\d+/\\d+ (trees|rounds|newton steps)'));
    expect(trained.err).toMatch(progressLine('evaluating', '\\d+/\\d+ rows scored'));
    expect(trained.out).not.toMatch(/elapsed|•/);
  });

  it('evaluate: loading data reports rows read; stdout is the same JSON', async () => {
    const args = ['evaluate', '--model', 'run1/model.json', '--data', 'big.csv'];
    const r = await runCli(args, dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(progressLine('loading the model and data', '\\d+/\\d+ rows read'));
    expect(r.err).toMatch(/^ {2}scoring 13362 rows: done in [\d.]+ s$/m);
    const quiet = await withoutProgressLines(args);
    expect(r.out).toBe(quiet.out);
    expect(JSON.parse(r.out).rows).toBe(13362);
  });

  it('predict: bytes read of the file size, with ETA', async () => {
    const r = await runCli(['predict', '--model', 'run1/model.json', '--data', 'big.csv', '--out', 'p.csv'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(progressLine('scoring big.csv', '[\\d.]+ KB of [\\d.]+ KB read'));
    expect(r.out).toBe('');
    expect(readFileSync(join(dir, 'p.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(13363);
  });

  it('report: each step named, bootstrap resamples counted', async () => {
    const r = await runCli(['report', '--run', 'run1'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^• report: explanations and importance$/m);
    expect(r.err).toMatch(/^ {2}report: explanations and importance: done in [\d.]+ s$/m);
    expect(r.err).toMatch(progressLine('report: bootstrap intervals', '\\d+/300 resamples'));
    expect(r.out).not.toMatch(/elapsed|•/);
  });

  it('tune: cross-validation fits (folds × trials) of the total, with ETA', async () => {
    const r = await runCli(['tune', '--engine', 'logistic', '--trials', '2', '--folds', '2'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(progressLine('running 3 trials of 3', '\\d/6 cross-validation fits'));
    expect(r.err).toMatch(/^ {2}trial 0 \(baseline\) \[1\/3\]/m);
    expect(r.out).not.toMatch(/elapsed|•/);
  });

  it('drift: reading both samples and comparing features; stdout is the same JSON', async () => {
    const args = ['drift', '--model', 'run1/model.json', '--reference', 'data/credit_data.csv'];
    const r = await runCli([...args, '--current', 'big.csv', '--json'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(progressLine('reading the reference data', '\\d+/4454 rows read'));
    expect(r.err).toMatch(progressLine('reading the current data', '\\d+/\\d+ rows read'));
    expect(r.err).toMatch(progressLine('comparing features and scores', '\\d+/\\d+ features'));
    const quiet = await withoutProgressLines([...args, '--current', 'big.csv', '--json']);
    expect(r.out).toBe(quiet.out);
    expect(JSON.parse(r.out).features.length).toBeGreaterThan(0);
  });

  it('ingest: reading the data set and checking each incoming file; stdout is JSON', async () => {
    copyFileSync(join(dir, 'data', 'credit_data', 'test.csv'), join(dir, 'data', 'incoming', 'batch.csv'));
    const r = await runCli(['ingest', '--json'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(progressLine('reading data/credit_data.csv', '\\d+/4454 rows read'));
    expect(r.err).toMatch(/^• checking batch\.csv$/m);
    expect(r.err).toMatch(progressLine('checking batch\\.csv', '\\d+/891 rows checked', false));
    expect(JSON.parse(r.out).files[0].file).toBe('batch.csv');
  });
});
