import { resolve } from 'node:path';
import {
  CreditModel,
  readCsvFile,
  toDataset,
  computeMetrics,
  writeJsonAtomic,
  usageError,
} from '../../pipeline/core/index.ts';
import type { Command } from '../command.ts';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score a labelled CSV with a model and print its metrics as JSON',
  help: `Usage: mlops evaluate --model FILE --data FILE [--out FILE]

Scores every row of --data (which must have the target column) at the model's own
threshold and costs, and prints the metrics JSON (or writes it to --out).

  --model FILE   model.json (or model.json.gz) from a run or the registry
  --data FILE    labelled CSV with the model's feature columns
  --out FILE     write the metrics JSON here instead of printing it
  -h, --help     show this help`,
  options: { model: { type: 'string', short: 'm' }, data: { type: 'string' }, out: { type: 'string', short: 'o' } },
  async run(args, io) {
    const modelPath = args.values.model as string | undefined;
    const dataPath = args.values.data as string | undefined;
    if (!modelPath) throw usageError('evaluate needs --model FILE');
    if (!dataPath) throw usageError('evaluate needs --data FILE');
    const model = CreditModel.load(resolve(io.cwd, modelPath));
    const ds = toDataset(readCsvFile(resolve(io.cwd, dataPath)), model.bundle.schema, { requireTarget: true });
    const p = model.score(ds);
    const metrics = {
      rows: ds.rows,
      model: { name: model.bundle.name, digest: model.bundle.digest },
      ...computeMetrics(ds.y!, p, model.threshold, model.bundle.costs),
    };
    if (args.values.out) writeJsonAtomic(resolve(io.cwd, args.values.out as string), metrics);
    else io.out(JSON.stringify(metrics, null, 2));
    return 0;
  },
};
