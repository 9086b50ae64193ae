/**
 * One measured read for `npm run bench:sources`, in its own process so its peak RSS is
 * its own: a source (csv, parquet or postgres) into the typed Dataset and then the
 * engines' feature matrix, exactly as training does (libraries loaded before the clock
 * starts). Prints one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { inferSchema } from '../pipeline/core/data/schema.ts';
import { toDataset } from '../pipeline/core/data/dataset.ts';
import { readSource } from '../pipeline/core/data/read-source.ts';
import { parseSourceUri } from '../pipeline/core/data/source.ts';
import { fitPreprocessor, transform } from '../pipeline/core/features/preprocess.ts';

const [uri, target, positive] = process.argv.slice(2);
// The readers load their libraries on first use; load them first so the timings are the reading.
await Promise.all([import('pg'), import('pg-copy-streams'), import('hyparquet'), import('hyparquet-compressors')]);
const t0 = performance.now();
const { table, record } = await readSource(parseSourceUri(uri), { baseDir: process.cwd() });
const t1 = performance.now();
const schema = inferSchema(table, { target, positive });
const ds = toDataset(table, schema, { requireTarget: true });
const t2 = performance.now();
const X = transform(fitPreprocessor(ds, schema, 'tree'), ds);
const t3 = performance.now();
console.log(
  JSON.stringify({
    rows: record.rows,
    columns: table.header.length,
    features: X.columns.length,
    digest: record.digest,
    read_s: (t1 - t0) / 1000,
    dataset_s: (t2 - t1) / 1000,
    matrix_s: (t3 - t2) / 1000,
    total_s: (t3 - t0) / 1000,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
