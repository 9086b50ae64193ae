/**
 * The registry's champion: the default model (and, through its provenance, the default
 * reference data) drift is measured against.
 */
import { CreditModel, type FileRef, type MlopsConfig } from '../../core/index.ts';
import { championBundlePath, findVersion, loadRegistry, modelEntry, registryDir } from '../registry/index.ts';

/** The champion of `model_name`, or null when the registry has none yet. */
export function championModel(config: MlopsConfig, baseDir: string): CreditModel | null {
  const path = championBundlePath(registryDir(config, baseDir), config.model_name);
  return path ? CreditModel.load(path) : null;
}

/** Where the champion's training rows were read from (its lineage), or null when there is no champion. */
export function championTrainingData(config: MlopsConfig, baseDir: string): FileRef | null {
  const dir = registryDir(config, baseDir);
  if (!championBundlePath(dir, config.model_name)) return null;
  const model = modelEntry(loadRegistry(dir), config.model_name);
  const v = model?.aliases.champion != null ? findVersion(model, model.aliases.champion) : null;
  return v?.lineage.data ?? null;
}
