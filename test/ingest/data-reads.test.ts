/**
 * How often ingestion reads the data set: once to parse it and once to copy it into the
 * staged new version, whose digest is taken while copying. Hashing the staged file or the
 * committed data set again would read it twice more, which at millions of rows is most of
 * an ingest's I/O. node:fs is wrapped to count the bytes read from the data set's files (helpers/fs-reads.ts).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (original) => (await import('../helpers/fs-reads.ts')).countingFs(await original()));

const { loadConfig } = await import('../../pipeline/core/config/load.ts');
const { ingest } = await import('../../pipeline/gitops/ingest/ingest.ts');
const { tempProject } = await import('../helpers/cli.ts');
const { reads } = await import('../helpers/fs-reads.ts');

describe('ingest reads the data set', () => {
  it('twice: to parse it and to copy it, the new version hashed on the way', () => {
    const dir = tempProject({
      model_name: 'credit-default',
      data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
      engine: { name: 'logistic', params: {} },
    });
    const incoming = join(dir, 'data', 'incoming');
    mkdirSync(incoming, { recursive: true });
    writeFileSync(
      join(incoming, 'batch.csv'),
      'Status,Seniority,Home,Time,Age,Marital,Records,Job,Expenses,Income,Assets,Debt,Amount,Price\n' +
        'good,3,rent,48,31,single,no,fixed,50,140,0,0,1100,1400\n',
    );
    const data = join(dir, 'data', 'credit_data.csv');
    const { config, baseDir } = loadConfig(null, dir);
    // The data set, and the new version staged beside it under its name.
    reads.match = (name) => name.includes(basename(data));
    reads.bytes = 0;
    const r = ingest({ config, baseDir });
    reads.match = null;

    const after = readFileSync(data);
    expect(r.files[0].status).toBe('ingested');
    expect(r.version_after).toBe(createHash('sha256').update(after).digest('hex'));
    expect(r.files[0].entry.data.version_after).toBe(r.version_after);
    // Parsing reads the old version whole, copying reads it again; finding the line ending
    // reads its first line and last byte. Nothing reads the new version back.
    const size = statSync(data).size;
    expect(reads.bytes).toBeGreaterThanOrEqual(2 * (size - 60));
    expect(reads.bytes).toBeLessThan(2 * size + (1 << 16) + 1);
  });
});
