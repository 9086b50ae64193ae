/**
 * A typed data set laid out by the schema: numeric columns as Float64Array (NaN =
 * missing), categorical columns as strings, the 0/1 target when present, and ID columns.
 */
import { inputError } from '../common/errors.ts';
import type { RawTable } from './table.ts';
import type { DataSchema } from './schema.ts';
import { throwIfErrors, toNumeric } from './values.ts';

export interface Dataset {
  file: string;
  rows: number;
  numeric: Map<string, Float64Array>;
  categorical: Map<string, (string | null)[]>;
  /** 1 = positive label. Null when the file has no target column (scoring). */
  y: Uint8Array | null;
  ids: Map<string, (string | null)[]>;
}

export function toDataset(table: RawTable, schema: DataSchema, opts: { requireTarget: boolean }): Dataset {
  const missingCols = schema.features.filter((f) => !table.columns.has(f.name)).map((f) => f.name);
  if (missingCols.length > 0) {
    throw inputError(
      `${table.file}: missing column${missingCols.length > 1 ? 's' : ''} the model needs: ${missingCols.join(', ')}`,
    );
  }
  const errors: string[] = [];
  const numeric = new Map<string, Float64Array>();
  const categorical = new Map<string, (string | null)[]>();
  for (const f of schema.features) {
    const col = table.columns.get(f.name)!;
    if (f.kind === 'numeric') numeric.set(f.name, toNumeric(col, f.name, errors, table.lines));
    else categorical.set(f.name, col.toArray());
  }
  let y: Uint8Array | null = null;
  const target = table.columns.get(schema.target);
  if (target) {
    y = new Uint8Array(table.rows);
    for (let i = 0; i < table.rows; i++) {
      const v = target.get(i);
      if (v === schema.positive) y[i] = 1;
      else if (v !== schema.negative) {
        errors.push(
          `line ${table.lines[i]}, column "${schema.target}": ${v === null ? 'missing' : JSON.stringify(v)} is not a known label (expected ${JSON.stringify(schema.positive)} or ${JSON.stringify(schema.negative)})`,
        );
      }
    }
  } else if (opts.requireTarget) {
    throw inputError(
      `${table.file}: target column "${schema.target}" not found (columns: ${table.header.join(', ')})`,
    );
  }
  throwIfErrors(errors, table.file);
  const ids = new Map<string, (string | null)[]>();
  for (const id of schema.ids) {
    const v = table.columns.get(id);
    if (v) ids.set(id, v.toArray());
  }
  return { file: table.file, rows: table.rows, numeric, categorical, y, ids };
}

/** Rows `index` of a data set, in that order. */
export function subset(ds: Dataset, index: ArrayLike<number>): Dataset {
  const n = index.length;
  const numeric = new Map<string, Float64Array>();
  for (const [k, v] of ds.numeric) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = v[index[i]];
    numeric.set(k, out);
  }
  const pick = (v: (string | null)[]): (string | null)[] => Array.from({ length: n }, (_, i) => v[index[i]]);
  const categorical = new Map<string, (string | null)[]>();
  for (const [k, v] of ds.categorical) categorical.set(k, pick(v));
  const ids = new Map<string, (string | null)[]>();
  for (const [k, v] of ds.ids) ids.set(k, pick(v));
  let y: Uint8Array | null = null;
  if (ds.y) {
    y = new Uint8Array(n);
    for (let i = 0; i < n; i++) y[i] = ds.y[index[i]];
  }
  return { file: ds.file, rows: n, numeric, categorical, y, ids };
}

/** Builds a data set from JSON records (the service's input); values already validated. */
export function recordsToDataset(records: readonly Record<string, unknown>[], schema: DataSchema): Dataset {
  const n = records.length;
  const numeric = new Map<string, Float64Array>();
  const categorical = new Map<string, (string | null)[]>();
  for (const f of schema.features) {
    if (f.kind === 'numeric') {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = records[i][f.name];
        out[i] = typeof v === 'number' ? v : v === null || v === undefined || v === '' ? NaN : Number(v);
      }
      numeric.set(f.name, out);
    } else {
      categorical.set(
        f.name,
        records.map((r) => {
          const v = r[f.name];
          return v === null || v === undefined || v === '' ? null : String(v);
        }),
      );
    }
  }
  return { file: '<request>', rows: n, numeric, categorical, y: null, ids: new Map() };
}
