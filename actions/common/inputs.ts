/**
 * Typed, validated action inputs. The runner passes inputs as `INPUT_<NAME>` environment
 * variables (spaces → `_`, upper-cased, hyphens kept); composite actions in this
 * repository set those variables explicitly from `${{ inputs.* }}`. Every check names
 * the input, so a failing step says which `with:` line to fix.
 */
import * as core from '@actions/core';
import { usageError } from '../../pipeline/core/index.ts';

export function stringInput(name: string, fallback = ''): string {
  const v = core.getInput(name);
  return v === '' ? fallback : v;
}

export function requiredInput(name: string): string {
  const v = core.getInput(name);
  if (v === '') throw usageError(`input "${name}" is required but was empty; set it with \`with: ${name}: …\``);
  return v;
}

export function optionalInput(name: string): string | null {
  const v = core.getInput(name);
  return v === '' ? null : v;
}

/** Like core.getBooleanInput, but empty means the default and the error names the input and value. */
export function booleanInput(name: string, fallback: boolean): boolean {
  const v = core.getInput(name);
  if (v === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(v)) return true;
  if (['false', 'False', 'FALSE'].includes(v)) return false;
  throw usageError(`input "${name}" must be true or false (got ${JSON.stringify(v)})`);
}

export function integerInput(name: string, min: number, max: number): number | null {
  const v = core.getInput(name);
  if (v === '') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw usageError(`input "${name}" must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return n;
}

export function choiceInput<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const v = core.getInput(name);
  if (v === '') return fallback;
  if (!(choices as readonly string[]).includes(v)) {
    throw usageError(
      `input "${name}" must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')} (got ${JSON.stringify(v)})`,
    );
  }
  return v as T;
}

/** A JSON object of engine parameters, e.g. `{"nTrees": 300, "maxDepth": 6}`. */
export function paramsInput(name: string): Record<string, number | string | boolean> | null {
  const v = core.getInput(name);
  if (v === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (e) {
    throw usageError(`input "${name}" must be a JSON object such as {"nTrees": 300}: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw usageError(`input "${name}" must be a JSON object such as {"nTrees": 300} (got ${JSON.stringify(v)})`);
  }
  const out: Record<string, number | string | boolean> = {};
  for (const [k, val] of Object.entries(parsed)) {
    if (typeof val !== 'number' && typeof val !== 'string' && typeof val !== 'boolean') {
      throw usageError(
        `input "${name}": parameter "${k}" must be a number, string or boolean (got ${JSON.stringify(val)})`,
      );
    }
    out[k] = val;
  }
  return out;
}
