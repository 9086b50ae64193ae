/**
 * A worker thread that cross-validates trials for `tune --jobs N`. It receives the
 * prepared folds once, then one parameter set at a time; results depend only on the
 * folds and the parameters, never on which thread ran them.
 */
import { parentPort } from 'node:worker_threads';
import { engineFactory } from '../engines/index.ts';
import { isMlopsError } from '../common/errors.ts';
import { crossValidate, type FoldData } from './cv.ts';
import type { TrialRequest, TrialResponse, WorkerInit } from './trial-protocol.ts';

let init: WorkerInit | null = null;
let folds: FoldData[] = [];

parentPort!.on('message', (msg: WorkerInit | TrialRequest) => {
  if (msg.type === 'init') {
    init = msg;
    folds = msg.folds;
    return;
  }
  void run(msg);
});

async function run(req: TrialRequest): Promise<void> {
  const reply = (r: TrialResponse): void => parentPort!.postMessage(r);
  try {
    if (!init) throw new Error('trial worker used before init');
    const cv = await crossValidate(
      engineFactory(init.engine),
      req.params,
      folds,
      init.metric,
      init.costs,
      init.seed,
      1,
    );
    reply({ type: 'result', trial: req.trial, scores: cv.scores, thresholds: cv.thresholds });
  } catch (e) {
    reply({ type: 'result', trial: req.trial, error: (e as Error).message, userError: isMlopsError(e) });
  }
}
