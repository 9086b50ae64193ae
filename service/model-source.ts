/**
 * Which bundle the service serves: MODEL_PATH when given, else the registry's champion.
 * The registry (pipeline/registry) owns the layout; this module only asks it, and keeps a
 * small reader of models/registry.json for checkouts where that module is not there yet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MlopsError } from '../pipeline/errors.ts';
import { loadConfig } from '../pipeline/config/load.ts';

export interface ModelSource {
  path: string;
  /** Registry version, when known (from the registry, MODEL_VERSION or a `/vN/` path). */
  version: number | null;
}

export function resolveModelSource(opts: { modelPath: string | null; modelVersion: number | null; root: string; modelName: string | null }): ModelSource {
  if (opts.modelPath) {
    const path = resolve(opts.root, opts.modelPath);
    return { path, version: opts.modelVersion ?? versionFromPath(path) ?? versionFile(path) };
  }
  const { registryDir, name } = registryLocation(opts.root, opts.modelName);
  const champion = championFromRegistry(registryDir, name);
  return { path: champion.path, version: opts.modelVersion ?? champion.version };
}

function registryLocation(root: string, modelName: string | null): { registryDir: string; name: string } {
  let registry = 'models';
  let name = modelName ?? 'credit-default';
  try {
    const { config, baseDir } = loadConfig(null, root);
    registry = resolve(baseDir, config.registry.path);
    name = modelName ?? config.model_name;
  } catch {
    // No config file: the documented defaults.
    registry = resolve(root, registry);
  }
  return { registryDir: registry, name };
}

/** models/registry.json → champion version → models/<name>/v<N>/model.json(.gz). */
export function championFromRegistry(registryDir: string, name: string): ModelSource {
  const file = join(registryDir, 'registry.json');
  if (!existsSync(file)) {
    throw new MlopsError('state', `no model to serve: set MODEL_PATH, or promote a model so ${file} names a champion for "${name}"`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MlopsError('integrity', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  const version = championVersion(doc, name);
  if (version === null) throw new MlopsError('state', `${file} names no champion for model "${name}"; set MODEL_PATH or promote a model`);
  for (const f of ['model.json.gz', 'model.json']) {
    const p = join(registryDir, name, `v${version}`, f);
    if (existsSync(p)) return { path: p, version };
  }
  throw new MlopsError('state', `${file} names v${version} of "${name}" as champion but ${join(registryDir, name, `v${version}`)} holds no model.json(.gz)`);
}

/** Accepts `{models: {name: {champion}}}`, `{name: {champion}}` or `{name, champion}`; champion a number or `{version}`. */
function championVersion(doc: unknown, name: string): number | null {
  const asVersion = (c: unknown): number | null => {
    if (typeof c === 'number' && Number.isInteger(c)) return c;
    if (c && typeof c === 'object' && typeof (c as { version?: unknown }).version === 'number') return (c as { version: number }).version;
    return null;
  };
  if (!doc || typeof doc !== 'object') return null;
  const d = doc as Record<string, unknown>;
  const models = d.models;
  if (models && typeof models === 'object') {
    const entry = Array.isArray(models) ? models.find((m) => m && (m as { name?: unknown }).name === name) : (models as Record<string, unknown>)[name];
    if (entry && typeof entry === 'object') return asVersion((entry as Record<string, unknown>).champion);
  }
  if (d[name] && typeof d[name] === 'object') return asVersion((d[name] as Record<string, unknown>).champion);
  if (d.name === name || d.name === undefined) return asVersion(d.champion);
  return null;
}

/** `model-version` next to the bundle (written by build:service into the image). */
function versionFile(path: string): number | null {
  const f = join(dirname(path), 'model-version');
  if (!existsSync(f)) return null;
  const v = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(v) && v > 0 ? v : null;
}

function versionFromPath(path: string): number | null {
  const m = /[\\/]v(\d+)[\\/][^\\/]+$/.exec(path);
  return m ? Number(m[1]) : null;
}
