/**
 * The one CSV contract (pipeline/core/data/csv.ts) in the reader of whole files and the
 * streamed one: a header with every column named once, every row as wide as the header,
 * UTF-8 unless Latin-1 is asked for — each refusal naming the source and the line — and
 * tables that read every cell back as it was written.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsvBytes, firstInvalidUtf8 } from '../../pipeline/core/data/csv.ts';
import { openCsvStream, readCsvChunks } from '../../pipeline/core/data/csv-stream.ts';
import { RawColumn } from '../../pipeline/core/data/table.ts';
import { MlopsError } from '../../pipeline/core/common/errors.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MlopsError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

async function streamed(
  chunks: Buffer[],
  opts = {},
): Promise<{ header: string[]; rows: { line: number; fields: string[] }[] }> {
  const csv = await openCsvStream(Readable.from(chunks), 'upload.csv', opts);
  if (!csv) throw new Error('empty');
  const rows = [];
  for (let r = await csv.next(); r !== null; r = await csv.next()) rows.push(r);
  return { header: csv.header, rows };
}

async function streamRefusal(chunks: Buffer[], opts = {}): Promise<string> {
  try {
    await streamed(chunks, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(MlopsError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('the header', () => {
  it('refuses a column named twice or not at all, naming the line and columns', () => {
    expect(refusal(() => parseCsvBytes(bytes('a,b,a\n1,2,3\n'), 'f.csv'))).toBe(
      'f.csv: line 1: column "a" appears twice in the header (columns 1 and 3)',
    );
    expect(refusal(() => parseCsvBytes(bytes('a,,c\n1,2,3\n'), 'f.csv'))).toBe(
      'f.csv: line 1: column 2 of the header has no name',
    );
    expect(refusal(() => parseCsvBytes(bytes('\n\na, a \n1,2\n'), 'f.csv'))).toMatch(/^f\.csv: line 3: column "a"/);
  });

  it('is checked the same way in a stream', async () => {
    expect(await streamRefusal([bytes('Age,Income,Age\n1,2,3\n')])).toBe(
      'upload.csv: line 1: column "Age" appears twice in the header (columns 1 and 3)',
    );
  });
});

describe('rows', () => {
  it('refuses a short or a long row, naming its line (blank lines and quoted line breaks counted)', () => {
    expect(refusal(() => parseCsvBytes(bytes('a,b\n1,2\n3\n'), 'f.csv'))).toBe(
      'f.csv: line 3: 1 field, but the header has 2 (a short row)',
    );
    expect(refusal(() => parseCsvBytes(bytes('a,b\n1,2\n\n"x\ny",2\n3,4,99\n'), 'f.csv'))).toBe(
      'f.csv: line 6: 3 fields, but the header has 2 (extra fields)',
    );
  });

  it('keeps the line of every row for later messages', () => {
    const t = parseCsvBytes(bytes('a,b\r\n1,2\r\n\r\n"x\r\ny",2\r\n3,4\r\n"p\r\n\r\nq",5\r\n6,7\r\n'), 'f.csv');
    expect(Array.from(t.lines)).toEqual([2, 4, 6, 7, 10]);
    expect(t.columns.get('a')!.get(1)).toBe('x\r\ny');
    const u = parseCsvBytes(bytes('a,b\n"p\n\nq",5\n\n6,7\n'), 'f.csv');
    expect(Array.from(u.lines)).toEqual([2, 6]);
  });

  it('a streamed file refuses a short row with its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csv-contract-'));
    const file = join(dir, 'short.csv');
    writeFileSync(file, 'a,b\n' + '1,2\n'.repeat(7000) + '5\n');
    const read = async (): Promise<void> => {
      for await (const chunk of readCsvChunks(file)) void chunk;
    };
    await expect(read()).rejects.toThrow(`${file}: line 7002: 1 field, but the header has 2 (a short row)`);
  });
});

describe('encoding', () => {
  const text = 'Status,Home\ngood,rent\nbad,parénts\ngood,rént\n';

  it('refuses bytes that are not UTF-8 with the line and byte, and says how to read Latin-1', () => {
    const m = refusal(() => parseCsvBytes(latin1(text), 'loans.csv'));
    expect(m).toBe(
      'loans.csv: line 3: not valid UTF-8 (byte 0xE9 at byte 30); if the text is Latin-1, read it with --encoding latin1 (or "encoding": "latin1" in the data section of the config)',
    );
  });

  it('reads Latin-1 when asked, and UTF-8 by default', () => {
    const t = parseCsvBytes(latin1(text), 'loans.csv', { encoding: 'latin1' });
    expect(t.columns.get('Home')!.toArray()).toEqual(['rent', 'parénts', 'rént']);
    expect(parseCsvBytes(bytes(text), 'loans.csv').columns.get('Home')!.toArray()).toEqual(['rent', 'parénts', 'rént']);
  });

  it('a stream finds the bad byte even when a chunk boundary splits the characters around it', async () => {
    const good = bytes('a,b\n' + 'é,1\n'.repeat(50));
    const bad = Buffer.concat([good, bytes('x,'), Buffer.from([0xc3]), bytes(',\n')]);
    // Every split point, so some cut inside a two-byte character.
    for (const cut of [1, 5, 6, 7, good.length - 1, good.length + 2]) {
      const m = await streamRefusal([bad.subarray(0, cut), bad.subarray(cut)]);
      expect(m, `cut at ${cut}`).toMatch(/^upload\.csv: line 52: not valid UTF-8/);
    }
    const ok = await streamed([good.subarray(0, 5), good.subarray(5)]);
    expect(ok.rows).toHaveLength(50);
    expect(ok.rows[49]).toEqual({ line: 51, fields: ['é', '1'] });
  });

  it('locates the first bad sequence like a strict decoder would refuse it', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(b);
        } catch {
          valid = false;
        }
        const at = firstInvalidUtf8(b);
        expect(at === -1).toBe(valid);
        if (!valid) new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, at));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});

describe('tables', () => {
  it('read every cell back as written, whatever it looks like', () => {
    const cell = fc.oneof(
      fc.constant(null),
      fc.integer().map(String),
      fc.double({ noNaN: true }).map(String),
      fc.constantFrom('0042', '1e3', '-0', '1.50', 'Infinity', '.5', '0x10', '__proto__', 'constructor'),
      fc.string({ minLength: 1 }),
    );
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 60 }), (values) => {
        const col = RawColumn.from(values);
        expect(col.toArray()).toEqual(values);
        values.forEach((v, i) => expect(col.get(i)).toBe(v));
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('a column of plain numbers is handed on without a copy; any other text prevents it', () => {
    expect(RawColumn.from(['1', null, '2.5']).plainNumbers()).toEqual(Float64Array.from([1, NaN, 2.5]));
    expect(RawColumn.from(['1', 'x']).plainNumbers()).toBeNull();
    expect(RawColumn.from(['1', '1e3']).plainNumbers()).toBeNull();
  });
});
