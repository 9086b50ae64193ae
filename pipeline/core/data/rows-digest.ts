/**
 * The content digest of a table's rows, and what changed between two versions of them.
 * The digest covers the header and every value as the readers normalise it (trimmed
 * text, null for missing, numbers — typed, or a text column of numbers — in their shortest
 * form), in the order read — which the
 * source pins with a key or an ORDER BY. So a CSV, a Parquet file and a PostgreSQL table
 * holding the same rows in the same order have the same digest, whatever the bytes.
 */
import { createHash, type Hash } from 'node:crypto';
import type { RawColumn, RawTable } from './table.ts';
import { parseNumber } from './values.ts';

/** Version tag hashed first, so a change of the canonical form can never collide with the old one. */
const FORM = 'credit-risk-gitops/rows/v1\n';

/** Bytes of row text handed to the hash at a time. */
const HASH_PIECE = 1 << 16;
/** Distinct text values per column whose JSON form is remembered. */
const QUOTED_PER_COLUMN = 4096;

export function rowsDigest(table: RawTable): string {
  // Numbers a typed source holds as such hash as the text they stand for;
  // a text column whose every value is a number (a CSV's) is hashed as those numbers, so
  // "178.0" in a file and 178 in a table or Parquet file are the same value, as the model sees them.
  const nums = table.header.map((c) => table.columns.get(c)!.plainNumbers() ?? numbersIn(table.columns.get(c)!));
  const cols = table.header.map((c, i) => (nums[i] ? null : table.columns.get(c)!.toArray()));
  const out = new RowsDigestWriter(table.header);
  const quoted = cols.map(() => new Map<string, Buffer>());
  const width = cols.length;
  for (let r = 0; r < table.rows; r++) {
    out.byte(OPEN);
    for (let c = 0; c < width; c++) {
      if (c > 0) out.byte(COMMA);
      const n = nums[c];
      if (n !== null) {
        const x = n[r];
        if (Number.isNaN(x)) out.bytes(NULL);
        else out.quotedNumber(x);
        continue;
      }
      const v = cols[c]![r];
      if (v === null) {
        out.bytes(NULL);
        continue;
      }
      const known = quoted[c];
      let q = known.get(v);
      if (q === undefined) {
        q = Buffer.from(JSON.stringify(v));
        // Categories repeat and are remembered; free text (every value new) stops being remembered.
        if (known.size < QUOTED_PER_COLUMN) known.set(v, q);
      }
      out.bytes(q);
    }
    out.byte(CLOSE);
    out.byte(NEWLINE);
  }
  return out.digest();
}

export const OPEN = 0x5b;
export const CLOSE = 0x5d;
export const COMMA = 0x2c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
export const NULL = Buffer.from('null');

/**
 * The rows' text as JSON.stringify of each row's cells would write it (UTF-8), built in a
 * buffer and handed to the hash in large pieces: no array, string or serialisation per row.
 * rowsDigest writes it from a table; a reader that decodes rows one by one (the COPY
 * parser) can write the same bytes as it goes, with `quotedNumber` or, for a number whose
 * text is already its shortest form, `quotedBytes`.
 */
export class RowsDigestWriter {
  private readonly hash: Hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(HASH_PIECE);
  private at = 0;

  constructor(header: readonly string[]) {
    this.hash.update(FORM);
    this.hash.update(JSON.stringify(header) + '\n');
  }

  /** The hex sha256 of everything written (the writer is done with). */
  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  byte(b: number): void {
    if (this.at === HASH_PIECE) this.flush();
    this.buf[this.at++] = b;
  }

