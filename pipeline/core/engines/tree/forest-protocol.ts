/** Messages between the main thread and its pooled worker threads (forest training, batch scoring). */
import type { SharedBatch } from './block-walk.ts';
import type { CompactTree } from './compact.ts';
import type { ForestJob } from './forest-trees.ts';

/** Score blocks of a shared batch (parallel-scoring.ts); the answer is written to shared memory. */
export interface ScoreRequest {
  type: 'score';
  batch: SharedBatch;
}

export type WorkerRequest =
  { type: 'job'; job: ForestJob } | { type: 'grow'; trees: number[] } | { type: 'finish' } | ScoreRequest;

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'trees'; trees: { index: number; tree: CompactTree }[] }
  | { type: 'oob'; sum: Float64Array; count: Uint32Array };
