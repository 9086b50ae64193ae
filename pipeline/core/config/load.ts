/**
 * Finds, parses, validates and resolves the config. Every problem names the file and
 * the offending key (as a JSON pointer like `/split/train`), so a user can fix it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { configError } from '../common/errors.ts';
import { configSchema } from './schema.ts';
import { defaultConfig } from './defaults.ts';
import type { MlopsConfig } from './types.ts';
import { checkSourceConfig } from '../data/source.ts';

export const CONFIG_FILES = ['mlops.config.json', 'mlops.config.yaml', 'mlops.config.yml'];

// Compiled on first use: commands that never read a config (mlops predict) skip the cost.
let validator: ValidateFunction | null = null;
const validateConfig = (): ValidateFunction =>
  (validator ??= new Ajv({ allErrors: true, strict: false }).compile(configSchema));

export interface LoadedConfig {
  config: MlopsConfig;
  /** The file it came from, or null when only defaults apply. */
  file: string | null;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
}

/** Looks for a config file in `cwd` when none is named. */
export function findConfig(cwd: string): string | null {
  for (const name of CONFIG_FILES) {
    const p = resolve(cwd, name);
    if (existsSync(p)) return p;
  }
  return null;
}

export function loadConfig(file: string | null, cwd = process.cwd()): LoadedConfig {
  const path = file ? resolve(cwd, file) : findConfig(cwd);
  if (!path) return { config: defaultConfig(), file: null, baseDir: cwd };
  if (!existsSync(path)) throw configError(`config file not found: ${file}`);
  const text = readFileSync(path, 'utf8');
  const raw = parseConfigText(text, path);
  return { config: resolveConfig(raw, path), file: path, baseDir: dirname(path) };
}

export function parseConfigText(text: string, path: string): unknown {
  if (/\.ya?ml$/i.test(path)) {
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw configError(`${path}: malformed YAML at line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`);
    }
    return doc.toJS();
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw configError(`${path}: malformed JSON: ${(e as Error).message}`);
  }
}

/** Validates a parsed config object and merges it over the defaults. */
export function resolveConfig(raw: unknown, path = 'mlops.config.json'): MlopsConfig {
  const validate = validateConfig();
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map(describeAjvError);
    throw configError(`${path}: invalid config:\n  - ${problems.join('\n  - ')}`, problems);
  }
  const merged = deepMerge(defaultConfig(), raw as unknown) as MlopsConfig;
  const { train, validation, test } = merged.split;
  if (Math.abs(train + validation + test - 1) > 1e-9) {
    throw configError(`${path}: /split: train + validation + test must add up to 1 (got ${train + validation + test})`);
  }
  if (merged.data.source) checkSourceConfig(merged.data.source, path);
  return merged;
}

export function describeAjvError(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') {
    return `${at}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (e.keyword === 'required') {
    return `${at}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
  }
  if (e.keyword === 'enum') {
    return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${at}: ${e.message ?? 'is invalid'}`;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      // Own data properties only: a key named like Object.prototype's ("__proto__",
      // "constructor") is a key like any other, never a prototype or an inherited value.
      const value = Object.hasOwn(base, k) ? deepMerge(base[k], v) : v;
      Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return over === undefined ? base : over;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Resolves a path from the config against the config's folder. */
export function resolvePath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
