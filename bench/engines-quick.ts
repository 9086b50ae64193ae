/**
 * Quick figures for the tree engines on the bundled splits: test ROC AUC, fit seconds
 * (first fit in the process, then the best of the repeats) and batch scoring time.
 * `--big` also trains on 1,000,000 synthetic rows × 23 columns and reports peak RSS.
 *
 *   nice npx tsx bench/engines-quick.ts [--repeats 3] [--big]
 */
import { loadavg } from 'node:os';
import { cpuUsage, resourceUsage } from 'node:process';
import type { EngineFactory, FeatureMatrix } from '../pipeline/core/engines/engine.ts';
import { forestFactory } from '../pipeline/core/engines/forest.ts';
import { gbdtFactory } from '../pipeline/core/engines/gbdt.ts';
import { loadSplit, rocAuc, synthetic } from '../test/engines/helpers.ts';

const args = process.argv.slice(2);
const repeats = Number(args[args.indexOf('--repeats') + 1] || 3);
const big = args.includes('--big');
const dataDir = new URL('../data/', import.meta.url).pathname;

console.log(
  `load average ${loadavg()
    .map((v) => v.toFixed(1))
    .join(' ')} (wall times on a shared machine inflate with it)`,
);

const sets = [
  { name: 'credit_data', target: 'Status' },
  { name: 'lending_club', target: 'Class' },
];
const engines: EngineFactory[] = [forestFactory, gbdtFactory];

for (const set of sets) {
  const split = loadSplit(`${dataDir}${set.name}`, set.target, 'bad');
  for (const factory of engines) {
    const times: number[] = [];
    const cpu: number[] = [];
    let auc = NaN;
    for (let r = 0; r < repeats; r++) {
      const engine = factory.create({});
      const c0 = cpuUsage();
      const t0 = performance.now();
      await engine.fit(split.train.X, split.train.y, { seed: 42 });
      times.push((performance.now() - t0) / 1000);
      const c = cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e6);
      auc = rocAuc(split.test.y, engine.predictProba(split.test.X));
    }
    console.log(
      `${set.name.padEnd(13)} ${factory.name.padEnd(7)} AUC ${auc.toFixed(4)}  fit ${times[0].toFixed(3)} s first, ${times.reduce((a, b) => Math.min(a, b)).toFixed(3)} s best of ${repeats} (CPU ${cpu.reduce((a, b) => Math.min(a, b)).toFixed(3)} s, all threads)`,
    );
  }
  if (set.name === 'credit_data') {
    const forest = forestFactory.create({ nTrees: 300 });
    await forest.fit(split.train.X, split.train.y, { seed: 42 });
    const X = repeatRows(split.test.X, 20_000);
    let us = Infinity;
    let cpuUs = Infinity;
    for (let r = 0; r < 5; r++) {
      const c0 = cpuUsage();
      const t0 = performance.now();
      forest.predictProba(X);
      us = Math.min(us, ((performance.now() - t0) * 1000) / X.rows);
      const c = cpuUsage(c0);
      cpuUs = Math.min(cpuUs, (c.user + c.system) / X.rows);
    }
    console.log(
      `scoring       forest  300 trees, ${X.rows} rows in one batch: ${us.toFixed(2)} µs/row wall, ${cpuUs.toFixed(2)} µs/row CPU (best of 5)`,
    );
  }
}

if (big) {
  const rows = 1_000_000;
  const data = synthetic(rows, 1, { features: 23, missing: 0.05 });
  for (const [factory, params] of [
    // A few trees suffice to show the memory high-water mark: trees are small next to the data.
    [forestFactory, { nTrees: 16 }],
    [gbdtFactory, {}],
  ] as const) {
    const engine = factory.create(params);
    const t0 = performance.now();
    await engine.fit(data.X, data.y, { seed: 1 });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `${rows} × 23 ${factory.name} ${JSON.stringify(params)}: fit ${s.toFixed(1)} s, peak RSS so far ${(resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );
  }
}

function repeatRows(X: FeatureMatrix, rows: number): FeatureMatrix {
  return {
    ...X,
    rows,
    columns: X.columns.map((c) => Float64Array.from({ length: rows }, (_, i) => c[i % X.rows])),
  };
}
