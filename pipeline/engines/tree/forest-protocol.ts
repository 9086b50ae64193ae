/** Messages between the forest trainer and its pooled worker threads. */
import type { CompactTree } from './compact.ts';
import type { ForestJob } from './forest-trees.ts';

export type WorkerRequest = { type: 'job'; job: ForestJob } | { type: 'grow'; trees: number[] } | { type: 'finish' };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'trees'; trees: { index: number; tree: CompactTree }[] }
  | { type: 'oob'; sum: Float64Array; count: Uint32Array };
