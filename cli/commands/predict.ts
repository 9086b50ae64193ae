import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CreditModel, readCsvChunks, toDataset, usageError } from '../../pipeline/core/index.ts';
import type { Command } from '../command.ts';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'score a CSV: ID columns, probability and decision per row (streamed)',
  help: `Usage: mlops predict --model FILE --data FILE [--out FILE]

Scores --data in chunks (constant memory, any file size) and writes CSV with the ID
columns the model kept, "probability" (of the positive class) and "decision".

  --model FILE   model.json (or model.json.gz)
  --data FILE    CSV with the model's feature columns (the target column is optional)
  --out FILE     write the CSV here (written to a temporary file, then renamed)
  -h, --help     show this help`,
  options: { model: { type: 'string', short: 'm' }, data: { type: 'string' }, out: { type: 'string', short: 'o' } },
  async run(args, io) {
    const modelPath = args.values.model as string | undefined;
    const dataPath = args.values.data as string | undefined;
    if (!modelPath) throw usageError('predict needs --model FILE');
    if (!dataPath) throw usageError('predict needs --data FILE');
    const model = CreditModel.load(resolve(io.cwd, modelPath));
    const schema = model.bundle.schema;
    const outPath = args.values.out ? resolve(io.cwd, args.values.out as string) : null;
    const tmp = outPath ? `${outPath}.${process.pid}.tmp` : null;
    const sink = tmp ? createWriteStream(tmp) : process.stdout;
    const write = async (text: string): Promise<void> => {
      if (!sink.write(text)) await once(sink, 'drain');
    };
    try {
      let wroteHeader = false;
      for await (const chunk of readCsvChunks(resolve(io.cwd, dataPath))) {
        const ds = toDataset(chunk, schema, { requireTarget: false });
        const idCols = schema.ids.filter((id) => ds.ids.has(id));
        if (!wroteHeader) {
          await write(stringify([[...idCols, 'probability', 'decision']]));
          wroteHeader = true;
        }
        const p = model.score(ds);
        const rows = Array.from(p, (prob, i) => [
          ...idCols.map((c) => ds.ids.get(c)![i] ?? ''),
          prob.toFixed(6),
          model.decision(prob),
        ]);
        await write(stringify(rows));
      }
      if (tmp && outPath) {
        sink.end();
        await once(sink, 'finish');
        renameSync(tmp, outPath);
      }
    } catch (e) {
      if (tmp) {
        (sink as ReturnType<typeof createWriteStream>).destroy();
        rmSync(tmp, { force: true });
      }
      throw e;
    }
    return 0;
  },
};
