/**
 * `npm run bench:sources [-- --rows 1000000] [--repeat 3]`
 *
 * Reads the same rows × 23 columns (20 numeric, 2 categorical features and the label;
 * bench/synthetic.ts's generator) from a CSV file, a Parquet file written by
 * `writeParquet`, and a PostgreSQL 15 table in a throwaway cluster
 * (test/sources/pg-cluster.ts), each into the engines' feature matrix as training
 * does, each read in its own process (peak RSS is that process's). Beside them, in the
 * same run: `psql -c "COPY … TO STDOUT"` of the same table to /dev/null — the floor for
 * getting those rows out of the server at all. Prints the median of the repeats per
 * case and the ratios the issue sets goals for. A benchmark, not a test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { markdownTable } from 'markdown-table';
import { readCsvFile } from '../pipeline/core/data/csv.ts';
import { writeParquet } from '../pipeline/core/data/parquet.ts';
import { startPgCluster } from '../test/sources/pg-cluster.ts';
import { syntheticCredit } from './synthetic.ts';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, repeat: { type: 'string', default: '3' } },
});
const rows = Number(values.rows);
const repeat = Number(values.repeat);

const SEX = ['male', 'female'];
const EDUCATION = ['graduate', 'university', 'high school', 'other'];

/** The bench data as CSV text: 20 numeric and 2 categorical features and the label. */
function makeCsv(file: string): void {
  const { X, y } = syntheticCredit(rows, 7);
  const keep = X.names.map((_, j) => j).filter((j) => j !== 3); // MARRIAGE out: 22 features + label = 23 columns
  const header = [...keep.map((j) => X.names[j]), 'default'];
  const lines: string[] = [header.join(',')];
  for (let i = 0; i < rows; i++) {
    const f = keep.map((j) => {
      const v = X.columns[j][i];
      if (j === 1) return SEX[v - 1];
      if (j === 2) return EDUCATION[v - 1];
      return j === 0 ? String(Math.round(v * 100) / 100) : String(v);
    });
    lines.push(`${f.join(',')},${y[i] ? 'yes' : 'no'}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

interface Measure {
  rows: number;
  digest: string;
  read_s: number;
  dataset_s: number;
  matrix_s: number;
  total_s: number;
  peak_rss_mb: number;
}

function measure(uri: string, env: NodeJS.ProcessEnv): Measure {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench/sources-read.ts'), uri, 'default', 'yes'],
    {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  if (r.status !== 0) throw new Error(`${uri}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Measure;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cache = join(ROOT, '.bench-cache', `sources-${rows}`);
mkdirSync(cache, { recursive: true });
const csv = join(cache, 'loans.csv');
const parquet = join(cache, 'loans.parquet');
if (!existsSync(csv)) makeCsv(csv);
if (!existsSync(parquet)) await writeParquet(parquet, readCsvFile(csv));
const pg = await startPgCluster();
try {
  const header = readCsvFile(csv).header; // small enough at bench sizes, and read once
  const numeric = header.filter((h) => h !== 'SEX' && h !== 'EDUCATION' && h !== 'default');
  pg.sql(
    `CREATE TABLE loans (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ${header.map((h) => `"${h}" ${numeric.includes(h) ? 'double precision' : 'text'}`).join(', ')});\n` +
      `ALTER TABLE loans OWNER TO ${pg.user};\n` +
      `COPY loans (${header.map((h) => `"${h}"`).join(', ')}) FROM '${csv}' WITH (FORMAT csv, HEADER true);\nVACUUM ANALYZE loans;`,
  );
  const env = { ...process.env, DATABASE_URL: pg.url };
  const cols = header.map((h) => `"${h}"`).join(', ');
  // PostgreSQL first, straight after psql's COPY, so a spike of load on a shared machine
  // falls on both sides of their ratio rather than on one.
  const cases: [string, string][] = [
    ['PostgreSQL table (COPY stream)', `postgres:loans?key=id&columns=${header.join(',')}`],
    ['CSV file', csv],
    ['Parquet file', parquet],
  ];
  const results = new Map<string, Measure[]>(cases.map(([name]) => [name, []]));
  const copy: number[] = [];
  for (let k = 0; k < repeat; k++) {
    const t0 = performance.now();
    const c = spawnSync(
      'sh',
      [
        '-c',
        `psql -X -q -h "$H" -p "$P" -U postgres -d ${pg.database} -c 'COPY (SELECT ${cols.replace(/'/g, "''")} FROM loans ORDER BY id) TO STDOUT' > /dev/null`,
      ],
      {
        env: { ...process.env, H: pg.socketDir, P: String(pg.port) },
      },
    );
    if (c.status !== 0) throw new Error(String(c.stderr));
    copy.push((performance.now() - t0) / 1000);
    for (const [name, uri] of cases) results.get(name)!.push(measure(uri, env));
  }
  const digests = new Set([...results.values()].map((m) => m[0].digest));
  const row = (name: string): Measure => {
    const ms = results.get(name)!;
    return {
      rows: ms[0].rows,
      digest: ms[0].digest,
      read_s: median(ms.map((m) => m.read_s)),
      dataset_s: median(ms.map((m) => m.dataset_s)),
      matrix_s: median(ms.map((m) => m.matrix_s)),
      total_s: median(ms.map((m) => m.total_s)),
      peak_rss_mb: median(ms.map((m) => m.peak_rss_mb)),
    };
  };
  const f = (x: number): string => x.toFixed(2);
  const copyS = median(copy);
  const csvRow = row('CSV file');
  const table = [
    [
      'source',
      'read s',
      'to Dataset s',
      'to matrix s',
      'total s',
      'peak RSS MB',
      'vs psql COPY',
      'total vs psql COPY',
      'vs CSV',
    ],
    ['psql COPY … TO STDOUT (floor)', f(copyS), '', '', f(copyS), '', '1.00×', '1.00×', ''],
    ...cases.map(([name]) => {
      const m = row(name);
      return [
        name,
        f(m.read_s),
        f(m.dataset_s),
        f(m.matrix_s),
        f(m.total_s),
        String(m.peak_rss_mb),
        `${(m.read_s / copyS).toFixed(2)}× (read)`,
        `${(m.total_s / copyS).toFixed(2)}×`,
        `${(m.total_s / csvRow.total_s).toFixed(2)}×`,
      ];
    }),
  ];
  console.log(
    `${rows.toLocaleString('en-US')} rows × ${readCsvFile(csv).header.length} columns; CSV ${(statSync(csv).size / 1e6).toFixed(0)} MB, Parquet ${(statSync(parquet).size / 1e6).toFixed(0)} MB; median of ${repeat} runs; ${cpus().length} cores (${cpus()[0].model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}, ${pg.sql('SHOW server_version').trim()}`,
  );
  console.log(`same rows everywhere: ${digests.size === 1 ? 'yes' : 'NO'} (digest ${[...digests][0].slice(0, 12)}…)\n`);
  console.log(markdownTable(table, { align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] }));
} finally {
  pg.stop();
}
