/** Messages between the forest trainer and its worker threads. */
import type { CompactTree } from './compact.ts';

export type WorkerRequest = { type: 'grow'; trees: number[] } | { type: 'finish' };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'trees'; trees: { index: number; tree: CompactTree }[] }
  | { type: 'oob'; sum: Float64Array; count: Uint32Array };
