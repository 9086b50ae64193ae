/**
 * Which bundle the service serves: MODEL_PATH when given, else the registry's champion.
 * The registry (pipeline/gitops/registry) owns the layout and the file format; this module
 * only asks it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MlopsError, loadConfig } from '../../pipeline/core/index.ts';
import { championBundlePath, loadRegistry, modelEntry, registryFile } from '../../pipeline/gitops/index.ts';

type Registry = ReturnType<typeof loadRegistry>;
type ModelEntry = Registry['models'][string];

export interface ModelSource {
  path: string;
  /** Registry version, when known (from the registry, MODEL_VERSION or a `/vN/` path). */
  version: number | null;
}

export function resolveModelSource(opts: {
  modelPath: string | null;
  modelVersion: number | null;
  root: string;
  modelName: string | null;
}): ModelSource {
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

/** The champion of `name` in the registry folder (models/), through pipeline/gitops/registry. */
export function championFromRegistry(registryDir: string, name: string): ModelSource {
  const file = registryFile(registryDir);
  if (!existsSync(file)) {
    throw new MlopsError(
      'state',
      `no model to serve: set MODEL_PATH, or promote a model so ${file} names a champion for "${name}"`,
    );
  }
  const version = modelEntry(loadRegistry(registryDir), name)?.aliases.champion ?? null;
  const path = championBundlePath(registryDir, name);
  if (version === null || path === null)
    throw new MlopsError(
      'state',
      `${file} names no champion for model "${name}"; set MODEL_PATH or promote a model (mlops promote)`,
    );
  return { path, version };
}

/**
 * The registry's entry for the served bundle, and its version there: only when the
 * registry next to the service has a version of that model name with the bundle's own
 * digest. A bundle served from elsewhere (MODEL_PATH) under a name the registry also
 * has is not that model, and must not be shown its history.
 */
export function registryEntryOf(
  root: string,
  name: string,
  digest: string,
): { model: ModelEntry; version: number } | null {
  const { registryDir } = registryLocation(root, name);
  if (!existsSync(registryFile(registryDir))) return null;
  const model = loadRegistry(registryDir).models[name];
  const version = model?.versions.find((v) => v.digest === digest)?.version;
  return model && version !== undefined ? { model, version } : null;
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
