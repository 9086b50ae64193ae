/**
 * Reading numbers from text cells and reporting bad ones: what loading a data set needs
 * from the schema layer, kept apart from schema inference so that scoring paths (the
 * service) do not load the data-summary library that inference uses.
 */
import { inputError } from '../common/errors.ts';

/** Errors listed in one message before "and N more". */
export const MAX_LISTED = 10;

export function parseNumber(v: string): number {
  const n = Number(v);
  return v.trim() === '' ? NaN : n;
}

/** Parses a numeric column; a text value is reported with its line and column. */
export function toNumeric(values: readonly (string | null)[], name: string, file: string, errors: string[], firstLine = 2): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) {
      out[i] = NaN;
      continue;
    }
    const n = parseNumber(v);
    if (!Number.isFinite(n)) {
      errors.push(`line ${i + firstLine}, column "${name}": ${JSON.stringify(v)} is not a number`);
      out[i] = NaN;
    } else out[i] = n;
  }
  return out;
}

export function throwIfErrors(errors: string[], file: string): void {
  if (errors.length === 0) return;
  const more = errors.length > MAX_LISTED ? `\n  … and ${errors.length - MAX_LISTED} more` : '';
  throw inputError(`${file}: ${errors.length} invalid value${errors.length > 1 ? 's' : ''}:\n  - ${errors.slice(0, MAX_LISTED).join('\n  - ')}${more}`, errors);
}
