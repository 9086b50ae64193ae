/** The engines a config or `--engine` may name. */
import { usageError } from '../common/errors.ts';
import type { EngineFactory } from './engine.ts';
import { forestFactory } from './forest.ts';
import { gbdtFactory } from './gbdt.ts';
import { logisticFactory } from './logistic.ts';
import { mlRandomForestFactory } from './ml-random-forest.ts';

const factories: EngineFactory[] = [forestFactory, gbdtFactory, logisticFactory, mlRandomForestFactory];

export const ENGINES: ReadonlyMap<string, EngineFactory> = new Map(factories.map((f) => [f.name, f]));

export function engineFactory(name: string): EngineFactory {
  const f = ENGINES.get(name);
  if (!f) throw usageError(`unknown engine "${name}" (choose one of: ${[...ENGINES.keys()].join(', ')})`);
  return f;
}
