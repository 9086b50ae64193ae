/**
 * Worker thread side of forest training: grows the trees it is asked for and, when
 * told to finish, hands back its out-of-bag votes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ForestGrower, treeBuffers, type ForestJob } from './forest-trees.ts';
import type { WorkerReply, WorkerRequest } from './forest-protocol.ts';

const port = parentPort!;
const grower = new ForestGrower(workerData as ForestJob);

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'grow') {
    const trees = msg.trees.map((index) => ({ index, tree: grower.grow(index) }));
    const reply: WorkerReply = { type: 'trees', trees };
    port.postMessage(reply, trees.flatMap((t) => treeBuffers(t.tree)));
  } else {
    const reply: WorkerReply = { type: 'oob', sum: grower.oobSum, count: grower.oobCount };
    port.postMessage(reply, [grower.oobSum.buffer as ArrayBuffer, grower.oobCount.buffer as ArrayBuffer]);
    port.close();
  }
});
const ready: WorkerReply = { type: 'ready' };
port.postMessage(ready);
