/**
 * Engine parameters from config or `--param key=value`: unknown names and values of
 * the wrong type or range are refused with a message naming the engine and parameter.
 */
import { usageError } from '../common/errors.ts';
import type { ParamSpec } from './engine.ts';

export type ParamValues = Record<string, number | string | boolean>;

export function resolveParams(engine: string, spec: Record<string, ParamSpec>, given: ParamValues): ParamValues {
  const out: ParamValues = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(spec, key)) {
      throw usageError(`engine "${engine}" has no parameter "${key}" (known: ${Object.keys(spec).join(', ')})`);
    }
  }
  for (const [key, s] of Object.entries(spec)) {
    const v = Object.hasOwn(given, key) ? coerce(engine, key, s, given[key]) : s.default;
    out[key] = v;
  }
  return out;
}

function coerce(engine: string, key: string, s: ParamSpec, raw: number | string | boolean): number | string | boolean {
  const where = `engine "${engine}" parameter "${key}"`;
  if (s.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw usageError(`${where} must be true or false (got ${JSON.stringify(raw)})`);
  }
  if (s.type === 'string') {
    const v = String(raw);
    if (s.values && !s.values.includes(v))
      throw usageError(`${where} must be one of ${s.values.join(', ')} (got ${JSON.stringify(raw)})`);
    return v;
  }
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (typeof raw === 'string' && (raw.trim() === '' || !Number.isFinite(n))) {
    // Some numeric parameters also accept a keyword (e.g. maxFeatures: "sqrt").
    if (s.values?.includes(raw)) return raw;
    throw usageError(`${where} must be a number (got ${JSON.stringify(raw)})`);
  }
  if (!Number.isFinite(n)) throw usageError(`${where} must be a finite number (got ${JSON.stringify(raw)})`);
  if (s.type === 'integer' && !Number.isInteger(n)) throw usageError(`${where} must be a whole number (got ${raw})`);
  if (s.min !== undefined && n < s.min) throw usageError(`${where} must be ≥ ${s.min} (got ${n})`);
  if (s.max !== undefined && n > s.max) throw usageError(`${where} must be ≤ ${s.max} (got ${n})`);
  return n;
}

/** Parses `key=value` pairs from the command line; numbers and booleans are recognised. */
export function parseParamPairs(pairs: string[]): ParamValues {
  const out: ParamValues = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--param expects key=value (got ${JSON.stringify(pair)})`);
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const parsed =
      value === 'true'
        ? true
        : value === 'false'
          ? false
          : value !== '' && Number.isFinite(Number(value))
            ? Number(value)
            : value;
    // An own property whatever the name, so "__proto__=1" is refused as unknown, not dropped.
    Object.defineProperty(out, key, { value: parsed, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
