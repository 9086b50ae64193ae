/**
 * The engine registry: the engines a config, `--engine`, the train action's `engine` input
 * and the CI workflow's engine choice may name (with `auto`, which picks one of them). A new engine is its own module (an
 * `EngineFactory` declaring what it can do) plus one entry here; nothing else names
 * engines (test/engines/registry.test.ts holds the workflow choices and the action's
 * description to this list).
 */
import { usageError } from '../common/errors.ts';
import type { EngineFactory } from './engine.ts';
import { forestFactory } from './forest.ts';
import { gbdtFactory } from './gbdt.ts';
import { logisticFactory } from './logistic.ts';
import { mlRandomForestFactory } from './ml-random-forest.ts';
import { AUTO_ENGINE } from './names.ts';

const factories: EngineFactory[] = [forestFactory, gbdtFactory, logisticFactory, mlRandomForestFactory];

export const ENGINES: ReadonlyMap<string, EngineFactory> = new Map(factories.map((f) => [f.name, f]));

export const ENGINE_NAMES: readonly string[] = [...ENGINES.keys()];

export { AUTO_ENGINE, ENSEMBLE_ENGINE } from './names.ts';

/** What a config, `--engine`, the train action's input and the workflows' engine choice may name. */
export const ENGINE_CHOICES: readonly string[] = [...ENGINE_NAMES, AUTO_ENGINE];

export function engineFactory(name: string): EngineFactory {
  const f = ENGINES.get(name);
  if (!f) throw usageError(`unknown engine "${name}" (choose one of: ${ENGINE_NAMES.join(', ')})`);
  return f;
}
