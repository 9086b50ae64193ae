/**
 * Imbalance options compared on lending_club (about 5 % defaults): class weights and
 * stratified resampling of the training rows. Each option is fitted on 80 % of
 * data/lending_club/train.csv, the cost threshold is chosen on the other 20 %
 * (validation, real class mix), and everything is measured once on test.csv.
 * A benchmark, never a test. Usage:
 *   npx tsx bench/imbalance.ts [--engines logistic,gbdt,forest] [--dataset lending_club] [--seed 42] [--fn 5] [--fp 1]
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { markdownTable } from 'markdown-table';
import { readCsvFile } from '../pipeline/core/data/csv.ts';
import { inferSchema } from '../pipeline/core/data/schema.ts';
import { subset, toDataset } from '../pipeline/core/data/dataset.ts';
import { fitPreprocessor, transform } from '../pipeline/core/features/preprocess.ts';
import { engineFactory } from '../pipeline/core/engines/index.ts';
import { resolveParams, type ParamValues } from '../pipeline/core/engines/params.ts';
import { computeMetrics } from '../pipeline/core/evaluation/metrics.ts';
import { chooseThreshold } from '../pipeline/core/evaluation/threshold.ts';
import { stratifiedSplit } from '../pipeline/core/training/split.ts';
import { negativeToPositiveRatio, parseSampling, resampleRows } from '../pipeline/core/tuning/imbalance.ts';
import { num } from '../pipeline/core/common/format.ts';

const DATASETS: Record<string, { target: string; positive: string }> = {
  lending_club: { target: 'Class', positive: 'bad' },
  credit_data: { target: 'Status', positive: 'bad' },
};

interface Option {
  label: string;
  params: ParamValues;
  sampling: string;
}

/** The options that make sense per engine: its own weighting knob plus resampling. */
function optionsFor(engine: string, ratio: number): Option[] {
  const none: Option = { label: 'none', params: {}, sampling: 'none' };
  const resampling: Option[] = [
    { label: 'undersample 1:1', params: {}, sampling: 'undersample:1' },
    { label: 'undersample 1:3', params: {}, sampling: 'undersample:3' },
    { label: 'oversample 1:1', params: {}, sampling: 'oversample:1' },
  ];
  const spec = engineFactory(engine).paramSpec;
  const weights: Option[] = [];
  if ('classWeight' in spec)
    weights.push({ label: 'classWeight: balanced', params: { classWeight: 'balanced' }, sampling: 'none' });
  if ('scalePosWeight' in spec) {
    const r = Number(ratio.toFixed(2));
    weights.push({ label: `scalePosWeight: ${r} (neg/pos)`, params: { scalePosWeight: r }, sampling: 'none' });
    weights.push({
      label: `scalePosWeight: ${Number(Math.sqrt(ratio).toFixed(2))} (√ neg/pos)`,
      params: { scalePosWeight: Number(Math.sqrt(ratio).toFixed(2)) },
      sampling: 'none',
    });
  }
  return [none, ...weights, ...resampling];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engines: { type: 'string' },
      dataset: { type: 'string' },
      seed: { type: 'string' },
      fn: { type: 'string' },
      fp: { type: 'string' },
    },
  });
  // The project's default costs (mlops.config.json): a missed default costs 5× a refused good applicant.
  const COSTS = { false_negative: Number(values.fn ?? 5), false_positive: Number(values.fp ?? 1) };
  const dataset = values.dataset ?? 'lending_club';
  const d = DATASETS[dataset];
  if (!d) throw new Error(`unknown data set ${dataset} (${Object.keys(DATASETS).join(', ')})`);
  const engines = (values.engines ?? 'logistic,gbdt,forest').split(',').map((s) => s.trim());
  const seed = Number(values.seed ?? 42);
  const root = join(import.meta.dirname, '..', 'data', dataset);
  const trTable = readCsvFile(join(root, 'train.csv'));
  const schema = inferSchema(trTable, d);
  const all = toDataset(trTable, schema, { requireTarget: true });
  const test = toDataset(readCsvFile(join(root, 'test.csv')), schema, { requireTarget: true });
  const split = stratifiedSplit(all.y!, { train: 0.8, validation: 0.2, test: 0 }, seed);
  const fitAll = subset(all, split.train);
  const val = subset(all, split.validation);
  const ratio = negativeToPositiveRatio(fitAll.y!);
  const rows: string[][] = [];
  for (const engine of engines) {
    const factory = engineFactory(engine);
    const prep = fitPreprocessor(fitAll, schema, factory.encoding);
    const Xva = transform(prep, val);
    const Xte = transform(prep, test);
    for (const opt of optionsFor(engine, ratio)) {
      const sampling = parseSampling(opt.sampling);
      const keep = resampleRows(fitAll.y!, sampling, seed);
      const fit = subset(fitAll, keep);
      const t0 = performance.now();
      const model = factory.create(resolveParams(engine, factory.paramSpec, opt.params));
      await model.fit(transform(prep, fit), fit.y!, { seed, validation: { X: Xva, y: val.y! } });
      const fitS = (performance.now() - t0) / 1000;
      const { threshold } = chooseThreshold(val.y!, model.predictProba(Xva), COSTS);
      const m = computeMetrics(test.y!, model.predictProba(Xte), threshold, COSTS);
      const row = [
        engine,
        opt.label,
        String(fit.rows),
        num(m.roc_auc),
        num(m.pr_auc),
        num(threshold),
        num(m.recall),
        num(m.expected_cost),
        fitS.toFixed(2),
      ];
      rows.push(row);
      process.stderr.write(`${row.join(' | ')}\n`);
    }
  }
  const pos = test.y!.reduce((s, v) => s + v, 0);
  console.log(
    `\n${dataset}: ${fitAll.rows} fit rows (${(100 / (1 + ratio)).toFixed(2)} % bad), ${val.rows} validation rows (threshold), ${test.rows} test rows (${pos} bad); costs FN ${COSTS.false_negative} / FP ${COSTS.false_positive}; seed ${seed}\n`,
  );
  console.log(
    markdownTable([
      [
        'engine',
        'option',
        'fit rows',
        'test ROC AUC',
        'test PR AUC',
        'cost threshold',
        'recall at threshold',
        'expected cost / applicant',
        'fit s',
      ],
      ...rows,
    ]),
  );
  console.log(
    `\n(All-approve baseline: expected cost ${num((COSTS.false_negative * pos) / test.rows)} per applicant.)`,
  );
}

await main();
