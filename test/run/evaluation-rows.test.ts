/**
 * One rule for the rows a model is evaluated on, shared by the promotion gate and the
 * reports: the bundle's typed provenance (seed, data, test data) decides, every file is
 * checked by sha256, a missing file is an input error and a changed one an integrity error.
 */
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';
import { MlopsError } from '../../pipeline/core/common/errors.ts';
import { sealBundle, type Bundle } from '../../pipeline/core/model/bundle.ts';
import { train, type TrainResult } from '../../pipeline/core/training/train.ts';
import { configuredDataRecord, type DataRecord } from '../../pipeline/gitops/run/data-record.ts';
import { evaluationParts, evaluationRows, rowsDataset } from '../../pipeline/gitops/run/evaluation-rows.ts';
import { ROOT } from '../helpers/cli.ts';

const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-rows-'));
  folders.push(dir);
  mkdirSync(join(dir, 'data'));
  for (const f of ['credit_data.csv', 'credit_data/train.csv', 'credit_data/test.csv'])
    copyFileSync(join(ROOT, 'data', f), join(dir, 'data', f.replace('credit_data/', 'holdout-')));
  return dir;
}

/** The same bundle with provenance fields changed, sealed again so its digest verifies. */
function reseal(b: Bundle, edit: (p: Bundle['provenance']) => void): Bundle {
  const { digest: _digest, ...content } = structuredClone(b);
  edit(content.provenance);
  return sealBundle(content);
}

let dir: string;
let split: Bundle;
let holdout: Bundle;
let splitRecord: DataRecord;
let holdoutRecord: DataRecord;
/** The record run.json keeps of where a model's rows were read from (the bundle pins them by digest only). */
const recordOf = (b: Bundle): DataRecord => (b.provenance.test_data ? holdoutRecord : splitRecord);
const recorded = (r: TrainResult): DataRecord => ({ data: r.data, test_data: r.testData, source: r.source });

beforeAll(async () => {
  dir = project();
  const config = defaultConfig();
  config.engine = { name: 'logistic', params: {} };
  const s = await train({ config, baseDir: dir });
  split = s.bundle;
  splitRecord = recorded(s);
  const withHoldout = structuredClone(config);
  withHoldout.data.path = 'data/holdout-train.csv';
  withHoldout.data.test_path = 'data/holdout-test.csv';
  const h = await train({ config: withHoldout, baseDir: dir });
  holdout = h.bundle;
  holdoutRecord = recorded(h);
});

const errorOf = (f: () => unknown): MlopsError => {
  try {
    f();
  } catch (e) {
    return e as MlopsError;
  }
  throw new Error('expected an error');
};

describe('evaluation rows', () => {
  it('the gate and the report take the same rows, exactly the ones training tested on', () => {
    const rows = evaluationRows(split, { record: recordOf(split), baseDir: dir });
    const [test] = evaluationParts(split, recordOf(split), dir, null);
    const ds = rowsDataset(rows, split.schema);
    const c = split.metrics.test.confusion_matrix;
    expect(ds.rows).toBe(c.tp + c.fp + c.tn + c.fn);
    expect(test.rows).toBe(ds.rows);
    expect(test.table.columns.get('Age')!.toArray()).toEqual(
      Array.from(rows.index, (i) => rows.table.columns.get('Age')!.get(i)),
    );
  });

  it('the split seed is provenance.seed, the field the bundle types and run.json records', () => {
    const base = evaluationRows(split, { record: recordOf(split), baseDir: dir }).index;
    // provenance.config is an untyped copy of the config: it does not steer the split.
    const configSeed = reseal(split, (p) => ((p.config as { seed: number }).seed = 999));
    expect(evaluationRows(configSeed, { record: recordOf(configSeed), baseDir: dir }).index).toEqual(base);
    expect(evaluationParts(configSeed, recordOf(configSeed), dir, null)[0].sha256).toBe(
      evaluationParts(split, recordOf(split), dir, null)[0].sha256,
    );
    const otherSeed = reseal(split, (p) => (p.seed = 999));
    expect(evaluationRows(otherSeed, { record: recordOf(otherSeed), baseDir: dir }).index).not.toEqual(base);
  });

  it('a configured holdout comes from provenance.test_data, every row, checked by its sha256', () => {
    const rows = evaluationRows(holdout, { record: recordOf(holdout), baseDir: dir });
    expect(rows.path).toBe('data/holdout-test.csv');
    expect(rows.index.length).toBe(rows.table.rows);
    const [test] = evaluationParts(holdout, recordOf(holdout), dir, null);
    expect(test.path).toBe('data/holdout-test.csv');
    // A holdout whose recorded digest does not match is refused by both, as an integrity error.
    const wrong = reseal(holdout, (p) => (p.test_data!.digest = '0'.repeat(64)));
    const record = { ...holdoutRecord, test_data: { ...holdoutRecord.test_data!, sha256: '0'.repeat(64) } };
    for (const f of [
      () => evaluationRows(wrong, { record, baseDir: dir }),
      () => evaluationParts(wrong, record, dir, null),
    ]) {
      const e = errorOf(f);
      expect(e.kind).toBe('integrity');
      expect(e.message).toMatch(/holdout-test\.csv has changed since the model was trained/);
    }
  });

  it('a missing file is an input error, a changed file an integrity error, for the gate and the report alike', () => {
    const empty = mkdtempSync(join(tmpdir(), 'mlops-rows-empty-'));
    folders.push(empty);
    for (const f of [
      () => evaluationRows(split, { record: recordOf(split), baseDir: empty }),
      () => evaluationParts(split, recordOf(split), empty, null),
    ]) {
      const e = errorOf(f);
      expect(e.kind).toBe('input');
      expect(e.message).toMatch(/training data .*credit_data\.csv is not there/);
    }
    const changed = project();
    appendFileSync(
      join(changed, 'data/credit_data.csv'),
      'good,9,rent,60,30,married,no,freelance,73,129,0,0,800,846\n',
    );
    for (const f of [
      () => evaluationRows(split, { record: recordOf(split), baseDir: changed }),
      () => evaluationParts(split, recordOf(split), changed, null),
    ]) {
      const e = errorOf(f);
      expect(e.kind).toBe('integrity');
      expect(e.message).toMatch(
        /credit_data\.csv has changed since the model was trained.*the data changed since training/,
      );
    }
  });

  it('a bare bundle finds its rows through the configured data, used only when they have its rows digest', () => {
    const config = defaultConfig();
    const bare = configuredDataRecord(split, config.data);
    expect(bare.data.path).toBe(config.data.path);
    expect(evaluationRows(split, { record: bare, baseDir: dir }).index).toEqual(
      evaluationRows(split, { record: splitRecord, baseDir: dir }).index,
    );
    // The same rows in another layout (CRLF line ends) are the same rows: accepted by their digest.
    const crlf = project();
    const file = join(crlf, 'data/credit_data.csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
    expect(evaluationRows(split, { record: bare, baseDir: crlf }).table.rows).toBe(split.provenance.data.rows);
    // Other rows are not.
    const other = { ...config.data, path: 'data/holdout-train.csv' };
    const e = errorOf(() => evaluationRows(split, { record: configuredDataRecord(split, other), baseDir: dir }));
    expect(e.kind).toBe('integrity');
  });
});
