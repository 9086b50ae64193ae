/**
 * A table of raw cells as a data source gives them (text, or missing), laid out by
 * column in a form that stays small at millions of rows: a cell written as a plain number
 * is kept as that number (8 bytes), any other text as a code into the column's list of
 * distinct texts (4 bytes). Every cell still reads back as exactly the text it was
 * (`get`), and a numeric column whose cells are all plain numbers hands its numbers to
 * the data set without a copy.
 */

/** Field values that mean "missing" in the wild. */
const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', '?']);

export function isMissingText(v: string): boolean {
  return MISSING.has(v.trim());
}

/** Rows read from one source, column by column. */
export interface RawTable {
  /** What the rows were read from (a file, "request body"): every message names it. */
  file: string;
  header: string[];
  rows: number;
  columns: Map<string, RawColumn>;
  /** Where each row is in the source (the line of a CSV file), for messages. */
  lines: Uint32Array;
}

/** One column of a RawTable: cells are read back with `get`, never changed. */
export class RawColumn {
  constructor(
    readonly length: number,
    /** The cell's number when it is written as one (String(n) === text); NaN otherwise. */
    private readonly numbers: Float64Array | null,
    /** 0: no text (a number, or missing); k: `texts[k - 1]`. Null when no cell is other text. */
    private readonly codes: Uint32Array | null,
    /** The distinct texts that are not plain numbers, in order of first appearance. */
    readonly texts: readonly string[],
  ) {}

  /** The cell as read (trimmed), or null when it is missing. */
  get(i: number): string | null {
    const k = this.codes === null ? 0 : this.codes[i];
    if (k > 0) return this.texts[k - 1];
    const n = this.numbers === null ? NaN : this.numbers[i];
    return Number.isNaN(n) ? null : String(n);
  }

  /** The cell's number when it is written as a plain number, else NaN (missing or other text). */
  number(i: number): number {
    return this.numbers === null ? NaN : this.numbers[i];
  }

  /** True when the cell holds text that is not written as a plain number. */
  isText(i: number): boolean {
    return this.codes !== null && this.codes[i] > 0;
  }

  /**
   * The column's numbers when every cell is a plain number or missing (NaN), shared, not
   * copied: the caller must not write into it. Null when some cell holds other text.
   */
  plainNumbers(): Float64Array | null {
    if (this.codes !== null) return null;
    return this.numbers ?? new Float64Array(this.length).fill(NaN);
  }

  /** Every cell as text (null = missing); a number written many times is one string, not many. */
  toArray(): (string | null)[] {
    const out = new Array<string | null>(this.length);
    const written = new Map<number, string>();
    for (let i = 0; i < this.length; i++) {
      const k = this.codes === null ? 0 : this.codes[i];
      if (k > 0) {
        out[i] = this.texts[k - 1];
        continue;
      }
      const n = this.numbers === null ? NaN : this.numbers[i];
      if (Number.isNaN(n)) out[i] = null;
      else {
        let t = written.get(n);
        if (t === undefined) written.set(n, (t = String(n)));
        out[i] = t;
      }
    }
    return out;
  }

  /** Rows `index` of the column, in that order. */
  pick(index: ArrayLike<number>): RawColumn {
    const b = new RawColumnBuilder(index.length);
    for (let k = 0; k < index.length; k++) b.push(this.get(index[k]));
    return b.finish();
  }

  static from(values: readonly (string | null)[]): RawColumn {
    const b = new RawColumnBuilder(values.length);
    for (const v of values) b.push(v);
    return b.finish();
  }
}

/** Appends cells (already trimmed; null = missing) to a column of unknown final length. */
export class RawColumnBuilder {
  private n = 0;
  private capacity: number;
  private numbers: Float64Array | null = null;
  private codes: Uint32Array | null = null;
  private readonly texts: string[] = [];
  private readonly textCode = new Map<string, number>();

  constructor(expectedRows = 1024) {
    this.capacity = Math.max(16, expectedRows);
  }

  get length(): number {
    return this.n;
  }

  push(v: string | null): void {
    if (this.n === this.capacity) this.grow();
    const i = this.n++;
    if (v === null) {
      if (this.numbers !== null) this.numbers[i] = NaN;
      return;
    }
    const x = plainNumber(v);
    if (!Number.isNaN(x)) {
      (this.numbers ??= new Float64Array(this.capacity).fill(NaN))[i] = x;
      return;
    }
    let k = this.textCode.get(v);
    if (k === undefined) {
      this.texts.push(v);
      k = this.texts.length;
      this.textCode.set(v, k);
    }
    (this.codes ??= new Uint32Array(this.capacity))[i] = k;
    if (this.numbers !== null) this.numbers[i] = NaN;
  }

