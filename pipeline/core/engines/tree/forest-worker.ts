/**
 * Worker thread side of forest training and batch scoring. A worker outlives one fit (it
 * is pooled): per fit it receives the job, grows the trees it is asked for and, when told
 * to finish, hands back its out-of-bag votes and forgets the job. Between fits it helps
 * score large batches (parallel-scoring.ts).
 */
import { parentPort } from 'node:worker_threads';
import { BY_HELPER, workOnBatch } from './block-walk.ts';
import { ForestGrower, treeBuffers } from './forest-trees.ts';
import type { WorkerReply, WorkerRequest } from './forest-protocol.ts';

const port = parentPort!;
let grower: ForestGrower | null = null;

function reply(msg: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'job') {
    grower = new ForestGrower(msg.job);
    reply({ type: 'ready' });
  } else if (msg.type === 'score') {
    // Nothing to answer: the caller waits on the batch's shared counters.
    workOnBatch(msg.batch, BY_HELPER);
  } else if (msg.type === 'grow') {
    const g = grower!;
    const trees = msg.trees.map((index) => ({ index, tree: g.grow(index) }));
    reply(
      { type: 'trees', trees },
      trees.flatMap((t) => treeBuffers(t.tree)),
    );
  } else {
    const sum = grower?.oobSum ?? new Float64Array(0);
    const count = grower?.oobCount ?? new Uint32Array(0);
    grower = null;
    reply({ type: 'oob', sum, count }, [sum.buffer as ArrayBuffer, count.buffer as ArrayBuffer]);
  }
});
