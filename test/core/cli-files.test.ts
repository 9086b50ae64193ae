/**
 * What the CLI does with the files a user names: CSV files in another encoding are refused
 * with the line unless the user says so (train, predict, evaluate, drift, ingest), an
 * output never lands on an input or in a missing folder, metrics a data set cannot define
 * are null with a warning, and a split of any size works.
 */
import { createHash } from 'node:crypto';
import { existsSync, linkSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../helpers/cli.ts';
import { stratifiedFolds, stratifiedSplit } from '../../pipeline/core/training/split.ts';

let dir: string;
const quick = ['--engine', 'logistic', '--quiet'];
const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
/** The error is one line (besides the names of the steps that ran before it, "• …"). */
const oneLine = (err: string): void => {
  expect(
    err
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('• ')),
  ).toHaveLength(1);
  expect(err).not.toMatch(/\n\s+at /);
};

beforeAll(async () => {
  dir = tempProject();
  // The embedded data with accented categories, saved as Latin-1 (as spreadsheets on some systems do).
  const text = readFileSync(join(dir, 'data/credit_data.csv'), 'utf8')
    .replace(/,rent,/g, ',rént,')
    .replace(/,parents,/g, ',parénts,');
  writeFileSync(join(dir, 'latin.csv'), Buffer.from(text, 'latin1'));
  const r = await runCli(['train', ...quick, '--out', 'runs/utf8'], dir);
  expect(r.code, r.err).toBe(0);
}, 120_000);

describe('bytes that are not UTF-8', () => {
  const firstAccent = (): number =>
    readFileSync(join(dir, 'latin.csv'), 'latin1')
      .split('\n')
      .findIndex((l) => l.includes('é')) + 1;

  it('train refuses them with the file and line, and reads Latin-1 when told', async () => {
    const r = await runCli(['train', '--data', 'latin.csv', ...quick], dir);
    expect(r.code).toBe(1);
    oneLine(r.err);
    expect(r.err).toMatch(new RegExp(`latin\\.csv: line ${firstAccent()}: not valid UTF-8 .*--encoding latin1`));
    const ok = await runCli(
      ['train', '--data', 'latin.csv', '--encoding', 'latin1', ...quick, '--out', 'runs/l1'],
      dir,
    );
    expect(ok.code, ok.err).toBe(0);
    const bundle = JSON.parse(readFileSync(join(dir, 'runs/l1/model.json'), 'utf8'));
    const home = bundle.schema.features.find((f: { name: string }) => f.name === 'Home');
    expect(home.categories).toContain('rént');
    expect(home.categories).toContain('parénts');
    expect(bundle.provenance.config.data.encoding).toBe('latin1');
  });

  it('predict, evaluate and drift refuse them too, and accept --encoding latin1', async () => {
    const model = ['--model', 'runs/utf8/model.json'];
    for (const args of [
      ['predict', ...model, '--data', 'latin.csv'],
      ['evaluate', ...model, '--data', 'latin.csv'],
      ['drift', '--no-model', '--reference', 'data/credit_data.csv', '--current', 'latin.csv'],
    ]) {
      const r = await runCli(args, dir);
      expect(r.code, args.join(' ')).toBe(1);
      oneLine(r.err);
      expect(r.err).toMatch(new RegExp(`latin\\.csv: line ${firstAccent()}: not valid UTF-8`));
      const ok = await runCli([...args, '--encoding', 'latin1'], dir);
      expect(ok.code, `${args.join(' ')} --encoding latin1: ${ok.err}`).toBe(0);
    }
    expect((await runCli(['predict', ...model, '--data', 'latin.csv', '--encoding', 'ebcdic'], dir)).err).toMatch(
      /--encoding must be utf8 or latin1/,
    );
  });

  it('ingest quarantines such a file as unreadable, naming the line; with --encoding latin1 it is read', async () => {
    const p = tempProject();
    const latin = readFileSync(join(dir, 'latin.csv'));
    const lines = latin.toString('latin1').split('\n');
    const incoming = Buffer.from([lines[0], ...lines.slice(1, 40)].join('\n') + '\n', 'latin1');
    writeFileSync(join(p, 'data/incoming/batch.csv'), incoming);
    const r = await runCli(['ingest', '--json'], p);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.files[0].status).toBe('unreadable');
    expect(out.files[0].entry.error).toMatch(/batch\.csv: line \d+: not valid UTF-8/);
    expect(out.version_after).toBe(out.version_before);
    expect(readdirSync(join(p, 'data/quarantine')).filter((f) => !f.startsWith('.'))).toHaveLength(1);
    // Told it is Latin-1, the rows are read, and their unseen categories are named as written.
    writeFileSync(
      join(p, 'data/incoming/batch2.csv'),
      Buffer.concat([incoming, incoming.subarray(incoming.indexOf(10) + 1)]),
    );
    const again = JSON.parse((await runCli(['ingest', '--json', '--encoding', 'latin1'], p)).out);
    expect(again.files[0].status).toBe('ingested');
    expect(Object.keys(again.files[0].entry.reasons)).toContain('Home: unknown category');
    const q = readFileSync(join(p, again.files[0].entry.quarantine_file), 'utf8');
    expect(q).toMatch(/rént"+ is not a known category/);
  });
});