  finish(): RawColumn {
    // A column allocated for more rows than it got is copied to its size, once.
    const fit = <T extends Float64Array | Uint32Array>(a: T | null): T | null =>
      a === null || a.length === this.n ? a : (a.slice(0, this.n) as T);
    return new RawColumn(this.n, fit(this.numbers), fit(this.codes), this.texts);
  }

  private grow(): void {
    this.capacity = Math.ceil(this.capacity * 1.5);
    if (this.numbers !== null) {
      const next = new Float64Array(this.capacity).fill(NaN);
      next.set(this.numbers);
      this.numbers = next;
    }
    if (this.codes !== null) {
      const next = new Uint32Array(this.capacity);
      next.set(this.codes);
      this.codes = next;
    }
  }
}

/**
 * The number a text is written as, when reading it back with String() gives the same
 * text ("42", "-0.5", "1200"; not "1e3", "0042", "1.50" or "Infinity"); NaN otherwise.
 * Those are the cells a column can keep as numbers without losing their text.
 */
function plainNumber(v: string): number {
  const c = v.charCodeAt(0);
  // Only a digit or a minus sign can start a plain number: text fails fast here.
  if (!((c >= 48 && c <= 57) || c === 45)) return NaN;
  const fast = shortDecimal(v);
  if (!Number.isNaN(fast)) return fast;
  const x = Number(v);
  return Number.isFinite(x) && String(x) === v ? x : NaN;
}

/** Exact powers of ten in a double (10^0 … 10^22). */
const EXACT_POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The common plain number without converting it back to text: an optional minus, an
 * integer part without leading zeros, an optional fraction not ending in 0, at most 15
 * significant digits and at least 10^-6 in size. Such a text is its number's shortest
 * round-trip form (no two decimals of 15 digits share a double, and String() writes no
 * exponent from 10^-6 up), and its digits over a power of ten are that number, rounded
 * once (Clinger's fast path). NaN for anything else, which the caller checks the slow way.
 */
function shortDecimal(v: string): number {
  const n = v.length;
  let i = v.charCodeAt(0) === 45 ? 1 : 0;
  const negative = i === 1;
  const first = i;
  let mantissa = 0;
  let significant = 0;
  for (; i < n; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    mantissa = mantissa * 10 + d;
    if (mantissa > 0) significant++;
  }
  const whole = i - first;
  // "0" alone, or digits not starting with 0; "-0" reads back as "0".
  if (whole === 0 || (whole > 1 && v.charCodeAt(first) === 48) || (negative && mantissa === 0 && i === n)) return NaN;
  let decimals = 0;
  if (i < n) {
    if (v.charCodeAt(i) !== 46) return NaN;
    for (i++; i < n; i++) {
      const d = v.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return NaN;
      mantissa = mantissa * 10 + d;
      if (mantissa > 0) significant++;
      decimals++;
    }
    // A fraction ends in a non-zero digit; below 10^-6 String() writes an exponent.
    if (decimals === 0 || v.charCodeAt(n - 1) === 48 || (whole === 1 && decimals - significant > 5)) return NaN;
  }
  if (significant > 15) return NaN;
  const x = decimals > 0 ? mantissa / EXACT_POW10[decimals] : mantissa;
  return negative ? -x : x;
}

/** Collects the rows of a table cell by cell, for readers of any source. */
export class RawTableBuilder {
  private readonly builders: RawColumnBuilder[];
  private lines: Uint32Array;
  private n = 0;

  constructor(
    readonly file: string,
    readonly header: string[],
    expectedRows = 1024,
  ) {
    this.builders = header.map(() => new RawColumnBuilder(expectedRows));
    this.lines = new Uint32Array(Math.max(16, expectedRows));
  }

  get rows(): number {
    return this.n;
  }

  /** One row: `fields[c]` is column c's cell as written; it is trimmed and missing tokens become null. */
  push(fields: readonly string[], line: number): void {
    for (let c = 0; c < this.builders.length; c++) {
      const v = fields[c]?.trim();
      this.builders[c].push(v === undefined || MISSING.has(v) ? null : v);
    }
    if (this.n === this.lines.length) {
      const next = new Uint32Array(Math.ceil(this.lines.length * 1.5));
      next.set(this.lines);
      this.lines = next;
    }
    this.lines[this.n++] = line;
  }

  finish(): RawTable {
    const columns = new Map<string, RawColumn>();
    this.header.forEach((h, c) => columns.set(h, this.builders[c].finish()));
    return { file: this.file, header: this.header, rows: this.n, columns, lines: this.lines.slice(0, this.n) };
  }
}

/** Rows `index` of a table, in that order. */
export function pickRows(table: RawTable, index: ArrayLike<number>, file = table.file): RawTable {
  const columns = new Map<string, RawColumn>();
  for (const [k, v] of table.columns) columns.set(k, v.pick(index));
  const lines = new Uint32Array(index.length);
  for (let k = 0; k < index.length; k++) lines[k] = table.lines[index[k]];
  return { file, header: table.header, rows: index.length, columns, lines };
}
