/**
 * `mlops tune --engine auto`: the search `mlops train --engine auto` makes, on the same rows
 * (train()'s training split), without the refit — in one process, or one stage's shard at a
 * time (auto-shards.ts). Its selection.json lets `mlops train --selection` seal the bundle
 * the search in one process would have.
 */
import { usageError } from '../common/errors.ts';
import { AUTO_ENGINE } from '../engines/index.ts';
import { readAutoSearchRows, type TrainOptions } from '../training/train.ts';
import { prepareAutoSearch, runAutoSearch } from './auto.ts';
import {
  runAutoShard,
  selectionFileOf,
  type AutoSelectionFile,
  type AutoStageFile,
  type StageRun,
} from './auto-shards.ts';
import type { Shard } from './tune.ts';

export type AutoRunOptions = Pick<TrainOptions, 'config' | 'baseDir' | 'workers' | 'env' | 'onStage' | 'onProgress'>;

async function prepared(opts: AutoRunOptions) {
  if (opts.config.engine.name !== AUTO_ENGINE)
    throw usageError(`this is engine "auto"'s search; the config's engine is "${opts.config.engine.name}"`);
  opts.onStage?.('loading data');
  const { pool, data } = await readAutoSearchRows(opts);
  return { search: prepareAutoSearch({ config: opts.config, pool, onStage: opts.onStage }), data };
}

/** The whole search in this process. */
export async function searchAuto(opts: AutoRunOptions): Promise<AutoSelectionFile> {
  const { search, data } = await prepared(opts);
  return selectionFileOf(search, data, await runAutoSearch(search, opts));
}

/** This shard's share of the stage after `previous` (the stage files of every stage so far), written to `dir`. */
export async function searchAutoShard(
  opts: AutoRunOptions & { shard: Shard; previous: AutoStageFile[]; dir: string },
): Promise<StageRun> {
  const { search, data } = await prepared(opts);
  return runAutoShard(search, data, opts.previous, opts.shard, opts.dir, opts);
}