describe('outputs', () => {
  it('predict --out into a missing folder is a one-line usage error', async () => {
    const r = await runCli(
      ['predict', '--model', 'runs/utf8/model.json', '--data', 'data/credit_data/test.csv', '--out', 'nope/scores.csv'],
      dir,
    );
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/--out .*nope\/scores\.csv: the folder .*nope does not exist/);
  });

  it('an output that is an input (by its name or another link) is refused and the input is kept', async () => {
    const data = join(dir, 'data/credit_data/test.csv');
    const before = sha(data);
    linkSync(data, join(dir, 'alias.csv'));
    for (const out of ['data/credit_data/test.csv', './data/credit_data/../credit_data/test.csv', 'alias.csv']) {
      const r = await runCli(
        ['predict', '--model', 'runs/utf8/model.json', '--data', 'data/credit_data/test.csv', '--out', out],
        dir,
      );
      expect(r.code, out).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(/is also an input .*choose another file/);
    }
    const e = await runCli(
      [
        'evaluate',
        '--model',
        'runs/utf8/model.json',
        '--data',
        'data/credit_data/test.csv',
        '--out',
        'runs/utf8/model.json',
      ],
      dir,
    );
    expect(e.code).toBe(2);
    expect(sha(data)).toBe(before);
    expect(existsSync(join(dir, 'runs/utf8/model.json'))).toBe(true);
    JSON.parse(readFileSync(join(dir, 'runs/utf8/model.json'), 'utf8'));
  });

  it('predict writes through a temporary file and leaves none behind', async () => {
    const r = await runCli(
      ['predict', '--model', 'runs/utf8/model.json', '--data', 'data/credit_data/test.csv', '--out', 'scores.csv'],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(dir, 'scores.csv'), 'utf8').split('\n')[0]).toBe('probability,decision');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('metrics the rows cannot define', () => {
  it('evaluate on rows of one class reports recall and F1 as null, with a warning', async () => {
    const text = readFileSync(join(dir, 'data/credit_data/test.csv'), 'utf8').split('\n');
    writeFileSync(
      join(dir, 'good-only.csv'),
      [text[0], ...text.slice(1).filter((l) => l.startsWith('good,'))].join('\n'),
    );
    const r = await runCli(['evaluate', '--model', 'runs/utf8/model.json', '--data', 'good-only.csv'], dir);
    expect(r.code, r.err).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.recall).toBeNull();
    expect(m.f1).toBeNull();
    expect(m.roc_auc).toBeNull();
    expect(m.precision).toBe(0);
    expect(r.err).toMatch(/warning: good-only\.csv: the rows hold no "bad" row: .*recall.* are undefined \(null\)/);
  });
});

describe('splits of any size', () => {
  it('split and fold 2,000,000 rows without spreading them into a call', () => {
    const n = 2_000_001;
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) y[i] = 1;
    const s = stratifiedSplit(y, { train: 0.6, validation: 0.2, test: 0.2 }, 42);
    expect(s.train.length + s.validation.length + s.test.length).toBe(n);
    expect(Math.abs(s.test.length - n * 0.2)).toBeLessThan(2);
    expect(stratifiedFolds(y, 5, 42).length).toBe(n);
  });
});
