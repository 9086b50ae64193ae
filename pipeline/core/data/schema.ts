/**
 * The data schema: which columns are features, their kind (numeric / categorical),
 * observed categories and ranges, missing counts; which are IDs or dropped and why.
 * Inferred from training data, stored in the bundle, and used to validate every input.
 */
import { inputError } from '../common/errors.ts';
import type { RawColumn, RawTable } from './table.ts';
import { countCategories, summarizeNumeric } from './summary.ts';
import { MAX_LISTED, parseNumber, throwIfErrors, toNumeric } from './values.ts';

export { parseNumber, throwIfErrors, toNumeric } from './values.ts';

export interface NumericColumn {
  name: string;
  kind: 'numeric';
  integer: boolean;
  missing: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  sd: number | null;
  median: number | null;
}

export interface CategoricalColumn {
  name: string;
  kind: 'categorical';
  missing: number;
  /** Observed categories, most frequent first. */
  categories: string[];
  counts: number[];
}

export type ColumnSchema = NumericColumn | CategoricalColumn;

export interface DataSchema {
  target: string;
  positive: string;
  negative: string;
  features: ColumnSchema[];
  /** Identifier columns: copied to predictions, never used as features. */
  ids: string[];
  dropped: { name: string; reason: string }[];
  rows: number;
  positive_rate: number;
}

export interface SchemaOptions {
  target: string;
  positive: string;
  drop?: string[];
  keep?: string[];
  id_columns?: string[];
  column_types?: Record<string, 'numeric' | 'categorical'>;
}

/** Share of parseable values above which a column is numeric and the rest are errors. */
const NUMERIC_MAJORITY = 0.95;

export function inferSchema(table: RawTable, opts: SchemaOptions): DataSchema {
  const { target, positive } = opts;
  const col = table.columns.get(target);
  if (!col) {
    throw inputError(`${table.file}: target column "${target}" not found (columns: ${table.header.join(', ')})`);
  }
  const labels = checkTarget(table, target, positive);
  for (const name of [...(opts.drop ?? []), ...(opts.keep ?? []), ...(opts.id_columns ?? []), ...Object.keys(opts.column_types ?? {})]) {
    if (!table.columns.has(name)) throw inputError(`${table.file}: column "${name}" named in the config is not in the file (columns: ${table.header.join(', ')})`);
  }
  const drop = new Set(opts.drop ?? []);
  const keep = new Set(opts.keep ?? []);
  const ids = [...(opts.id_columns ?? [])];
  const dropped: { name: string; reason: string }[] = [];
  const features: ColumnSchema[] = [];
  const errors: string[] = [];

  for (const name of table.header) {
    if (name === target || ids.includes(name)) continue;
    if (drop.has(name)) {
      dropped.push({ name, reason: 'dropped by config' });
      continue;
    }
    const column = table.columns.get(name)!;
    const forced = opts.column_types && Object.hasOwn(opts.column_types, name) ? opts.column_types[name] : undefined;
    const kind = forced ?? inferKind(column);
    if (kind === 'numeric') {
      const parsed = toNumeric(column, name, errors, table.lines);
      const s = summarizeNumeric(parsed);
      if (!keep.has(name) && looksLikeId(parsed, null)) {
        ids.push(name);
        dropped.push({ name, reason: 'unique per row (looks like an ID); list it in data.keep to use it' });
        continue;
      }
      if (s.missing === column.length) {
        dropped.push({ name, reason: 'every value is missing' });
        continue;
      }
      features.push({
        name,
        kind: 'numeric',
        integer: isIntegerColumn(parsed),
        missing: s.missing,
        min: s.min,
        max: s.max,
        mean: s.mean,
        sd: s.sd,
        median: s.median,
      });
    } else {
      const values = column.toArray();
      if (!keep.has(name) && looksLikeId(null, values)) {
        ids.push(name);
        dropped.push({ name, reason: 'unique per row (looks like an ID); list it in data.keep to use it' });
        continue;
      }
      const { categories, missing } = countCategories(values);
      if (categories.length === 0) {
        dropped.push({ name, reason: 'every value is missing' });
        continue;
      }
      features.push({ name, kind: 'categorical', missing, categories: categories.map((c) => c[0]), counts: categories.map((c) => c[1]) });
    }
  }
  throwIfErrors(errors, table.file);
  if (features.length === 0) throw inputError(`${table.file}: no feature columns left after dropping IDs and configured columns`);
  const positives = labels.counts.get(positive) ?? 0;
  return { target, positive, negative: labels.negative, features, ids, dropped, rows: table.rows, positive_rate: positives / table.rows };
}

function checkTarget(table: RawTable, target: string, positive: string): { negative: string; counts: Map<string, number> } {
  const values = table.columns.get(target)!;
  const counts = new Map<string, number>();
  const missingLines: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values.get(i);
    if (v === null) missingLines.push(table.lines[i]);
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  if (missingLines.length > 0) {
    throw inputError(`${table.file}: target column "${target}" is missing at ${listLines(missingLines)}`);
  }
  const labels = [...counts.keys()].sort();
  if (labels.length !== 2) {
    throw inputError(
      `${table.file}: target column "${target}" must have exactly two labels, found ${labels.length}: ${labels.slice(0, 10).map((l) => JSON.stringify(l)).join(', ')}${labels.length > 10 ? ', …' : ''}`,
    );
  }
  if (!counts.has(positive)) {
    throw inputError(`${table.file}: positive label "${positive}" does not occur in target column "${target}" (labels: ${labels.join(', ')})`);
  }
  return { negative: labels.find((l) => l !== positive)!, counts };
}

function inferKind(column: RawColumn): 'numeric' | 'categorical' {
  // A column of plain numbers (a typed source's) is numeric when any value is present.
  const plain = column.plainNumbers();
  if (plain !== null) return plain.some((v) => !Number.isNaN(v)) ? 'numeric' : 'categorical';
  let present = 0;
  let numeric = 0;
  const parses = new Map<string, boolean>();
  for (let i = 0; i < column.length; i++) {
    if (!column.isText(i)) {
      if (!Number.isNaN(column.number(i))) {
        present++;
        numeric++;
      }
      continue;
    }
    present++;
    const v = column.get(i)!;
    let ok = parses.get(v);
    if (ok === undefined) parses.set(v, (ok = Number.isFinite(parseNumber(v))));
    if (ok) numeric++;
  }
  return present > 0 && numeric / present >= NUMERIC_MAJORITY ? 'numeric' : 'categorical';
}

function isIntegerColumn(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v) && !Number.isInteger(v)) return false;
  }
  return true;
}

/**
 * An ID is unique per row and carries no order that generalises: text that never
 * repeats, or integers that never repeat. Continuous measurements (with decimals) can be
 * all distinct by chance and are kept.
 */
function looksLikeId(numeric: Float64Array | null, text: (string | null)[] | null): boolean {
  const n = numeric ? numeric.length : text!.length;
  if (n < 20) return false;
  const seen = new Set<string | number>();
  if (numeric) {
    for (const v of numeric) {
      if (Number.isNaN(v) || !Number.isInteger(v) || seen.has(v)) return false;
      seen.add(v);
    }
    return true;
  }
  for (const v of text!) {
    if (v === null || seen.has(v)) return false;
    seen.add(v);
  }
  return true;
}

function listLines(lines: number[]): string {
  const shown = lines.slice(0, MAX_LISTED);
  return `line${lines.length > 1 ? 's' : ''} ${shown.join(', ')}${lines.length > MAX_LISTED ? ` and ${lines.length - MAX_LISTED} more` : ''}`;
}