  bytes(b: Uint8Array): void {
    if (this.at + b.length > HASH_PIECE) {
      this.flush();
      if (b.length > HASH_PIECE) {
        this.hash.update(b);
        return;
      }
    }
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  /** `"${x}"`: an integer's digits written directly, any other number through String(). */
  quotedNumber(x: number): void {
    // Sign, 16 digits and two quotes at most on the integer path.
    if (this.at + 20 > HASH_PIECE) this.flush();
    const buf = this.buf;
    buf[this.at++] = QUOTE;
    if (Number.isInteger(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER) {
      let v = x;
      if (v < 0) {
        buf[this.at++] = 0x2d;
        v = -v;
      }
      let digits = 1;
      for (let p = 10; p <= v; p *= 10) digits++;
      let k = this.at + digits;
      this.at = k;
      do {
        const d = v % 10;
        buf[--k] = 48 + d;
        v = (v - d) / 10;
      } while (v > 0);
    } else {
      const t = String(x);
      if (this.at + t.length + 1 > HASH_PIECE) this.flush();
      for (let i = 0; i < t.length; i++) this.buf[this.at++] = t.charCodeAt(i);
    }
    if (this.at === HASH_PIECE) this.flush();
    this.buf[this.at++] = QUOTE;
  }

  /** `"…"` around bytes [s, e) of `src`: a number's String() form (ASCII, a few dozen bytes at most). */
  quotedBytes(src: Uint8Array, s: number, e: number): void {
    if (this.at + (e - s) + 2 > HASH_PIECE) this.flush();
    const buf = this.buf;
    let at = this.at;
    buf[at++] = QUOTE;
    for (let i = s; i < e; i++) buf[at++] = src[i];
    buf[at++] = QUOTE;
    this.at = at;
  }

  private flush(): void {
    if (this.at > 0) this.hash.update(this.buf.subarray(0, this.at));
    this.at = 0;
  }
}

/** The column as numbers when every value that is not missing reads as one, else null. */
function numbersIn(column: RawColumn): Float64Array | null {
  const out = new Float64Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const v = column.get(i);
    if (v === null) out[i] = NaN;
    else if (!Number.isFinite((out[i] = parseNumber(v)))) return null;
  }
  return out;
}

export interface RowsChange {
  /** Rows whose key (or, without a key, whose content) is new. */
  added: number;
  removed: number;
  /** Rows whose key is in both versions with different values (0 without a key). */
  changed: number;
  unchanged: number;
  /** The key rows were matched by, or null when they were compared whole. */
  matched_by: string[] | null;
  /** Columns added or removed between the versions. */
  columns_added: string[];
  columns_removed: string[];
}

/**
 * Compares two versions row by row: matched by `key` when there is one, else as
 * multisets of whole rows (a changed row then counts as one removed and one added).
 * Only columns both versions have are compared.
 */
export function diffRows(before: RawTable, after: RawTable, key: string[] | null): RowsChange {
  const shared = before.header.filter((h) => after.columns.has(h));
  const columns_added = after.header.filter((h) => !before.columns.has(h));
  const columns_removed = before.header.filter((h) => !after.columns.has(h));
  const usable = key && key.length > 0 && key.every((k) => before.columns.has(k) && after.columns.has(k)) ? key : null;
  const rowText = (t: RawTable, cols: string[], r: number): string =>
    JSON.stringify(cols.map((c) => t.columns.get(c)!.get(r)));
  const out: RowsChange = {
    added: 0,
    removed: 0,
    changed: 0,
    unchanged: 0,
    matched_by: usable,
    columns_added,
    columns_removed,
  };
  if (usable) {
    const old = new Map<string, string>();
    for (let r = 0; r < before.rows; r++) old.set(rowText(before, usable, r), rowText(before, shared, r));
    for (let r = 0; r < after.rows; r++) {
      const k = rowText(after, usable, r);
      const was = old.get(k);
      if (was === undefined) out.added++;
      else {
        if (was === rowText(after, shared, r)) out.unchanged++;
        else out.changed++;
        old.delete(k);
      }
    }
    out.removed = old.size;
    return out;
  }
  const counts = new Map<string, number>();
  for (let r = 0; r < before.rows; r++) {
    const t = rowText(before, shared, r);
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  for (let r = 0; r < after.rows; r++) {
    const t = rowText(after, shared, r);
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      counts.set(t, n - 1);
      out.unchanged++;
    } else out.added++;
  }
  for (const n of counts.values()) out.removed += n;
  return out;
}
