/**
 * Parquet in and out with hyparquet and hyparquet-writer: pure JavaScript, no native
 * build and no download at install time, so the same code runs in the CLI, in a bundled
 * GitHub Action and on any runner; hyparquet-compressors adds the codecs other writers
 * use (gzip, zstd, brotli, lz4) beside the built-in snappy. Values become the text the
 * CSV reader would hold for them (numbers in their shortest form, null for missing), so
 * a Parquet file of the same rows gives the same RawTable, Dataset and digest.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inputError } from '../common/errors.ts';
import type { RawTable } from './table.ts';
import { cellText, typedTable } from './typed-columns.ts';

export interface ParquetColumn {
  name: string;
  type: string;
}

export interface ParquetReadResult {
  table: RawTable;
  columns: ParquetColumn[];
  files: string[];
}

/** The .parquet files a path names: itself, or a folder's *.parquet files in name order. */
export function parquetFiles(path: string): string[] {
  if (!existsSync(path)) throw inputError(`parquet source not found: ${path}`);
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => /\.parquet$/i.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw inputError(`${path}: the folder holds no .parquet files`);
  return files;
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? null : String(v);
  if (typeof v === 'string') return cellText(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
}

interface SchemaLike {
  name: string;
  type?: string;
  converted_type?: string;
  logical_type?: { type: string };
  num_children?: number;
}

function typeName(e: SchemaLike): string {
  const logical = e.logical_type?.type ?? e.converted_type;
  return logical ? `${e.type}/${logical}` : (e.type ?? 'GROUP');
}

/** Physical types whose values are numbers a double holds exactly enough (INT64 only when its values fit). */
const NUMERIC = new Set(['DOUBLE', 'FLOAT', 'INT32', 'INT64']);

function isNumericColumn(e: SchemaLike): boolean {
  const logical = e.logical_type?.type ?? e.converted_type;
  // Dates, times, timestamps and decimals are stored as integers but are not plain numbers.
  return NUMERIC.has(e.type ?? '') && (logical === undefined || logical === 'INTEGER' || /^(U?INT_\d+)$/.test(logical));
}

export async function readParquet(path: string): Promise<ParquetReadResult> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetRead } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const files = parquetFiles(path);
  let header: string[] | null = null;
  let columnTypes: ParquetColumn[] = [];
  let numeric: boolean[] = [];
  const parts: (Float64Array | (string | null)[])[][] = [];
  let rows = 0;
  for (const file of files) {
    let buffer;
    let metadata;
    try {
      buffer = await asyncBufferFromFile(file);
      metadata = await parquetMetadataAsync(buffer);
    } catch (e) {
      throw inputError(`${file}: not a readable Parquet file: ${(e as Error).message}`);
    }
    const leaves = (metadata.schema as SchemaLike[]).slice(1);
    if (leaves.some((e) => (e.num_children ?? 0) > 0))
      throw inputError(`${file}: nested columns (structs, lists, maps) are not supported; flatten them first`);
    const names = leaves.map((e) => e.name);
    if (header === null) {
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup !== undefined) throw inputError(`${file}: column "${dup}" appears twice`);
      header = names;
      columnTypes = leaves.map((e) => ({ name: e.name, type: typeName(e) }));
      numeric = leaves.map(isNumericColumn);
      for (let c = 0; c < names.length; c++) parts.push([]);
    } else if (names.join('\u0000') !== header.join('\u0000')) {
      throw inputError(`${file}: its columns (${names.join(', ')}) differ from ${files[0]}'s (${header.join(', ')})`);
    }
    const n = Number(metadata.num_rows);
    const cols = header.map((_, c) => (numeric[c] ? new Float64Array(n).fill(NaN) : new Array<string | null>(n).fill(null)));
    try {
      await parquetRead({
        file: buffer,
        metadata,
        compressors,
        onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
          const c = header!.indexOf(columnName);
          const dest = cols[c];
          const end = Math.min(rowEnd, n);
          if (dest instanceof Float64Array) {
            for (let r = rowStart; r < end; r++) {
              const v = columnData[r - rowStart] as number | bigint | null | undefined;
              if (v === null || v === undefined) continue;
              const x = Number(v);
              if (typeof v === 'bigint' && !Number.isSafeInteger(x))
                throw inputError(`${file}: column "${columnName}" holds ${v}, beyond what a double represents exactly`);
              dest[r] = x;
            }
          } else for (let r = rowStart; r < end; r++) dest[r] = toText(columnData[r - rowStart]);
        },
      });
    } catch (e) {
      throw inputError(`${file}: cannot read its rows: ${(e as Error).message}`);
    }
    cols.forEach((col, c) => parts[c].push(col));
    rows += n;
  }
  if (rows === 0) throw inputError(`${path}: the Parquet data has no rows`);
  const numbers = new Map<string, Float64Array>();
  const text = new Map<string, (string | null)[]>();
  header!.forEach((h, c) => {
    if (numeric[c]) {
      const all = new Float64Array(rows);
      let at = 0;
      for (const p of parts[c] as Float64Array[]) {
        all.set(p, at);
        at += p.length;
      }
      numbers.set(h, all);
    } else text.set(h, (parts[c] as (string | null)[][]).flat());
  });
  return {
    table: typedTable(path, header!, rows, text, numbers),
    columns: columnTypes,
    files,
  };
}

/**
 * Writes a table as one Parquet file (snappy). A column whose every value is a number
 * in its shortest form is stored as DOUBLE, any other as STRING, so reading the file back
 * yields exactly the same text values (and the same digest).
 */
export async function writeParquet(file: string, table: RawTable): Promise<ParquetColumn[]> {
  const { parquetWriteFile } = await import('hyparquet-writer');
  const types: ParquetColumn[] = [];
  const columnData = table.header.map((name) => {
    const column = table.columns.get(name)!;
    const numbers = column.plainNumbers();
    const values = numbers ? null : column.toArray();
    const numeric = numbers !== null;
    types.push({ name, type: numeric ? 'DOUBLE' : 'BYTE_ARRAY/STRING' });
    if (!numeric) return { name, data: values!, type: 'STRING' as const, nullable: true };
    const data = numbers
      ? Array.from(numbers, (x) => (Number.isNaN(x) ? null : x))
      : values!.map((v) => (v === null ? null : Number(v)));
    return { name, data, type: 'DOUBLE' as const, nullable: true };
  });
  parquetWriteFile({ filename: file, columnData, rowGroupSize: 100_000 });
  return types;
}
