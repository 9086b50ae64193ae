/**
 * Parses PostgreSQL's COPY text format (one row per line, tab between fields, `\N` for
 * null, backslash escapes) chunk by chunk as it streams in, straight into columns:
 * numeric columns into growing Float64Arrays (NaN = missing), the others into text
 * normalised as the CSV reader normalises it (trimmed, missing-value tokens → null).
 * Working on the bytes keeps the per-row cost near what `psql` itself pays to print them:
 * numbers are read from the bytes, and a text value that repeats (a category) is decoded
 * once per column, not once per cell. The rows' digest (rows-digest.ts) is written as the
 * rows are read, from the same bytes: a number written in its shortest form is its own
 * digest text, and a category's quoted form is made once per column.
 */
import { inputError } from '../common/errors.ts';
import { CLOSE, COMMA, NULL, OPEN, RowsDigestWriter } from './rows-digest.ts';
import { RawColumnBuilder, type RawColumn } from './table.ts';
import { cellText } from './typed-columns.ts';
import { parseNumber } from './values.ts';

/** `skip`: read only for the key check (a key column the caller did not ask for). */
export type CopyKind = 'number' | 'bool' | 'text' | 'skip';

const TAB = 9;
const NEWLINE = 10;
const BACKSLASH = 92;

/**
 * Powers of ten a double holds exactly (10^0 … 10^22). A plain decimal (sign, digits, one
 * point) with at most 15 significant digits and 22 decimals is an integer below 2^53
 * divided by one of them — one correctly rounded operation, so the same double Number(text)
 * gives (Clinger's fast path). Anything else (exponents, long mantissas, NaN) is left to
 * Number().
 */
