import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { loadConfig } from '../../pipeline/core/config/load.ts';
import { ingest, type IngestStep } from '../../pipeline/gitops/ingest/ingest.ts';
import { readIngestionLog } from '../../pipeline/gitops/ingest/log.ts';
import { train } from '../../pipeline/core/training/train.ts';
import { runCli, tempProject } from '../helpers/cli.ts';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Every file under `dir` (relative path → sha256), to prove a re-run changes nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = sha(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const HEADER = 'Status,Seniority,Home,Time,Age,Marital,Records,Job,Expenses,Income,Assets,Debt,Amount,Price';
/** Row 2 of data/credit_data.csv, verbatim: a duplicate of the data set. */
const EXISTING = 'good,9,rent,60,30,married,no,freelance,73,129,0,0,800,846';
const MIXED = [
  HEADER,
  'good,3,rent,48,31,single,no,fixed,50,140,0,0,1100,1400', // line 2 accepted
  'bad,1,owner,60,44,married,yes,partime,75,90,2000,0,1500,1900', // 3 accepted
  'good,12,priv,36,52,married,no,fixed,60,,4000,0,700,1200', // 4 accepted (missing Income is allowed)
  'good,3,rent,48,31,single,no,fixed,50,140.0,0,0,1100,1400', // 5 duplicate of line 2 (140.0 = 140)
  EXISTING.replace('good,9', 'good,9.0'), // 6 duplicate of the data set
  'good,4,rent,48,31,single,no,fixed,50,lots,0,0,1100,1400', // 7 rejected: Income not a number
  'maybe,4,rent,48,31,single,no,fixed,50,100,0,0,1100,1400', // 8 rejected: unknown label
  'good,4,castle,48,31,single,no,fixed,50,100,0,0,1100,1400', // 9 rejected: unknown category
  'good,4,rent,48', // 10 rejected: wrong field count
].join('\n');

function project(): { dir: string; incoming: string } {
  const dir = tempProject({
    model_name: 'credit-default',
    data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
    engine: { name: 'logistic', params: {} },
  });
  const incoming = join(dir, 'data', 'incoming');
  mkdirSync(incoming, { recursive: true });
  return { dir, incoming };
}

describe('mlops ingest', () => {
  it('accounts for every row: accepted + rejected + duplicates = rows read', () => {
    const { dir, incoming } = project();
    writeFileSync(join(incoming, 'batch-01.csv'), MIXED);
    const dataPath = join(dir, 'data', 'credit_data.csv');
    const before = readFileSync(dataPath);
    const { config, baseDir } = loadConfig(null, dir);
    const r = ingest({ config, baseDir, now: () => new Date('2026-01-02T03:04:05Z') });

    expect(r.files).toHaveLength(1);
    const e = r.files[0].entry;
    expect(e).toMatchObject({
      file: 'batch-01.csv',
      status: 'ingested',
      rows_read: 9,
      accepted: 3,
      rejected: 4,
      duplicates: 2,
      duplicates_of_data: 1,
      duplicates_in_file: 1,
    });
    expect(e.reasons).toEqual({
      'Income: not a number': 1,
      'Status: unknown label': 1,
      'Home: unknown category': 1,
      'wrong number of fields': 1,
    });
    expect(e.sha256).toBe(sha(MIXED));

    // The data set: old bytes untouched, three rows appended, version = sha256 of the bytes.
    const after = readFileSync(dataPath);
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    const added = after.subarray(before.length).toString('utf8').trim().split('\n');
    expect(added).toEqual([MIXED.split('\n')[1], MIXED.split('\n')[2], MIXED.split('\n')[3]]);
    expect(r.version_before).toBe(sha(before));
    expect(r.version_after).toBe(sha(after));
    expect(e.data).toEqual({
      path: 'data/credit_data.csv',
      version_before: sha(before),
      version_after: sha(after),
      rows_before: 4454,
      rows_after: 4457,
    });
    expect(r.rows_after).toBe(4457);

    // Source moved, rejected rows quarantined with line and reason, log written.
    expect(existsSync(join(incoming, 'batch-01.csv'))).toBe(false);
    expect(readFileSync(join(dir, 'data', 'processed', 'batch-01.csv'), 'utf8')).toBe(MIXED);
    expect(e.processed_to).toBe('data/processed/batch-01.csv');
    const q = parse(readFileSync(join(dir, e.quarantine_file!), 'utf8'), { relax_column_count: true }) as string[][];
    expect(q[0].slice(0, 3)).toEqual(['_line', '_reason', 'Status']);
    expect(q.slice(1).map((row) => row[0])).toEqual(['7', '8', '9', '10']);
    expect(q[1][1]).toContain('column "Income": "lots" is not a number');
    expect(q[2][1]).toContain('"maybe", expected "bad" or "good"');
    expect(q[3][1]).toContain('"castle" is not a known category');
    expect(q[4][1]).toBe('4 fields, the header has 14');
    const log = readIngestionLog(join(dir, 'data', 'ingestion-log.jsonl'));
    expect(log).toHaveLength(1);
    expect(log[0]).toEqual(e);
    expect(log[0].time).toBe('2026-01-02T03:04:05.000Z');
  });

  it('is idempotent: a re-run changes nothing, a re-dropped file is recognised', () => {
    const { dir, incoming } = project();
    writeFileSync(join(incoming, 'batch-01.csv'), MIXED);
    const { config, baseDir } = loadConfig(null, dir);
    const first = ingest({ config, baseDir });
    const snap = snapshot(dir);
    const again = ingest({ config, baseDir });
    expect(again.files).toEqual([]);
    expect(again.version_after).toBe(first.version_after);
    expect(snapshot(dir)).toEqual(snap);

    // The same export dropped again: no new rows, no new log line, the copy is cleared away.
    writeFileSync(join(incoming, 'batch-01.csv'), MIXED);
    const third = ingest({ config, baseDir });
    expect(third.files.map((f) => f.status)).toEqual(['already-ingested']);
    expect(snapshot(dir)).toEqual(snap);
  });

  const steps: IngestStep[] = [
    'quarantine-written',
    'data-staged',
    'journal-written',
    'data-committed',
    'log-appended',
    'source-moved',
  ];
  it.each(steps)('a crash after "%s" leaves a consistent state that the next run completes', (step) => {
    const clean = project();
    writeFileSync(join(clean.incoming, 'batch-01.csv'), MIXED);
    writeFileSync(
      join(clean.incoming, 'batch-02.csv'),
      [HEADER, 'bad,2,rent,36,23,single,no,partime,45,80,0,0,900,1000'].join('\n'),
    );
    const cfg = loadConfig(null, clean.dir);
    const reference = ingest({ ...cfg, now: () => new Date('2026-01-01T00:00:00Z') });
    const want = snapshot(clean.dir);

    const { dir, incoming } = project();
    writeFileSync(join(incoming, 'batch-01.csv'), MIXED);
    writeFileSync(
      join(incoming, 'batch-02.csv'),
      [HEADER, 'bad,2,rent,36,23,single,no,partime,45,80,0,0,900,1000'].join('\n'),
    );
    const { config, baseDir } = loadConfig(null, dir);
    const dataPath = join(dir, 'data', 'credit_data.csv');
    const v0 = sha(readFileSync(dataPath));
    expect(() =>
      ingest({
        config,
        baseDir,
        now: () => new Date('2026-01-01T00:00:00Z'),
        fault: (s, file) => {
          if (s === step && file === 'batch-01.csv') throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    // Right after the crash: the data set is either the old version or the new one, whole.
    const v = sha(readFileSync(dataPath));
    const v1 = reference.files[0].entry.data.version_after;
    expect([v0, v1]).toContain(v);
    const logged = readIngestionLog(join(dir, 'data', 'ingestion-log.jsonl'));
    expect(logged.length).toBeLessThanOrEqual(1);
    if (logged.length === 1) expect(v).toBe(v1);

    const r = ingest({ config, baseDir, now: () => new Date('2026-01-01T00:00:00Z') });
    if (step === 'quarantine-written' || step === 'data-staged') expect(r.recovered).toBeNull();
    else expect(r.recovered).toMatch(/interrupted ingestion of batch-01\.csv/);
    expect(snapshot(dir)).toEqual(want);
    expect(r.version_after).toBe(reference.version_after);
  });

  it('skips rows whose configured ID is already known, and quarantines unreadable files', () => {
    const dir = tempProject({
      data: { path: 'data/loans.csv', target: 'y', positive: 'bad', id_columns: ['loan_id'] },
      engine: { name: 'logistic' },
    });
    const rows = ['loan_id,y,amount,purpose'];
    for (let i = 0; i < 40; i++)
      rows.push(`L${i},${i % 3 === 0 ? 'bad' : 'good'},${1000 + i * 10},${i % 2 ? 'car' : 'home'}`);
    writeFileSync(join(dir, 'data', 'loans.csv'), rows.join('\n') + '\n');
    mkdirSync(join(dir, 'data', 'incoming'), { recursive: true });
    // L5 exists (other content: still a duplicate by ID); L100 twice; L101 lacks nothing.
    writeFileSync(
      join(dir, 'data', 'incoming', 'a.csv'),
      'loan_id,y,amount,purpose\nL5,good,99,car\nL100,bad,500,car\nL100,good,600,home\n,good,700,car\nL101,good,800,home\n',
    );
    writeFileSync(join(dir, 'data', 'incoming', 'b.csv'), 'loan_id,y,amount\n"L7,bad,1\n');
    const { config, baseDir } = loadConfig(null, dir);
    const r = ingest({ config, baseDir });
    const [a, b] = r.files.map((f) => f.entry);
    expect(a).toMatchObject({
      rows_read: 5,
      accepted: 2,
      rejected: 1,
      duplicates: 2,
      duplicates_of_data: 1,
      duplicates_in_file: 1,
    });
    expect(a.reasons).toEqual({ 'loan_id: missing ID': 1 });
    expect(
      readFileSync(join(dir, 'data', 'loans.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(-2),
    ).toEqual(['L100,bad,500,car', 'L101,good,800,home']);
    expect(b.status).toBe('unreadable');
    expect(b.error).toMatch(/malformed CSV/);
    expect(existsSync(join(dir, b.processed_to!))).toBe(true);
    expect(b.processed_to).toMatch(/^data\/quarantine\/b\.[0-9a-f]{12}\.unreadable\.csv$/);
  });

  it('maps columns by name: another order is fine, extra columns are ignored and logged', () => {
    const { dir, incoming } = project();
    const cols = HEADER.split(',');
    const order = [...cols].reverse();
    const row = 'good,5,owner,24,41,married,no,fixed,45,210,5000,0,950,1300'.split(',');
    const at = new Map(cols.map((c, i) => [c, row[i]]));
    writeFileSync(
      join(incoming, 'reordered.csv'),
      [[...order, 'branch'].join(','), [...order.map((c) => at.get(c)), 'Leeds'].join(',')].join('\r\n') + '\r\n',
    );
    const { config, baseDir } = loadConfig(null, dir);
    const e = ingest({ config, baseDir }).files[0].entry;
    expect(e).toMatchObject({ rows_read: 1, accepted: 1, ignored_columns: ['branch'] });
    expect(
      readFileSync(join(dir, 'data', 'credit_data.csv'), 'utf8')
        .trimEnd()
        .split('\n')
        .at(-1),
    ).toBe(row.join(','));
  });

  it('appends to a CRLF data set without a final line break: one CRLF between, CRLF rows, the version of the new bytes', () => {
    const { dir, incoming } = project();
    const dataPath = join(dir, 'data', 'credit_data.csv');
    const lines = readFileSync(dataPath, 'utf8').trimEnd().split('\n');
    const before = lines.join('\r\n');
    writeFileSync(dataPath, before);
    const row = 'good,5,owner,24,41,married,no,fixed,45,210,5000,0,950,1300';
    const row2 = 'bad,2,rent,36,29,single,no,fixed,55,90,0,0,1000,1200';
    writeFileSync(join(incoming, 'crlf.csv'), [HEADER, row, row2].join('\n') + '\n');
    const { config, baseDir } = loadConfig(null, dir);
    const r = ingest({ config, baseDir });
    const after = readFileSync(dataPath);
    expect(after.toString('utf8')).toBe(`${before}\r\n${row}\r\n${row2}\r\n`);
    expect(r.version_after).toBe(sha(after));
    expect(r.files[0].entry.data).toMatchObject({ version_after: sha(after), rows_after: lines.length + 1 });
  });

  it('a second file in the same run is checked against the rows the first one added', () => {
    const { dir, incoming } = project();
    const row = 'good,5,owner,24,41,married,no,fixed,45,210,5000,0,950,1300';
    writeFileSync(join(incoming, 'a.csv'), [HEADER, row].join('\n') + '\n');
    writeFileSync(join(incoming, 'b.csv'), [HEADER, row.replace(',210,', ',210.0,'), EXISTING].join('\n') + '\n');
    const { config, baseDir } = loadConfig(null, dir);
    const r = ingest({ config, baseDir });
    expect(r.files.map((f) => [f.file, f.entry.accepted, f.entry.duplicates_of_data])).toEqual([
      ['a.csv', 1, 0],
      ['b.csv', 0, 2],
    ]);
    expect(r.rows_after).toBe(r.rows_before + 1);
  });

  it('a file lacking a column has every row rejected with that reason', () => {
    const { dir, incoming } = project();
    writeFileSync(join(incoming, 'short.csv'), 'Status,Seniority\ngood,1\nbad,2\n');
    const { config, baseDir } = loadConfig(null, dir);
    const e = ingest({ config, baseDir }).files[0].entry;
    expect(e).toMatchObject({ rows_read: 2, accepted: 0, rejected: 2, duplicates: 0 });
    expect(Object.keys(e.reasons)[0]).toMatch(/^file lacks columns Home, Time/);
    expect(e.data.version_after).toBe(e.data.version_before);
  });

  it('the CLI ingests, and `mlops run` trains on the new data version', async () => {
    const { dir, incoming } = project();
    writeFileSync(join(incoming, 'batch-01.csv'), MIXED);
    const res = await runCli(['ingest', '--json'], dir);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out) as { version_after: string; files: { entry: { accepted: number } }[] };
    expect(out.files[0].entry.accepted).toBe(3);
    const { config, baseDir } = loadConfig(null, dir);
    const t = await train({ config, baseDir });
    expect(t.data.sha256).toBe(out.version_after);
    expect(t.data.rows).toBe(4457);
    const text = await runCli(['ingest'], dir);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/nothing to ingest/);
  });
});
