/** The pieces under the readers, without a server: COPY text parsing, typed columns, URIs, the digest. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CopyTextParser, unescapeCopy, type CopyKind } from '../../pipeline/core/data/copy-text.ts';
import { referenceParse } from './copy-text-reference.ts';
import { typedTable } from '../../pipeline/core/data/typed-columns.ts';
import type { RawColumn } from '../../pipeline/core/data/table.ts';
import { parseCsvBytes } from '../../pipeline/core/data/csv.ts';

const parseCsvText = (text: string, where: string) => parseCsvBytes(Buffer.from(text), where);
import { diffRows, rowsDigest } from '../../pipeline/core/data/rows-digest.ts';
import { inferSchema } from '../../pipeline/core/data/schema.ts';
import { toDataset } from '../../pipeline/core/data/dataset.ts';
import { buildSelect, hasTopLevelOrderBy, redact } from '../../pipeline/core/data/postgres.ts';
import { parseSourceUri } from '../../pipeline/core/data/source.ts';

describe('COPY text parsing', () => {
  it('splits rows across chunk boundaries, reads nulls, numbers, booleans and escapes', () => {
    const p = new CopyTextParser(['number', 'text', 'bool'], ['n', 's', 'b'], [0], 't');
    const text = Buffer.from('1\tplain\tt\n2.5\ttab\\there\\\\ \tf\n\\N\t NA \t\\N\n3\t\\N\tt\n');
    for (let i = 0; i < text.length; i += 5) p.push(text.subarray(i, i + 5));
    const { numbers, text: cols } = p.finish();
    expect(p.rows).toBe(4);
    expect(Array.from(numbers.get('n')!)).toEqual([1, 2.5, NaN, 3]);
    expect(cols.get('s')!.toArray()).toEqual(['plain', 'tab\there\\', null, null]);
    expect(cols.get('b')!.toArray()).toEqual(['true', 'false', null, 'true']);
    expect(unescapeCopy('a\\nb\\101\\x41')).toBe('a\nbAA');
  });

  it('refuses a repeated key, a cut stream, a short row and an infinite number', () => {
    const dup = new CopyTextParser(['number'], ['id'], [0], 't');
    expect(() => dup.push(Buffer.from('1\n1\n'))).toThrow(/not unique: row 2 repeats row 1/);
    const cut = new CopyTextParser(['number', 'text'], ['a', 'b'], [], 't');
    cut.push(Buffer.from('1\tx\n2\t'));
    expect(() => cut.finish()).toThrow(/ended in the middle of row 2/);
    const short = new CopyTextParser(['number', 'text'], ['a', 'b'], [], 't');
    expect(() => short.push(Buffer.from('1\n'))).toThrow(/row 1 has 1 fields, expected 2/);
    const inf = new CopyTextParser(['number'], ['a'], [], 't');
    expect(() => inf.push(Buffer.from('Infinity\n'))).toThrow(/not a finite number/);
  });
});

describe('typed columns', () => {
  it('give the same schema, Dataset and digest as the text of the same rows', () => {
    const csv = parseCsvText('y,a,b\nbad,1,x\ngood,2.5,\ngood,,y\nbad,4,x\n', 'mem.csv');
    const typed = typedTable(
      'mem',
      ['y', 'a', 'b'],
      4,
      new Map([
        ['y', csv.columns.get('y')!.toArray()],
        ['b', csv.columns.get('b')!.toArray()],
      ]),
      new Map([['a', Float64Array.from([1, 2.5, NaN, 4])]]),
    );
    expect(typed.columns.get('a')!.plainNumbers()).toBeInstanceOf(Float64Array);
    expect([...typed.columns.keys()]).toEqual(['y', 'a', 'b']);
    expect(typed.columns.get('a')!.toArray()).toEqual(['1', '2.5', null, '4']);
    expect(rowsDigest(typed)).toBe(rowsDigest(csv));
    const opts = { target: 'y', positive: 'bad' };
    expect(inferSchema(typed, opts)).toEqual(inferSchema(csv, opts));
    const schema = inferSchema(csv, opts);
    const ds = (t: typeof csv | typeof typed) => toDataset(t, schema, { requireTarget: true });
    expect(ds(typed).numeric).toEqual(ds(csv).numeric);
    expect(ds(typed).categorical).toEqual(ds(csv).categorical);
    expect(ds(typed).y).toEqual(ds(csv).y);
  });

  it('a CSV column of numbers written as 178.0 has the digest of the same numbers from a typed source', () => {
    const csv = parseCsvText('y,a\nbad,178.0\ngood,1e3\ngood,\n', 'mem.csv');
    const typed = typedTable(
      'mem',
      ['y', 'a'],
      3,
      new Map([['y', ['bad', 'good', 'good']]]),
      new Map([['a', Float64Array.from([178, 1000, NaN])]]),
    );
    expect(rowsDigest(csv)).toBe(rowsDigest(typed));
    // A column with text among its values stays text: "178.0" and "178" are then different values.
    const mixed = parseCsvText('y,a\nbad,178.0\ngood,x\n', 'mem.csv');
    const other = parseCsvText('y,a\nbad,178\ngood,x\n', 'mem.csv');
    expect(rowsDigest(mixed)).not.toBe(rowsDigest(other));
  });

  it('diffRows counts added, removed and changed rows by key, or whole rows without one', () => {
    const a = parseCsvText('id,v\n1,a\n2,b\n3,c\n', 'a');
    const b = parseCsvText('id,v\n1,a\n2,B\n4,d\n', 'b');
    expect(diffRows(a, b, ['id'])).toMatchObject({ added: 1, removed: 1, changed: 1, unchanged: 1 });
    expect(diffRows(a, b, null)).toMatchObject({ added: 2, removed: 2, changed: 0, unchanged: 1, matched_by: null });
  });
});

describe('source URIs and SQL', () => {
  it('parses --data URIs', () => {
    expect(parseSourceUri('loans.csv')).toEqual({ type: 'csv', path: 'loans.csv' });
    expect(parseSourceUri('x/loans.parquet')).toEqual({ type: 'parquet', path: 'x/loans.parquet' });
    expect(parseSourceUri('parquet:lake/')).toEqual({ type: 'parquet', path: 'lake/' });
    expect(parseSourceUri('data/t.snapshot.json')).toEqual({ type: 'snapshot', path: 'data/t.snapshot.json' });
    expect(parseSourceUri('postgres:app.loans?key=id&columns=a,b')).toEqual({
      type: 'postgres',
      table: 'app.loans',
      key: ['id'],
      columns: ['a', 'b'],
    });
    expect(parseSourceUri('postgres:WITH x AS (SELECT 1) SELECT * FROM x ORDER BY 1')).toEqual({
      type: 'postgres',
      query: 'WITH x AS (SELECT 1) SELECT * FROM x ORDER BY 1',
    });
    expect(() => parseSourceUri('postgres:loans?sort=id')).toThrow(/unknown option "sort"/);
  });

  it('orders every read: key, top-level ORDER BY, or refusal', () => {
    expect(hasTopLevelOrderBy('SELECT * FROM (SELECT * FROM t ORDER BY a) s')).toBe(false);
    expect(hasTopLevelOrderBy("SELECT 'order by' FROM t -- order by\n")).toBe(false);
    expect(hasTopLevelOrderBy('SELECT * FROM t ORDER BY id')).toBe(true);
    expect(buildSelect({ type: 'postgres', table: 'app.loans', key: ['id'], columns: ['a'] }).sql).toBe(
      'SELECT "a", "id" FROM "app"."loans" ORDER BY "id"',
    );
    expect(buildSelect({ type: 'postgres', table: 'loans', key: ['id'] }, { column: 'id', value: '7' })).toMatchObject({
      sql: 'SELECT * FROM "loans" WHERE "id" > $1 ORDER BY "id"',
      params: ['7'],
    });
    expect(buildSelect({ type: 'postgres', query: 'SELECT * FROM t', key: ['k'] }).sql).toBe(
      'SELECT * FROM (SELECT * FROM t) AS source ORDER BY "k"',
    );
    expect(() => buildSelect({ type: 'postgres', query: 'SELECT * FROM t' })).toThrow(/has no ORDER BY/);
    expect(() => buildSelect({ type: 'postgres', table: 't' })).toThrow(/no row order of its own/);
  });

  it('redacts every secret, the longest first', () => {
    expect(redact('url postgres://u:p%40ss@h/db and p@ss', ['postgres://u:p%40ss@h/db', 'p%40ss', 'p@ss'])).toBe(
      'url *** and ***',
    );
  });
});

describe('COPY text parsed from the bytes', () => {
  const kinds: CopyKind[] = ['skip', 'number', 'text', 'bool', 'number', 'text'];
  const names = ['id', 'n', 'category', 'flag', 'm', 'note'];

  /** Parses `text` in chunks cut at `cuts` (byte offsets), as the COPY stream arrives; text columns as their cells. */
  function parse(text: Buffer, cuts: number[], expectedRows = 0) {
    const p = new CopyTextParser(kinds, names, [0], 't', expectedRows);
    let at = 0;
    for (const cut of [...cuts.filter((c) => c > 0 && c < text.length).sort((a, b) => a - b), text.length]) {
      p.push(text.subarray(at, cut));
      at = cut;
    }
    const got = p.finish();
    return { ...got, text: new Map([...got.text].map(([name, col]) => [name, col.toArray()])) };
  }

  const numberText = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc
      .integer({ min: -1e9, max: 1e9 })
      .chain((m) => fc.integer({ min: 0, max: 12 }).map((d) => (m / 10 ** d).toFixed(d))),
    fc.constantFrom(
      '0',
      '-0',
      '1e5',
      '-2.5E-3',
      '123456789012345678',
      '0.1',
      '-',
      '1.',
      '.5',
      '1.2.3',
      '\\N',
      'NaN',
      '',
      '0.0',
      '1.50',
      '007',
      '-0.5',
      '100',
      '0.000001',
      '0.0000001',
      '123456789012345',
      '1234567890123456',
      '0.1234567890123456',
    ),
  );
  // Categories repeat (so they are remembered), free text carries escapes, unicode, padding and missing tokens.
  const textField = fc.oneof(
    fc.constantFrom('male', 'female', 'high school', ' padded ', 'NA', '?', '', '\\N', 'été', '漢字', '🙂'),
    fc
      .array(fc.constantFrom('a', 'é', '漢', '🙂', ' ', '\\t', '\\n', '\\\\', '\\N', '\\101', '\\x41', 'NA'), {
        maxLength: 6,
      })
      .map((p) => p.join('')),
  );
  const rowsArb = fc.array(fc.tuple(numberText, textField, fc.constantFrom('t', 'f', '\\N'), numberText, textField), {
    minLength: 1,
    maxLength: 40,
  });

  it('gives exactly the values of the per-cell parser, however the stream is cut', () => {
    fc.assert(
      fc.property(rowsArb, fc.array(fc.nat(), { maxLength: 6 }), fc.nat({ max: 100 }), (rows, cuts, estimate) => {
        const text = Buffer.from(rows.map((r, i) => [String(i + 1), ...r].join('\t') + '\n').join(''), 'utf8');
        const cutAt = cuts.map((c) => c % (text.length + 1));
        const expected = referenceParse(text, kinds, names);
        if ([...expected.numbers.values()].some((col) => col.some((v) => !Number.isFinite(v) && !Number.isNaN(v))))
          return; // an infinite number is refused (tested above)
        const got = parse(text, cutAt, estimate);
        for (const [name, col] of expected.numbers)
          expect(
            Array.from(got.numbers.get(name)!).map((v) => (Object.is(v, -0) ? '-0' : v)),
            name,
          ).toEqual(Array.from(col).map((v) => (Object.is(v, -0) ? '-0' : v)));
        expect(got.text).toEqual(expected.text);
        // The digest written while parsing is rowsDigest's of the same rows, or null when a text
        // column holds only numbers (a form rowsDigest picks once it has the whole column).
        const table = typedTable('t', names.slice(1), rows.length, expected.text, expected.numbers);
        const numbersOnly = [...expected.text.values()].some((col) =>
          col.every((v) => v === null || Number.isFinite(Number(v))),
        );
        expect(got.digest).toBe(numbersOnly ? null : rowsDigest(table));
      }),
      { numRuns: 300 },
    );
  });

  it('reads escapes, unicode, nulls and exponents as the per-cell parser does', () => {
    const text = Buffer.from(
      [
        '1\t-1.5e3\tmale\tt\t0.000001\ta\\tb\\nc\\\\d',
        '2\t\\N\t\\N\tf\t-0\tété 漢字 🙂',
        '3\t123456789012345678\t male \t\\N\t14.65\t\\N',
        '4\t-2.5E-3\tmale\tt\t1e5\tNA',
      ].join('\n') + '\n',
      'utf8',
    );
    const got = parse(text, [7, 20, 41]);
    const expected = referenceParse(text, kinds, names);
    expect(got).toEqual({
      ...expected,
      digest: rowsDigest(typedTable('t', names.slice(1), 4, expected.text, expected.numbers)),
    });
    expect(got.text.get('note')).toEqual(['a\tb\nc\\d', 'été 漢字 🙂', null, null]);
    expect(got.text.get('note')![0]).toBe('a\tb\nc\\d');
    expect(Array.from(got.numbers.get('n')!)).toEqual([-1500, NaN, 123456789012345680, -0.0025]);
    expect(got.text.get('category')).toEqual(['male', null, 'male', 'male']);
  });

  it('leaves the digest to the table when a text column holds only numbers (an int8 key read as text)', () => {
    const p = new CopyTextParser(['text', 'number', 'text'], ['id', 'n', 'c'], [0], 't');
    p.push(Buffer.from('9007199254740993\t1.50\ta\n12\t-0\t\\N\n'));
    const got = p.finish();
    expect(got.digest).toBeNull();
    const table = typedTable('t', ['id', 'n', 'c'], 2, got.text, got.numbers);
    // rowsDigest hashes that column as the numbers its values read as.
    expect(rowsDigest(table)).not.toBe(
      rowsDigest(
        typedTable(
          't',
          ['id', 'n', 'c'],
          2,
          new Map<string, (string | null)[] | RawColumn>([...got.text, ['id', ['x', 'y']]]),
          got.numbers,
        ),
      ),
    );
  });

  it('writes the same digest as rowsDigest across the digest buffer’s boundaries, the columns grown or not', () => {
    for (const estimate of [0, 20_000, 1e9]) {
      const p = new CopyTextParser(['number', 'text', 'number'], ['a', 'b', 'c'], [], 't', estimate);
      const lines = Array.from(
        { length: 20_000 },
        (_, i) => `${i * 7.25}\t${i % 3 ? 'x' : '\\N'}\t${(i / 3).toFixed(i % 5)}\n`,
      );
      const text = Buffer.from(lines.join(''));
      for (let at = 0; at < text.length; at += 1000) p.push(text.subarray(at, at + 1000));
      const got = p.finish();
      expect(got.digest).toBe(rowsDigest(typedTable('t', ['a', 'b', 'c'], 20_000, got.text, got.numbers)));
      expect(Array.from(got.numbers.get('a')!)).toEqual(Array.from({ length: 20_000 }, (_, i) => i * 7.25));
      expect(got.text.get('b')!.toArray()).toEqual(Array.from({ length: 20_000 }, (_, i) => (i % 3 ? 'x' : null)));
    }
  });

  it('a key that repeats is refused on its bytes, a null key included', () => {
    const dup = new CopyTextParser(['skip', 'number'], ['id', 'n'], [0], 't');
    expect(() => dup.push(Buffer.from('\\N\t1\n\\N\t2\n'))).toThrow(/not unique: row 2 repeats row 1/);
    const ok = new CopyTextParser(['skip', 'number'], ['id', 'n'], [0], 't');
    ok.push(Buffer.from('10\t1\n1\t2\n'));
    expect(ok.finish().numbers.get('n')).toEqual(Float64Array.from([1, 2]));
  });
});
