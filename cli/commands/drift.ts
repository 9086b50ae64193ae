import { resolve } from 'node:path';
import { loadConfig, CreditModel, csvEncoding } from '../../pipeline/core/index.ts';
import {
  runDrift,
  writeDriftOutputs,
  driftMarkdown,
  championModel,
  championTrainingData,
  isDriftSourceUri,
  readDriftInput,
  type DriftInput,
} from '../../pipeline/gitops/index.ts';
import type { Command } from '../command.ts';
import { withProgress } from '../progress.ts';

export const driftCommand: Command = {
  help: `Usage: mlops drift [--reference FILE] [--current FILE] [--model FILE] [--out DIR] [--json]

Compares the current data with the reference data feature by feature (Population
Stability Index on bins fixed by the reference, Kolmogorov–Smirnov for numeric and
Jensen–Shannon distance for categorical features), the model's score distribution,
and — when the current data has the target column — the model's metrics on it against
the metrics recorded when it was trained. Thresholds: the config's "drift" section.

  --reference URI     reference CSV or data source — FILE.parquet, parquet:FOLDER,
                      snapshot:POINTER, postgres:TABLE?key=…, postgres:SELECT … ORDER BY …
                      (default: the model's training data, found by its sha256 in the
                      data file or git history; else data.path)
  --current URI       the same kinds, a scoring log (.jsonl) written by the service, or
                      postgres-log:TABLE, the scoring log the service writes to a table
                      (default: the rows ingested into data.path since the reference)
  --model FILE        model bundle to score with (default: the registry's champion)
  --no-model          data drift only
  --out DIR           write drift.json, drift.md and SVG charts into DIR
  --json              print the report as JSON (default: markdown)
  --fail-on-drift     exit 3 when data-set, score or model drift is found
  --encoding NAME     text encoding of the CSV files: utf8 (the default; bytes that are
                      not UTF-8 are refused) or latin1 (default: data.encoding)
  --config FILE       config file (default: mlops.config.json in the current folder)
  -h, --help          show this help`,
  options: {
    reference: { type: 'string' },
    current: { type: 'string' },
    model: { type: 'string' },
    'no-model': { type: 'boolean' },
    out: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
    'fail-on-drift': { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    encoding: { type: 'string' },
  },
  async run(args, io) {
    const v = args.values;
    const { config, baseDir } = loadConfig((v.config as string | undefined) ?? null, io.cwd);
    if (v.encoding !== undefined) config.data.encoding = csvEncoding(v.encoding as string, '--encoding');
    let model: CreditModel | null = null;
    if (v.model) model = CreditModel.load(resolve(io.cwd, v.model as string));
    else if (!v['no-model']) model = championModel(config, baseDir);
    if (!model && !v['no-model'])
      io.err('note: no --model given and no champion in the registry: score and model drift are skipped');
    // Tables, queries, Parquet and snapshots are read here; CSV and .jsonl files by runDrift.
    const input = async (value: unknown): Promise<DriftInput | null> =>
      typeof value === 'string' && isDriftSourceUri(value) ? readDriftInput(value, { baseDir: io.cwd }) : null;
    const { report, md } = await withProgress(io, false, async ({ onStage, onProgress }) => {
      const referenceRead = await input(v.reference);
      const currentRead = await input(v.current);
      const report = runDrift({
        trainedData: v.model || v['no-model'] ? null : championTrainingData(config, baseDir),
        config,
        baseDir,
        reference: v.reference && !referenceRead ? resolve(io.cwd, v.reference as string) : null,
        current: v.current && !currentRead ? resolve(io.cwd, v.current as string) : null,
        referenceRead,
        currentRead,
        model,
        onStage,
        onProgress,
      });
      if (!v.out) return { report, md: driftMarkdown(report) };
      onStage?.('writing drift.json, drift.md and charts');
      return { report, md: await writeDriftOutputs(resolve(io.cwd, v.out as string), report) };
    });
    if (v.out) io.err(`wrote drift.json, drift.md and charts to ${v.out as string}`);
    io.out(v.json ? JSON.stringify(report, null, 2) : md);
    const drifted = report.dataset_drift || Boolean(report.score?.drifted) || Boolean(report.model_drift?.drifted);
    return v['fail-on-drift'] && drifted ? 3 : 0;
  },
};
