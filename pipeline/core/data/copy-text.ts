/**
 * Parses PostgreSQL's COPY text format (one row per line, tab between fields, `\N` for
 * null, backslash escapes) chunk by chunk as it streams in, straight into columns:
 * numeric columns into growing Float64Arrays (NaN = missing), the others into text
 * normalised as the CSV reader normalises it (trimmed, missing-value tokens → null).
 * Working on the bytes keeps the per-row cost near what `psql` itself pays to print them.
 */
import { inputError } from '../common/errors.ts';
import { cellText } from './typed-columns.ts';

/** `skip`: read only for the key check (a key column the caller did not ask for). */
export type CopyKind = 'number' | 'bool' | 'text' | 'skip';

const TAB = 9;
const NEWLINE = 10;
const BACKSLASH = 92;

/** Powers of ten a double holds exactly (10^0 … 10^22). */
const EXACT_POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The number in bytes [s, e) without making a string, when that is exact: a plain decimal
 * (sign, digits, one point) with at most 15 significant digits and 22 decimals is an
 * integer below 2^53 divided by an exact power of ten — one correctly rounded operation,
 * so the same double Number(text) gives (Clinger's fast path). Anything else (exponents,
 * long mantissas, NaN) returns undefined and is left to Number().
 */
export function fastNumber(buf: Buffer, s: number, e: number): number | undefined {
  let i = s;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < e; i++) {
    const b = buf[i];
    if (b >= 48 && b <= 57) {
      mantissa = mantissa * 10 + (b - 48);
      if (mantissa > 0 || digits > 0) digits++;
      if (decimals >= 0) decimals++;
    } else if (b === 46 && decimals < 0) decimals = 0;
    else return undefined;
  }
  if (i === s + (negative ? 1 : 0) || digits > 15 || decimals > 22 || decimals === 0) return undefined;
  const v = decimals > 0 ? mantissa / EXACT_POW10[decimals] : mantissa;
  return negative ? -v : v;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** Undoes COPY's escaping of a text field (only called when the field holds a backslash). */
export function unescapeCopy(s: string): string {
  return s.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

export class CopyTextParser {
  rows = 0;
  private readonly numbers: (Float64Array | null)[];
  private readonly text: ((string | null)[] | null)[];
  private rest: Buffer | null = null;
  private lastKey: string | null = null;

  constructor(
    private readonly kinds: CopyKind[],
    private readonly names: string[],
    /** Columns that must never repeat from one row to the next (the ORDER BY key), checked on their text. */
    private readonly keyAt: number[],
    private readonly label: string,
  ) {
    this.numbers = kinds.map((k) => (k === 'number' ? new Float64Array(1 << 16) : null));
    this.text = kinds.map((k) => (k === 'number' || k === 'skip' ? null : []));
  }

  push(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const n = buf.length;
    const width = this.kinds.length;
    let line = 0;
    for (let nl = buf.indexOf(NEWLINE, 0); nl >= 0; nl = buf.indexOf(NEWLINE, line)) {
      this.row(buf, line, nl, width);
      line = nl + 1;
    }
    this.rest = line < n ? Buffer.from(buf.subarray(line)) : null;
  }

  private row(buf: Buffer, start: number, end: number, width: number): void {
    const r = this.rows;
    let s = start;
    let key = '';
    for (let c = 0; c < width; c++) {
      let e = c === width - 1 ? end : buf.indexOf(TAB, s);
      if (e < 0 || e > end) e = -1;
      if (e < 0) throw inputError(`${this.label}: row ${r + 1} has ${c + 1} fields, expected ${width} (a malformed COPY stream)`);
      const isNull = e - s === 2 && buf[s] === BACKSLASH && buf[s + 1] === 78;
      if (this.keyAt.includes(c)) key += `${isNull ? '\\N' : buf.toString('latin1', s, e)}\u0000`;
      const kind = this.kinds[c];
      if (kind === 'skip') {
        // read for the key check above only
      } else if (kind === 'number') {
        let col = this.numbers[c]!;
        if (r >= col.length) {
          const grown = new Float64Array(col.length * 2);
          grown.set(col);
          this.numbers[c] = col = grown;
        }
        const v = isNull ? NaN : (fastNumber(buf, s, e) ?? Number(buf.toString('latin1', s, e)));
        if (!Number.isFinite(v) && !Number.isNaN(v))
          throw inputError(`${this.label}: row ${r + 1}, column "${this.names[c]}": ${buf.toString('latin1', s, e)} is not a finite number`);
        col[r] = v;
      } else if (isNull) this.text[c]!.push(null);
      else {
        let v = buf.toString('utf8', s, e);
        if (v.includes('\\')) v = unescapeCopy(v);
        if (kind === 'bool') this.text[c]!.push(v === 't' ? 'true' : v === 'f' ? 'false' : v);
        else this.text[c]!.push(cellText(v));
      }
      s = e + 1;
    }
    if (this.keyAt.length > 0) {
      if (key === this.lastKey)
        throw inputError(
          `${this.label}: the key (${this.keyAt.map((i) => this.names[i]).join(', ')}) is not unique: row ${r + 1} repeats row ${r}'s; a key must identify one row`,
        );
      this.lastKey = key;
    }
    this.rows = r + 1;
  }

  /** The columns, once the stream has ended; a trailing partial row means the stream was cut. */
  finish(): { numbers: Map<string, Float64Array>; text: Map<string, (string | null)[]> } {
    if (this.rest && this.rest.length > 0)
      throw inputError(`${this.label}: the COPY stream ended in the middle of row ${this.rows + 1}`);
    const numbers = new Map<string, Float64Array>();
    const text = new Map<string, (string | null)[]>();
    this.names.forEach((name, c) => {
      const n = this.numbers[c];
      if (n) numbers.set(name, n.slice(0, this.rows));
      else if (this.text[c]) text.set(name, this.text[c]);
    });
    return { numbers, text };
  }
}
