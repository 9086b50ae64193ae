/**
 * `npm run bench:auto [-- --datasets a,b] [--sizes 24000,100000] [--budget 30] [--ensemble]`
 *
 * The acceptance comparison, each case in its own process: on every data set's fixed
 * split, `engine: auto` over logistic, forest and gbdt; each of those engines searched alone
 * by the same machinery with the same budget (`auto.engines: [one]`); and the default engine
 * (forest, defaults). Prints the test ROC AUC, the winner and its CV score, the plan's
 * estimated seconds and the measured ones. A benchmark, not a test.
 *
 * `--ensemble` compares `auto` with `auto` + `auto.ensemble` instead (the same search and
 * seed, so the same single winner): whether the ensemble was kept, its cross-validated lead
 * over the winner with the paired standard error, and both test ROC AUCs.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { markdownTable } from 'markdown-table';
import type { AutoCaseResult } from './auto-case.ts';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'credit_data,lending_club,synthetic' },
    sizes: { type: 'string', default: '24000,100000' },
    budget: { type: 'string', default: '30' },
    ensemble: { type: 'boolean', default: false },
  },
});
const budget = Number(values.budget);
const datasets = values
  .datasets!.split(',')
  .flatMap((d) => (d === 'synthetic' ? values.sizes!.split(',').map((n) => `synthetic-${n}`) : [d]));
const VARIANTS: { name: string; engine: string; engines?: string[]; ensemble?: boolean }[] = values.ensemble
  ? [
      { name: 'auto', engine: 'auto' },
      { name: 'auto + ensemble', engine: 'auto', ensemble: true },
    ]
  : [
      { name: 'auto', engine: 'auto' },
      { name: 'logistic alone', engine: 'auto', engines: ['logistic'] },
      { name: 'forest alone', engine: 'auto', engines: ['forest'] },
      { name: 'gbdt alone', engine: 'auto', engines: ['gbdt'] },
      { name: 'forest (default engine)', engine: 'forest' },
    ];

function run(dataset: string, v: (typeof VARIANTS)[number]): AutoCaseResult | null {
  const code = `import { autoCase } from ${JSON.stringify(join(ROOT, 'bench/auto-case.ts'))};
const r = await autoCase(${JSON.stringify(dataset)}, ${JSON.stringify(v.engine)}, ${JSON.stringify({ budget, engines: v.engines, ensemble: v.ensemble })});
process.stdout.write(JSON.stringify(r) + '\\n'); process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    process.stderr.write(`  ${v.name} on ${dataset} failed:\n${r.stderr.slice(-2000)}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as AutoCaseResult;
}

process.stderr.write(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0].toFixed(1)}; auto.budget_seconds ${budget}\n`,
);
const rows: string[][] = [];
for (const dataset of datasets) {
  for (const v of VARIANTS) {
    process.stderr.write(`• ${v.name} on ${dataset} (load average ${loadavg()[0].toFixed(1)})\n`);
    const r = run(dataset, v);
    if (!r) continue;
    rows.push([
      dataset,
      v.name,
      String(r.rows),
      r.winner,
      r.cv,
      String(r.candidates),
      r.planned_s ? r.planned_s.toFixed(1) : '',
      r.select_s ? r.select_s.toFixed(1) : '',
      r.seconds.toFixed(1),
      r.auc.toFixed(4),
      ...(values.ensemble ? [r.ensemble] : []),
    ]);
  }
}
console.log(
  markdownTable(
    [
      [
        'data',
        'variant',
        'train rows',
        'chosen',
        'CV ROC AUC',
        'candidates',
        'planned s',
        'search s',
        'total s',
        'test ROC AUC',
        ...(values.ensemble ? ['ensemble vs winner (CV)'] : []),
      ],
      ...rows,
    ],
    { align: ['l', 'l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'] },
  ),
);
