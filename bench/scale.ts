/**
 * `npm run bench:scale [-- --sizes 500000,1000000,2000000] [--engines gbdt,forest,logistic] [--steps train,ingest,run] [--keep]`
 *
 * The CLI at scale, end to end, on synthetic loan files of each size (bench/synthetic.ts's
 * 23 columns — 20 numeric, 3 categorical — plus the target):
 *  - `mlops train` with each engine on all N rows;
 *  - `mlops ingest` appending the last tenth of the rows to a data set of the first nine
 *    tenths (so the data set grows to N), then `mlops run --no-report` on it: the scheduled
 *    retrain's training, gate and promotion.
 * `--steps` picks among train, ingest and run (run needs ingest).
 * Each command runs in its own process; the table gives its wall time, its CPU time and
 * peak RSS (worker threads included, from bench/peak-rss.mjs), and CPU seconds per 100,000
 * rows, whose steadiness across sizes says whether the work grows linearly with the rows
 * (wall time moves with whatever else the machine runs). A benchmark,
 * not a test: nothing here passes or fails. The machine's load average is printed at the
 * start and the end, because on a shared machine it moves the times.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { markdownTable } from 'markdown-table';
import { syntheticCredit } from './synthetic.ts';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '500000,1000000,2000000' },
    engines: { type: 'string', default: 'gbdt,forest,logistic' },
    steps: { type: 'string', default: 'train,ingest,run' },
    keep: { type: 'boolean' },
  },
});
const sizes = values.sizes!.split(',').map(Number);
const engines = values.engines!.split(',');
const chosen = new Set(values.steps!.split(','));
for (const s of chosen)
  if (!['train', 'ingest', 'run'].includes(s)) throw new Error(`--steps: unknown step ${s} (train, ingest, run)`);
if (chosen.has('run') && !chosen.has('ingest'))
  throw new Error('--steps: run retrains on the ingested data set, so it needs ingest');

const SEX = ['male', 'female'];
const EDUCATION = ['graduate school', 'university', 'high school', 'other'];
const MARRIAGE = ['married', 'single', 'other'];

/**
 * Writes `rows` synthetic loans to `file` (and, when `split` is given, the rows from that
 * index on to a second file with the same header), 100,000 rows at a time.
 */
async function writeLoans(rows: number, file: string, split?: { at: number; file: string }): Promise<void> {
  const main = createWriteStream(file);
  const rest = split ? createWriteStream(split.file) : null;
  const write = async (s: NodeJS.WritableStream, text: string): Promise<void> => {
    if (!s.write(text)) await once(s, 'drain');
  };
  let header = '';
  for (let start = 0; start < rows; start += 100_000) {
    const n = Math.min(100_000, rows - start);
    const { X, y } = syntheticCredit(n, 1 + start / 100_000);
    if (start === 0) {
      header = [...X.names, 'default'].join(',') + '\n';
      await write(main, header);
      if (rest) await write(rest, header);
    }
    const lines: string[] = [];
    const flush = async (to: NodeJS.WritableStream): Promise<void> => {
      if (lines.length) await write(to, lines.join('\n') + '\n');
      lines.length = 0;
    };
    for (let i = 0; i < n; i++) {
      if (split && start + i === split.at) await flush(main);
      const c = X.columns;
      const cells: string[] = [];
      for (let j = 0; j < c.length; j++) {
        const v = c[j][i];
        cells.push(
          j === 1 ? SEX[v - 1] : j === 2 ? EDUCATION[v - 1] : j === 3 ? MARRIAGE[v - 1] : String(Math.round(v)),
        );
      }
      cells.push(y[i] ? 'yes' : 'no');
      lines.push(cells.join(','));
    }
    await flush(split && start + n > split.at ? rest! : main);
  }
  main.end();
  rest?.end();
  await Promise.all([once(main, 'finish'), rest ? once(rest, 'finish') : Promise.resolve()]);
}

function project(dir: string): void {
  mkdirSync(join(dir, 'data', 'incoming'), { recursive: true });
  writeFileSync(
    join(dir, 'mlops.config.json'),
    JSON.stringify({
      model_name: 'scale',
      data: { path: 'data/loans.csv', target: 'default', positive: 'yes' },
      engine: { name: 'gbdt', params: {} },
    }),
  );
}

