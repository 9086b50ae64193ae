/**
 * Reading numbers from text cells and reporting bad ones: what loading a data set needs
 * from the schema layer, kept apart from schema inference so that scoring paths (the
 * service) do not load the data-summary library that inference uses.
 */
import { inputError } from '../common/errors.ts';
import type { RawColumn } from './table.ts';

/** Errors listed in one message before "and N more". */
export const MAX_LISTED = 10;

export function parseNumber(v: string): number {
  const n = Number(v);
  return v.trim() === '' ? NaN : n;
}

/**
 * A numeric column as numbers (NaN = missing); a cell that is not a number is reported
 * with its line and column. A column of plain numbers is returned as it is, not copied.
 */
export function toNumeric(
  col: RawColumn,
  name: string,
  errors: string[],
  lines: ArrayLike<number>,
): Float64Array {
  const plain = col.plainNumbers();
  if (plain !== null) return plain;
  const out = new Float64Array(col.length);
  for (let i = 0; i < col.length; i++) {
    if (!col.isText(i)) {
      out[i] = col.number(i);
      continue;
    }
    const v = col.get(i)!;
    const n = parseNumber(v);
    if (!Number.isFinite(n)) {
      errors.push(`line ${lines[i]}, column "${name}": ${JSON.stringify(v)} is not a number`);
      out[i] = NaN;
    } else out[i] = n;
  }
  return out;
}

export function throwIfErrors(errors: string[], file: string): void {
  if (errors.length === 0) return;
  const more = errors.length > MAX_LISTED ? `\n  … and ${errors.length - MAX_LISTED} more` : '';
  throw inputError(
    `${file}: ${errors.length} invalid value${errors.length > 1 ? 's' : ''}:\n  - ${errors.slice(0, MAX_LISTED).join('\n  - ')}${more}`,
    errors,
  );
}
