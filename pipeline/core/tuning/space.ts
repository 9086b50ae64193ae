/**
 * Search spaces: for each tuned engine parameter, a range (integer or real, optionally
 * on a log scale), a list of choices, or a fixed value. Every space is checked against
 * the engine's own `paramSpec`, so a typo or an out-of-range bound fails before the
 * first trial rather than after an hour of search.
 */
import { usageError } from '../common/errors.ts';
import type { EngineFactory, ParamSpec, ParamValue, SearchSpace } from '../engines/engine.ts';
import type { ParamValues } from '../engines/params.ts';

/** The space an engine declares for tuning. */
export function defaultSpace(factory: EngineFactory): SearchSpace {
  const space = factory.searchSpace;
  if (!space) {
    throw usageError(
      `no default search space for engine "${factory.name}"; pass --space FILE (parameters: ${Object.keys(factory.paramSpec).join(', ')})`,
    );
  }
  return space;
}

/**
 * Parses a space from JSON-like input (a `--space` file or the config's `tune.spaces`).
 * Accepted forms per parameter: `{ "low": 1, "high": 9, "type": "int", "log": true }`,
 * `{ "values": [..] }`, `{ "value": x }` or a bare scalar (fixed).
 */
export function parseSpace(raw: unknown, where: string): SearchSpace {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw usageError(`${where}: a search space must be a JSON object of parameter → range`);
  const out: SearchSpace = {};
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const at = `${where}: parameter "${key}"`;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
      out[key] = { type: 'fixed', value: v };
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw usageError(`${at}: expected {low, high}, {values: [...]}, {value} or a scalar`);
    const o = v as Record<string, unknown>;
    const known = new Set(['type', 'low', 'high', 'log', 'values', 'value']);
    for (const k of Object.keys(o))
      if (!known.has(k)) throw usageError(`${at}: unknown key "${k}" (use type, low, high, log, values or value)`);
    if ('value' in o) {
      if (!isScalar(o.value)) throw usageError(`${at}: "value" must be a number, string or boolean`);
      out[key] = { type: 'fixed', value: o.value };
    } else if ('values' in o) {
      if (!Array.isArray(o.values) || o.values.length === 0 || !o.values.every(isScalar))
        throw usageError(`${at}: "values" must be a non-empty list of numbers, strings or booleans`);
      out[key] = { type: 'choice', values: o.values };
    } else {
      const { low, high } = o;
      if (typeof low !== 'number' || typeof high !== 'number' || !Number.isFinite(low) || !Number.isFinite(high)) {
        throw usageError(`${at}: "low" and "high" must be finite numbers`);
      }
      if (low > high) throw usageError(`${at}: "low" (${low}) is above "high" (${high})`);
      const type = o.type ?? (Number.isInteger(low) && Number.isInteger(high) ? 'int' : 'float');
      if (type !== 'int' && type !== 'float')
        throw usageError(`${at}: "type" must be "int" or "float" (got ${JSON.stringify(type)})`);
      if (o.log !== undefined && typeof o.log !== 'boolean') throw usageError(`${at}: "log" must be true or false`);
      if (o.log && low <= 0) throw usageError(`${at}: a log-scale range needs "low" > 0 (got ${low})`);
      if (type === 'int' && (!Number.isInteger(low) || !Number.isInteger(high)))
        throw usageError(`${at}: an "int" range needs whole-number bounds`);
      out[key] = { type, low, high, ...(o.log ? { log: true } : {}) };
    }
  }
  return out;
}

/** Refuses parameters the engine lacks and values or bounds its `paramSpec` would reject. */
export function validateSpace(factory: EngineFactory, space: SearchSpace, where: string): void {
  const spec = factory.paramSpec;
  if (Object.keys(space).length === 0)
    throw usageError(`${where}: the search space for engine "${factory.name}" is empty`);
  for (const [key, dim] of Object.entries(space)) {
    const s = spec[key];
    const at = `${where}: engine "${factory.name}" parameter "${key}"`;
    if (!s) throw usageError(`${at} does not exist (known: ${Object.keys(spec).join(', ')})`);
    if (dim.type === 'fixed') checkValue(at, s, dim.value);
    else if (dim.type === 'choice') dim.values.forEach((v) => checkValue(at, s, v));
    else {
      if (s.type !== 'integer' && s.type !== 'number')
        throw usageError(`${at} is a ${s.type}; give it "values": [...] instead of a range`);
      if (s.type === 'integer' && dim.type === 'float') throw usageError(`${at} is a whole number; use "type": "int"`);
      checkValue(at, s, dim.low);
      checkValue(at, s, dim.high);
    }
  }
}

function checkValue(at: string, s: ParamSpec, v: ParamValue): void {
  if (s.type === 'boolean') {
    if (typeof v !== 'boolean') throw usageError(`${at} must be true or false (got ${JSON.stringify(v)})`);
    return;
  }
  if (s.type === 'string') {
    if (typeof v !== 'string') throw usageError(`${at} must be a string (got ${JSON.stringify(v)})`);
    if (s.values && !s.values.includes(v))
      throw usageError(`${at} must be one of ${s.values.join(', ')} (got ${JSON.stringify(v)})`);
    return;
  }
  if (typeof v === 'string') {
    // Numeric parameters may accept keywords, e.g. maxFeatures: "sqrt".
    if (s.values?.includes(v)) return;
    throw usageError(
      `${at} must be a number${s.values ? ` or one of ${s.values.join(', ')}` : ''} (got ${JSON.stringify(v)})`,
    );
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw usageError(`${at} must be a finite number (got ${JSON.stringify(v)})`);
  if (s.type === 'integer' && !Number.isInteger(v)) throw usageError(`${at} must be a whole number (got ${v})`);
  if (s.min !== undefined && v < s.min) throw usageError(`${at} must be ≥ ${s.min} (got ${v})`);
  if (s.max !== undefined && v > s.max) throw usageError(`${at} must be ≤ ${s.max} (got ${v})`);
}

function isScalar(v: unknown): v is ParamValue {
  return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string' || typeof v === 'boolean';
}

/** The parameters a space fixes or searches, for a short description in reports. */
export function describeSpace(space: SearchSpace): string[] {
  return Object.entries(space).map(([k, d]) => {
    if (d.type === 'fixed') return `${k} = ${JSON.stringify(d.value)}`;
    if (d.type === 'choice') return `${k} ∈ {${d.values.map((v) => JSON.stringify(v)).join(', ')}}`;
    return `${k} ∈ [${d.low}, ${d.high}] ${d.type}${d.log ? ' log' : ''}`;
  });
}

/** Keeps a parameter set JSON-stable: keys in space order. */
export function orderParams(space: SearchSpace, params: ParamValues): ParamValues {
  const out: ParamValues = {};
  for (const k of Object.keys(space)) if (Object.hasOwn(params, k)) out[k] = params[k];
  for (const k of Object.keys(params)) if (!Object.hasOwn(out, k)) out[k] = params[k];
  return out;
}
