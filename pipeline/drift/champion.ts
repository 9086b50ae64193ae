/**
 * The registry's champion: the default model (and, through its provenance, the default
 * reference data) drift is measured against. Reads only the alias and the version's
 * folder from `<registry.path>/registry.json`; the bundle's own digest check guards the
 * rest (readBundle refuses a tampered file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreditModel } from '../model.ts';
import { MlopsError } from '../errors.ts';
import { resolvePath } from '../config/load.ts';
import type { MlopsConfig } from '../config/types.ts';

interface RegistryView {
  models?: Record<string, { aliases?: { champion?: number | null }; versions?: { version: number; path: string; digest: string; bundle: { file: string } }[] }>;
}

/** Path of the champion's bundle, or null when the registry has no champion for `model_name`. */
export function championBundlePath(config: MlopsConfig, baseDir: string): string | null {
  const dir = resolvePath(baseDir, config.registry.path);
  const file = join(dir, 'registry.json');
  if (!existsSync(file)) return null;
  let reg: RegistryView;
  try {
    reg = JSON.parse(readFileSync(file, 'utf8')) as RegistryView;
  } catch (e) {
    throw new MlopsError('integrity', `${file}: malformed JSON (${(e as Error).message})`);
  }
  const model = reg.models?.[config.model_name];
  const n = model?.aliases?.champion;
  if (n === null || n === undefined) return null;
  const v = model?.versions?.find((x) => x.version === n);
  if (!v) throw new MlopsError('integrity', `${file}: models.${config.model_name}.aliases.champion is v${n}, which has no version entry`);
  return join(dir, v.path, v.bundle.file);
}

export function championModel(config: MlopsConfig, baseDir: string): CreditModel | null {
  const path = championBundlePath(config, baseDir);
  if (!path) return null;
  const model = CreditModel.load(path);
  return model;
}
