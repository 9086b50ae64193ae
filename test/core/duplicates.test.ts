import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../helpers/cli.ts';
import { duplicateCheck, rowHashes } from '../../pipeline/core/data/duplicates.ts';
import { RawColumn, type RawTable } from '../../pipeline/core/data/table.ts';

function table(columns: Record<string, (string | null)[]>): RawTable {
  const header = Object.keys(columns);
  const rows = columns[header[0]].length;
  return {
    file: 't.csv',
    header,
    rows,
    columns: new Map(header.map((h) => [h, RawColumn.from(columns[h])])),
    lines: Uint32Array.from({ length: rows }, (_, i) => i + 2),
  };
}

describe('duplicate rows', () => {
  it('hashes equal rows equal and tells cells apart (numbers, text, missing, boundaries)', () => {
    const t = table({ a: ['1', '1', 'ab', 'a', null, '1.0'], b: ['x', 'x', 'c', 'bc', 'x', 'x'] });
    const h = rowHashes(t, ['a', 'b']);
    expect(h[0]).toBe(h[1]);
    expect(new Set(h).size).toBe(5); // "ab|c" ≠ "a|bc", missing ≠ "1", "1.0" ≠ "1"
    expect(duplicateCheck(h, [0, 2, 3], [h[1], h[4]])).toEqual({
      duplicate_rows: 1,
      test_rows: 2,
      test_rows_in_train: 1,
    });
  });

  it('train warns with the count and the test rows copied from training rows; metrics.json and the card keep it', async () => {
    const dir = tempProject();
    const text = readFileSync(join(dir, 'data/credit_data.csv'), 'utf8').trim().split('\n');
    const body = text.slice(1);
    writeFileSync(join(dir, 'repeated.csv'), [text[0], ...body, ...body, ...body].join('\n') + '\n');
    const expected = 3 * body.length - new Set(body).size;
    const r = await runCli(
      ['run', '--quiet', '--no-promote', '--engine', 'logistic', '--data', 'repeated.csv', '--out', 'runs/rep'],
      dir,
    );
    expect(r.code, r.err).toBe(0);
    const metrics = JSON.parse(readFileSync(join(dir, 'runs/rep/metrics.json'), 'utf8'));
    expect(metrics.data_quality.duplicate_rows).toBe(expected);
    expect(metrics.data_quality.test_rows).toBe(metrics.rows.test);
    expect(metrics.data_quality.test_rows_in_train).toBeGreaterThan(metrics.rows.test / 2);
    const line = `repeated.csv has ${expected.toLocaleString('en-US')} duplicate rows (`;
    expect(r.err).toContain(`warning: ${line}`);
    expect(r.err).toMatch(/test rows \([\d.]+ %\) are copies of training rows, so the test metrics overstate/);
    const card = readFileSync(join(dir, 'runs/rep/README.md'), 'utf8');
    expect(card).toContain(`> ⚠ ${line}`);

    const clean = await runCli(['train', '--quiet', '--engine', 'logistic', '--out', 'runs/clean'], dir);
    expect(clean.code, clean.err).toBe(0);
    const own = JSON.parse(readFileSync(join(dir, 'runs/clean/metrics.json'), 'utf8')).data_quality;
    expect(own.duplicate_rows).toBe(body.length - new Set(body).size);
  });
});
