import { resolve } from 'node:path';
import {
  CreditModel,
  csvEncoding,
  readCsvFile,
  toDataset,
  computeMetrics,
  outputFile,
  undefinedMetrics,
  writeJsonAtomic,
  usageError,
} from '../../pipeline/core/index.ts';
import type { Command } from '../command.ts';
import { withProgress } from '../progress.ts';

export const evaluateCommand: Command = {
  help: `Usage: mlops evaluate --model FILE --data FILE [--out FILE] [--encoding NAME]

Scores every row of --data (which must have the target column) at the model's own
threshold and costs, and prints the metrics JSON (or writes it to --out). A metric the
rows cannot define (recall without a positive row, ROC AUC with one class) is null, with
a warning.

  --model FILE      model.json (or model.json.gz) from a run or the registry
  --data FILE       labelled CSV with the model's feature columns
  --out FILE        write the metrics JSON here instead of printing it (its folder must
                    exist, and it must not be an input)
  --encoding NAME   utf8 (the default; bytes that are not UTF-8 are refused) or latin1
  -h, --help        show this help`,
  options: {
    model: { type: 'string', short: 'm' },
    data: { type: 'string' },
    out: { type: 'string', short: 'o' },
    encoding: { type: 'string' },
  },
  async run(args, io) {
    const modelArg = args.values.model as string | undefined;
    const dataArg = args.values.data as string | undefined;
    if (!modelArg) throw usageError('evaluate needs --model FILE');
    if (!dataArg) throw usageError('evaluate needs --data FILE');
    const modelPath = resolve(io.cwd, modelArg);
    const dataPath = resolve(io.cwd, dataArg);
    const encoding = csvEncoding(args.values.encoding as string | undefined, '--encoding');
    const out = args.values.out ? outputFile(resolve(io.cwd, args.values.out as string), [dataPath, modelPath]) : null;
    const { model, ds, computed } = await withProgress(io, false, (progress) => {
      progress.onStage?.('loading the model and data');
      const model = CreditModel.load(modelPath);
      const ds = toDataset(readCsvFile(dataPath, { encoding, onProgress: progress.onProgress }), model.bundle.schema, {
        requireTarget: true,
      });
      progress.onStage?.(`scoring ${ds.rows} rows`);
      const p = model.score(ds);
      progress.onStage?.('computing metrics');
      return { model, ds, computed: computeMetrics(ds.y!, p, model.threshold, model.bundle.costs) };
    });
    const schema = model.bundle.schema;
    for (const w of undefinedMetrics(computed, schema)) io.err(`warning: ${dataArg}: ${w}`);
    const metrics = { rows: ds.rows, model: { name: model.bundle.name, digest: model.bundle.digest }, ...computed };
    if (out) writeJsonAtomic(out, metrics);
    else io.out(JSON.stringify(metrics, null, 2));
    return 0;
  },
};
