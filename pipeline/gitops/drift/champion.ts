/**
 * The registry's champion: the default model (and, through its provenance, the default
 * reference data) drift is measured against.
 */
import { CreditModel, type MlopsConfig } from '../../core/index.ts';
import { championBundlePath, registryDir } from '../registry/index.ts';

/** The champion of `model_name`, or null when the registry has none yet. */
export function championModel(config: MlopsConfig, baseDir: string): CreditModel | null {
  const path = championBundlePath(registryDir(config, baseDir), config.model_name);
  return path ? CreditModel.load(path) : null;
}
