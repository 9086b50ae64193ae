import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import {
  CreditModel,
  csvEncoding,
  inputError,
  outputFile,
  readCsvChunks,
  removeStaleTemps,
  tempSibling,
  toDataset,
  usageError,
} from '../../pipeline/core/index.ts';
import type { Command } from '../command.ts';
import { progressFor } from '../progress.ts';

export const predictCommand: Command = {
  help: `Usage: mlops predict --model FILE --data FILE [--id COLUMN…] [--out FILE] [--encoding NAME]

Scores --data in chunks (constant memory, any file size) and writes CSV with the ID
columns, "probability" (of the positive class) and "decision".

  --model FILE      model.json (or model.json.gz)
  --data FILE       CSV with the model's feature columns (the target column is optional)
  --id COLUMN       a column of --data to copy into the output unchanged, e.g. a
                    customer ID (repeatable, or comma-separated; it may also be a
                    feature). Default: the columns the model treats as IDs
                    (data.id_columns, or found at training)
  --out FILE        write the CSV here (its folder must exist, and it must not be an
                    input); written to a temporary file, then renamed
  --encoding NAME   utf8 (the default; bytes that are not UTF-8 are refused) or latin1
  -h, --help        show this help`,
  options: {
    model: { type: 'string', short: 'm' },
    data: { type: 'string' },
    id: { type: 'string', multiple: true },
    out: { type: 'string', short: 'o' },
    encoding: { type: 'string' },
  },
  async run(args, io) {
    const modelArg = args.values.model as string | undefined;
    const dataArg = args.values.data as string | undefined;
    if (!modelArg) throw usageError('predict needs --model FILE');
    if (!dataArg) throw usageError('predict needs --data FILE');
    const modelPath = resolve(io.cwd, modelArg);
    const dataPath = resolve(io.cwd, dataArg);
    const encoding = csvEncoding(args.values.encoding as string | undefined, '--encoding');
    const outPath = args.values.out
      ? outputFile(resolve(io.cwd, args.values.out as string), [dataPath, modelPath])
      : null;
    const model = CreditModel.load(modelPath);
    const schema = model.bundle.schema;
    const asked = ((args.values.id as string[] | undefined) ?? []).flatMap((s) => s.split(',').map((c) => c.trim()));
    if (asked.some((c) => c === '')) throw usageError('--id needs a column name (e.g. --id customer_id)');
    if (outPath) removeStaleTemps(dirname(outPath), basename(outPath));
    const tmp = outPath ? tempSibling(outPath) : null;
    const sink = tmp ? createWriteStream(tmp) : process.stdout;
    // A write error (a full disk) surfaces from the next write or the final flush, not as an unhandled event.
    let failed: Error | null = null;
    if (tmp) sink.on('error', (e) => (failed = e));
    const write = async (text: string): Promise<void> => {
      if (failed) throw failed;
      if (!sink.write(text)) await once(sink, 'drain');
    };
    const progress = progressFor(io);
    try {
      let wroteHeader = false;
      progress.onStage?.(`scoring ${dataArg}`);
      for await (const chunk of readCsvChunks(dataPath, { encoding, onProgress: progress.onProgress })) {
        const ds = toDataset(chunk, schema, { requireTarget: false });
        const idCols = asked.length ? asked : schema.ids.filter((id) => chunk.columns.has(id));
        const missing = idCols.filter((c) => !chunk.columns.has(c));
        if (missing.length)
          throw inputError(
            `${dataArg}: --id column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} not in the file (columns: ${chunk.header.join(', ')})`,
          );
        if (!wroteHeader) {
          await write(stringify([[...idCols, 'probability', 'decision']]));
          wroteHeader = true;
        }
        const p = model.score(ds);
        const rows = Array.from(p, (prob, i) => [
          ...idCols.map((c) => chunk.columns.get(c)!.get(i) ?? ''),
          prob.toFixed(6),
          model.decision(prob),
        ]);
        await write(stringify(rows));
      }
      if (tmp && outPath) {
        sink.end();
        await once(sink, 'finish');
        if (failed) throw failed;
        renameSync(tmp, outPath);
      }
    } catch (e) {
      progress.close(true);
      if (tmp) {
        (sink as ReturnType<typeof createWriteStream>).destroy();
        rmSync(tmp, { force: true });
      }
      throw e;
    } finally {
      progress.close();
    }
    return 0;
  },
};