const EXACT_POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** Undoes COPY's escaping of a text field (only called when the field holds a backslash). */
export function unescapeCopy(s: string): string {
  return s.replace(/\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

const NUMBER = 1;
const BOOL = 2;
const TEXT = 3;
const KIND_CODE: Record<CopyKind, number> = { skip: 0, number: NUMBER, bool: BOOL, text: TEXT };

/** Rows a column is allocated for up front at most, whatever the estimate; beyond, it grows by doubling. */
const MAX_PREALLOCATED_ROWS = 1 << 23;

/** Distinct values a text column remembers by their bytes: categories repeat, free text stops being remembered. */
const INTERNED_PER_COLUMN = 4096;

/** A text field's bytes, the value they stand for (null: a missing-value token) and its digest text. */
interface Interned {
  bytes: Uint8Array;
  value: string | null;
  json: Uint8Array;
  /** Whether the value reads as a finite number (a column of only such values is digested as numbers). */
  numeric: boolean;
}

/** A text value as the digest writes it: its JSON string, or null. */
const jsonBytes = (v: string | null): Uint8Array => (v === null ? NULL : Buffer.from(JSON.stringify(v)));
/** What rows-digest.ts's numbersIn asks of a text value for its column to count as numbers (the same parseNumber). */
const readsAsNumber = (v: string | null): boolean => v === null || Number.isFinite(parseNumber(v));

export class CopyTextParser {
  rows = 0;
  private readonly numbers: (Float64Array | null)[];
  private readonly text: (RawColumnBuilder | null)[];
  private readonly codes: Uint8Array;
  private readonly isKey: Uint8Array;
  /** Per text column: FNV-1a hash of a field's bytes → its value, so a repeated category is decoded once. */
  private readonly interned: (Map<number, Interned> | null)[];
  private rest: Buffer | null = null;
  private readonly digest: RowsDigestWriter;
  /**
   * Per text column: every value so far reads as a number. rowsDigest hashes such a column as
   * numbers, a form only known once the column is complete; when one ends that way, the
   * streamed digest is not used and the caller digests the table.
   */
  private readonly allNumeric: Uint8Array;
  /** The key fields' bytes of this row and of the previous one (tab-separated), compared without decoding. */
  private key = new Uint8Array(64);
  private lastKey = new Uint8Array(64);
  private keyLength = 0;
  private lastKeyLength = -1;

  constructor(
    private readonly kinds: CopyKind[],
    private readonly names: string[],
    /** Columns that must never repeat from one row to the next (the ORDER BY key), checked on their bytes. */
    private readonly keyAt: number[],
    private readonly label: string,
    /** How many rows the caller expects (the planner's estimate): columns start that long, not grown into it. */
    expectedRows = 0,
  ) {
    // Room beyond the rows read is never written, so it costs address space, not memory.
    const capacity = Math.min(MAX_PREALLOCATED_ROWS, Math.max(1024, Math.ceil(expectedRows * 1.05)));
    this.numbers = kinds.map((k) => (k === 'number' ? new Float64Array(capacity) : null));
    this.text = kinds.map((k) => (k === 'number' || k === 'skip' ? null : new RawColumnBuilder(capacity)));
    this.codes = Uint8Array.from(kinds, (k) => KIND_CODE[k]);
    this.isKey = new Uint8Array(kinds.length);
    for (const c of keyAt) this.isKey[c] = 1;
    this.interned = kinds.map((k) => (k === 'text' || k === 'bool' ? new Map<number, Interned>() : null));
    this.digest = new RowsDigestWriter(names.filter((_, c) => kinds[c] !== 'skip'));
    this.allNumeric = Uint8Array.from(kinds, (k) => (k === 'text' || k === 'bool' ? 1 : 0));
  }

  push(chunk: Buffer): void {
    const width = this.kinds.length;
    let line = 0;
    if (this.rest) {
      // Only the row cut at the end of the last chunk is copied together, never the whole chunk.
      const nl = chunk.indexOf(NEWLINE, 0);
      if (nl < 0) {
        this.rest = Buffer.concat([this.rest, chunk]);
        return;
      }
      const joined = Buffer.concat([this.rest, chunk.subarray(0, nl + 1)]);
      this.rest = null;
      this.row(joined, 0, joined.length - 1, width);
      line = nl + 1;
    }
    for (let nl = chunk.indexOf(NEWLINE, line); nl >= 0; nl = chunk.indexOf(NEWLINE, line)) {
      this.row(chunk, line, nl, width);
      line = nl + 1;
    }
    this.rest = line < chunk.length ? Buffer.from(chunk.subarray(line)) : null;
  }

  /**
   * One line, scanned once byte by byte: a numeric field is parsed while its end is found
   * (the same double as fastNumber, else Number() of its text), a text field is hashed and
   * looked up among the column's known values, and only a value not seen before (or one
   * with escapes) is decoded into a string.
   */
  private row(buf: Buffer, start: number, end: number, width: number): void {
    const r = this.rows;
    const digest = this.digest;
    let s = start;
    let written = false;
    this.keyLength = 0;
    digest.byte(OPEN);
    for (let c = 0; c < width; c++) {
      // The last field runs to the end of the line (a stray tab stays inside it).
      const last = c === width - 1;
      const code = this.codes[c];
      let i = s;
      let v = 0;
      let exact = false;
      let shortest = false;
      let hash = 0x811c9dc5;
      let escaped = false;
      if (code === NUMBER) {
        let negative = false;
        if (i < end && buf[i] === 45) {
          negative = true;
          i++;
        }
        let mantissa = 0;
        let digits = 0;
        let decimals = -1;
        let plain = true;
        for (; i < end; i++) {
          const b = buf[i];
          if (b >= 48 && b <= 57) {
            mantissa = mantissa * 10 + (b - 48);
            if (mantissa > 0 || digits > 0) digits++;
            if (decimals >= 0) decimals++;
          } else if (b === TAB && !last) break;
          else if (b === 46 && decimals < 0) decimals = 0;
          else plain = false;
        }
        exact = plain && i !== s + (negative ? 1 : 0) && digits <= 15 && decimals <= 22 && decimals !== 0;
        if (exact) {
          v = decimals > 0 ? mantissa / EXACT_POW10[decimals] : mantissa;
          if (negative) v = -v;
          // String(v) is the text itself when it has no leading zero, no trailing fractional zero,
          // is not -0 and is at least 10^-6 (below, String() writes an exponent): the shortest
          // form, as no two decimals of 15 digits share a double (table.ts's shortDecimal).
          const a = negative ? s + 1 : s;
          const first = buf[a];
          shortest =
            first !== 46 &&
            !(first === 48 && a + 1 < i && buf[a + 1] !== 46) &&
            !(decimals > 0 && buf[i - 1] === 48) &&
            !(negative && mantissa === 0) &&
            !(first === 48 && decimals - digits > 5);
        }
      } else {
        for (; i < end; i++) {
          const b = buf[i];
          if (b === TAB && !last) break;
          if (b === BACKSLASH) escaped = true;
          hash = Math.imul(hash ^ b, 16777619);
        }
      }
      const e = i;
      if (!last && e >= end)
        throw inputError(`${this.label}: row ${r + 1} has ${c + 1} fields, expected ${width} (a malformed COPY stream)`);
      const isNull = e - s === 2 && buf[s] === BACKSLASH && buf[s + 1] === 78;
      if (this.isKey[c] === 1) this.keyBytes(buf, s, e);
      if (code !== 0) {
        if (written) digest.byte(COMMA);
        written = true;
      }
      if (code === NUMBER) {
        let col = this.numbers[c]!;
        if (r >= col.length) {
          const grown = new Float64Array(col.length * 2);
          grown.set(col);
          this.numbers[c] = col = grown;
        }
        if (isNull) v = NaN;
        else if (!exact) {
          v = Number(buf.toString('latin1', s, e));
          if (!Number.isFinite(v) && !Number.isNaN(v))
            throw inputError(
              `${this.label}: row ${r + 1}, column "${this.names[c]}": ${buf.toString('latin1', s, e)} is not a finite number`,
            );
        }
        col[r] = v;
        if (shortest) digest.quotedBytes(buf, s, e);
        else if (Number.isNaN(v)) digest.bytes(NULL);
        else digest.quotedNumber(v);
      } else if (code !== 0) {
        if (isNull) {
          this.text[c]!.push(null);
          digest.bytes(NULL);
        } else if (escaped) {
          const value = this.decode(buf, s, e, code);
          this.text[c]!.push(value);
          digest.bytes(jsonBytes(value));
          if (this.allNumeric[c] === 1 && !readsAsNumber(value)) this.allNumeric[c] = 0;
        } else {
          const known = this.internedValue(c, hash, buf, s, e, code);
          this.text[c]!.push(known.value);
          digest.bytes(known.json);
          if (this.allNumeric[c] === 1 && !known.numeric) this.allNumeric[c] = 0;
        }
      }
      s = e + 1;
    }
    digest.byte(CLOSE);
    digest.byte(NEWLINE);
    if (this.keyAt.length > 0) {
      if (this.sameKey())
        throw inputError(
          `${this.label}: the key (${this.keyAt.map((i) => this.names[i]).join(', ')}) is not unique: row ${r + 1} repeats row ${r}'s; a key must identify one row`,
        );
      const previous = this.lastKey;
      this.lastKey = this.key;
      this.lastKeyLength = this.keyLength;
      this.key = previous;
    }
    this.rows = r + 1;
  }

  /** The value of text field [s, e) as the CSV reader would have it. */
  private decode(buf: Buffer, s: number, e: number, code: number): string | null {
    let v = buf.toString('utf8', s, e);
    if (v.includes('\\')) v = unescapeCopy(v);
    if (code === BOOL) return v === 't' ? 'true' : v === 'f' ? 'false' : v;
    return cellText(v);
  }

  /** The field's value and digest text, from the column's known values when it was seen before. */
  private internedValue(c: number, hash: number, buf: Buffer, s: number, e: number, code: number): Interned {
    const known = this.interned[c]!;
    const hit = known.get(hash);
    if (hit && hit.bytes.length === e - s) {
      const bytes = hit.bytes;
      let same = true;
      for (let k = 0; k < bytes.length; k++)
        if (bytes[k] !== buf[s + k]) {
          same = false;
          break;
        }
      if (same) return hit;
    }
    const value = this.decode(buf, s, e, code);
    const entry: Interned = {
      bytes: Uint8Array.prototype.slice.call(buf, s, e),
      value,
      json: jsonBytes(value),
      numeric: readsAsNumber(value),
    };
    if (!hit && known.size < INTERNED_PER_COLUMN) known.set(hash, entry);
    return entry;
  }

  private keyBytes(buf: Buffer, s: number, e: number): void {
    const need = this.keyLength + (e - s) + 1;
    if (need > this.key.length) {
      const grown = new Uint8Array(need * 2);
      grown.set(this.key.subarray(0, this.keyLength));
      this.key = grown;
    }
    const key = this.key;
    let k = this.keyLength;
    for (let i = s; i < e; i++) key[k++] = buf[i];
    key[k++] = TAB;
    this.keyLength = k;
  }

  private sameKey(): boolean {
    if (this.keyLength !== this.lastKeyLength) return false;
    const a = this.key;
    const b = this.lastKey;
    for (let k = 0; k < this.keyLength; k++) if (a[k] !== b[k]) return false;
    return true;
  }

  /**
   * The columns and the rows' digest (null when a text column turned out to hold only numbers:
   * rowsDigest of the table then), once the stream has ended; a trailing partial row means the
   * stream was cut.
   */
  finish(): { numbers: Map<string, Float64Array>; text: Map<string, RawColumn>; digest: string | null } {
    if (this.rest && this.rest.length > 0)
      throw inputError(`${this.label}: the COPY stream ended in the middle of row ${this.rows + 1}`);
    const numbers = new Map<string, Float64Array>();
    const text = new Map<string, RawColumn>();
    this.names.forEach((name, c) => {
      const n = this.numbers[c];
      // A view, not a copy: the room past the rows read was never written, so it holds no memory.
      if (n) numbers.set(name, n.subarray(0, this.rows));
      else if (this.text[c]) text.set(name, this.text[c].finish());
    });
    return { numbers, text, digest: this.allNumeric.includes(1) ? null : this.digest.digest() };
  }
}
