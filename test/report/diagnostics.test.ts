import { describe, expect, it } from 'vitest';
import {
  dataSummary,
  dependencyReport,
  parseOutdated,
  runEnvironment,
} from '../../pipeline/gitops/report/diagnostics.ts';
import type { DataSchema } from '../../pipeline/core/data/schema.ts';
import { percentileOf, reasonText } from '../../pipeline/core/explain/reasons.ts';
import type { CategoricalColumn, NumericColumn } from '../../pipeline/core/data/schema.ts';

const node = process.execPath;

describe('dependency report', () => {
  it('parses npm outdated JSON even though npm exits 1 when something is outdated', async () => {
    const json = JSON.stringify({
      koa: { current: '3.0.0', wanted: '3.3.0', latest: '4.0.0' },
      ajv: { current: '8.1.0', wanted: '8.20.0', latest: '8.20.0' },
    });
    const r = await dependencyReport({
      command: [node, '-e', `process.stdout.write(${JSON.stringify(json)}); process.exit(1)`],
    });
    expect(r.status).toBe('outdated');
    expect(r.outdated).toEqual([
      { name: 'ajv', current: '8.1.0', wanted: '8.20.0', latest: '8.20.0' },
      { name: 'koa', current: '3.0.0', wanted: '3.3.0', latest: '4.0.0' },
    ]);
    expect(r.message).toBe('2 packages are behind the newest release.');
    const none = await dependencyReport({ command: [node, '-e', 'process.stdout.write("{}")'] });
    expect(none.status).toBe('up-to-date');
  });

  it('says plainly when the registry cannot be reached, or does not answer in time', async () => {
    const offline = await dependencyReport({
      command: [
        node,
        '-e',
        'console.error("npm error code ENOTFOUND\\nnpm error network request to https://registry.npmjs.org/koa failed"); process.exit(1)',
      ],
    });
    expect(offline.status).toBe('unreachable');
    expect(offline.message).toMatch(/registry cannot be reached/);
    const slow = await dependencyReport({ command: [node, '-e', 'setTimeout(() => {}, 10000)'], timeoutMs: 300 });
    expect(slow.status).toBe('unreachable');
    expect(slow.message).toMatch(/did not answer within 0\.3 s/);
    const missing = await dependencyReport({ command: ['no-such-command-here'] });
    expect(missing.status).toBe('error');
    expect(() => parseOutdated('{"error": {"code": "E404"}}')).toThrow(/E404/);
  });
});

describe('data summary and environment', () => {
  it('summarises numeric and categorical columns from the schema', () => {
    const schema: DataSchema = {
      target: 'Status',
      positive: 'bad',
      negative: 'good',
      ids: [],
      dropped: [],
      rows: 200,
      positive_rate: 0.3,
      features: [
        {
          name: 'Income',
          kind: 'numeric',
          integer: true,
          missing: 20,
          min: 6,
          max: 959,
          mean: 141.5,
          sd: 80.2,
          median: 125,
        },
        { name: 'Home', kind: 'categorical', missing: 0, categories: ['owner', 'rent'], counts: [150, 50] },
      ],
    };
    expect(dataSummary(schema)).toEqual([
      { column: 'Income', type: 'numeric', missing_pct: 10, mean: 141.5, sd: 80.2, min: 6, max: 959, median: 125 },
      {
        column: 'Home',
        type: 'categorical',
        missing_pct: 0,
        categories: 2,
        top: [
          { category: 'owner', share: 0.75 },
          { category: 'rent', share: 0.25 },
        ],
      },
    ]);
    const env = runEnvironment();
    expect(env.node).toBe(process.versions.node);
    expect(env.packages.vega).toMatch(/^\d+\.\d+\.\d+/);
    expect(env.packages['csv-parse']).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('reason codes', () => {
  const income: NumericColumn = {
    name: 'Income',
    kind: 'numeric',
    integer: true,
    missing: 0,
    min: 6,
    max: 959,
    mean: 141,
    sd: 80,
    median: 125,
  };
  const records: CategoricalColumn = {
    name: 'Records',
    kind: 'categorical',
    missing: 0,
    categories: ['no', 'yes'],
    counts: [83, 17],
  };
  const home: CategoricalColumn = {
    name: 'Home',
    kind: 'categorical',
    missing: 0,
    categories: ['owner', 'rent', 'other'],
    counts: [50, 30, 20],
  };

  it('words numbers against the applicants (percentile when a reference exists, else the median)', () => {
    const ref = new Map([['Income', Float64Array.from({ length: 100 }, (_, i) => i + 1)]]);
    expect(percentileOf(ref.get('Income')!, 15.5)).toBe(15);
    expect(reasonText(income, 15.5, ref)).toBe('Income of 15.5 is low compared with most applicants (bottom 15 %)');
    expect(reasonText(income, 95, ref)).toBe('Income of 95 is high compared with most applicants (top 6 %)');
    expect(reasonText(income, 80)).toBe("Income of 80 is below the typical applicant's 125 (median)");
    expect(reasonText(income, null)).toBe('Income is not given (missing), which in this model goes with more defaults');
  });

  it('words categories with their share of applicants', () => {
    expect(reasonText(records, 'yes')).toBe('Has records on file (Records = yes; 17 % of applicants)');
    expect(reasonText(home, 'rent')).toBe('Home is "rent" (30 % of applicants), a group with more defaults');
    expect(reasonText(home, 'boat')).toBe('Home is "boat", a value not seen in the training data');
  });
});