interface Step {
  rows: number;
  step: string;
  engine: string;
  seconds: number;
  cpuSeconds: number;
  peakMb: number;
  ok: boolean;
}

/** Runs one mlops command in its own process; its wall time, CPU time and peak RSS. */
function mlops(cwd: string, args: string[]): { seconds: number; cpuSeconds: number; peakMb: number; ok: boolean } {
  const rssFile = join(cwd, '.peak-rss');
  rmSync(rssFile, { force: true });
  rmSync(`${rssFile}.cpu`, { force: true });
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    ['--import', join(ROOT, 'bench/peak-rss.mjs'), join(ROOT, 'bin/mlops.mjs'), ...args],
    {
      cwd,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      env: { ...process.env, MLOPS_PEAK_RSS_FILE: rssFile },
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    process.stderr.write(`  mlops ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr.slice(-3000)}\n`);
  let peakMb = NaN;
  let cpuSeconds = NaN;
  try {
    peakMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    cpuSeconds = Number(readFileSync(`${rssFile}.cpu`, 'utf8')) / 1e6;
  } catch {
    // The process died before its exit handler ran.
  }
  return { seconds, cpuSeconds, peakMb, ok: r.status === 0 };
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');
process.stderr.write(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average (1/5/15 min) at the start: ${load()}\n`,
);
const work = mkdtempSync(join(tmpdir(), 'mlops-scale-'));
const steps: Step[] = [];
/** Records a step and prints its figures at once, so a run stopped early still tells what it measured. */
const record = (s: Step): void => {
  steps.push(s);
  process.stderr.write(
    `  ${s.ok ? 'ok' : 'FAILED'}: ${s.seconds.toFixed(1)} s (CPU ${s.cpuSeconds.toFixed(1)} s), peak RSS ${Math.round(s.peakMb)} MB; load ${load()}\n`,
  );
};
try {
  for (const n of sizes) {
    const whole = join(work, `n${n}`);
    project(whole);
    if (chosen.has('train')) {
      process.stderr.write(`• writing ${n} rows\n`);
      await writeLoans(n, join(whole, 'data', 'loans.csv'));
    }
    for (const engine of chosen.has('train') ? engines : []) {
      process.stderr.write(`• ${n} rows: mlops train --engine ${engine}\n`);
      record({
        rows: n,
        step: 'train',
        engine,
        ...mlops(whole, ['train', '--engine', engine, '--quiet', '--out', `runs/${engine}`]),
      });
    }
    if (!values.keep) rmSync(whole, { recursive: true, force: true });
    if (!chosen.has('ingest')) continue;

    const grown = join(work, `g${n}`);
    project(grown);
    const at = Math.round(n * 0.9);
    await writeLoans(n, join(grown, 'data', 'loans.csv'), { at, file: join(grown, 'data', 'incoming', 'new.csv') });
    process.stderr.write(`• ${n} rows: mlops ingest (${at} + ${n - at}), then mlops run\n`);
    record({ rows: n, step: 'ingest', engine: '', ...mlops(grown, ['ingest']) });
    if (chosen.has('run'))
      record({ rows: n, step: 'retrain (run)', engine: 'gbdt', ...mlops(grown, ['run', '--quiet', '--no-report']) });
    if (!values.keep) rmSync(grown, { recursive: true, force: true });
  }
} finally {
  if (values.keep) process.stderr.write(`kept: ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
}
process.stderr.write(`load average at the end: ${load()}\n`);

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(
  markdownTable(
    [
      ['rows', 'command', 'engine', 'wall s', 'CPU s', 'peak RSS MB', 'CPU s per 100k rows', 'exit'],
      ...steps.map((s) => [
        String(s.rows),
        s.step,
        s.engine,
        f(s.seconds),
        f(s.cpuSeconds),
        f(s.peakMb, 0),
        f((s.cpuSeconds / s.rows) * 100_000, 2),
        s.ok ? 'ok' : 'FAILED',
      ]),
    ],
    { align: ['r', 'l', 'l', 'r', 'r', 'r', 'r', 'l'] },
  ),
);
