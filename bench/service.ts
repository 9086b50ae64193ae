/**
 * `npm run bench:service [-- --duration 15] [--connections 64] [--workers auto] [--mode threads|cluster] [--model FILE] [--tool autocannon|wrk] [--threads 1] [--start | --source]`
 *
 * Load benchmark of the scoring service with autocannon: single-applicant POST
 * /v1/predict and 100-row POST /v1/predict/batch, each at 64 connections for 15 s.
 * Starts the service itself on a free port — by default the esbuild bundle, built afresh
 * into a temporary folder exactly as for the container image; `--start` starts it as
 * `npm start` does (service/launch.ts: the current bundle in a process of its own, the
 * launcher's process counted too); `--source` runs the TypeScript through tsx — logs at
 * info level, discarded, with the image's NODE_OPTIONS (--max-semi-space-size=2) unless
 * NODE_OPTIONS is set —
 * samples the memory of every service process, and prints req/s, p50/p99 latency, errors,
 * peak RSS and peak PSS as a markdown table. RSS summed over processes counts the pages
 * they share (the Node binary, libraries) once per process; PSS splits shared pages
 * between the processes sharing them, so its sum is what they use together. A benchmark,
 * not a test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { markdownTable } from 'markdown-table';
import { readCsvFile } from '../pipeline/core/data/csv.ts';
import { readBundle } from '../pipeline/core/model/bundle.ts';
import { resolveModelSource } from '../service/scoring/model-source.ts';

const ROOT = join(import.meta.dirname, '..');
/** The container image's NODE_OPTIONS (Dockerfile). */
const IMAGE_NODE_OPTIONS = '--max-semi-space-size=2';
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '64' },
    workers: { type: 'string', default: 'auto' },
    /** WORKER_MODE: `threads` (one process) or `cluster` (a process per worker). */
    mode: { type: 'string', default: 'threads' },
    model: { type: 'string' },
    url: { type: 'string' },
    /** `wrk` (Debian package) costs the machine less CPU per request than autocannon. */
    tool: { type: 'string', default: 'autocannon' },
    /** wrk threads: one leaves the most CPU to the service when both share the machine. */
    threads: { type: 'string', default: '1' },
    /** Run the TypeScript source with tsx instead of the bundle the container runs. */
    source: { type: 'boolean', default: false },
    /** Start the service as `npm start` does (service/launch.ts). */
    start: { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function modelPath(): string {
  if (values.model) return values.model;
  try {
    return resolveModelSource({ modelPath: null, modelVersion: null, root: ROOT, modelName: null }).path;
  } catch {
    // No champion yet: train a logistic model to a temporary folder.
    const out = join(mkdtempSync(join(tmpdir(), 'bench-service-')), 'run');
    process.stderr.write(`no registry champion; training a logistic model to ${out}\n`);
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/mlops.mjs'), 'train', '--engine', 'logistic', '--quiet', '--out', out],
      { cwd: ROOT, stdio: 'inherit' },
    );
    if (r.status !== 0) throw new Error('training a model for the benchmark failed');
    return join(out, 'model.json');
  }
}

/** A process and its children. */
function treePids(pid: number): number[] {
  const pids = [pid];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(d));
    } catch {
      // process went away
    }
  }
  return pids;
}

/** CPU seconds (user + system) used so far by a process and its children. */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of treePids(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // process went away
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Resident memory (MB) of a process and its children, from /proc. */
function treeRss(pid: number): { total: number; max: number } {
  const rss = (p: number): number => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  const pids = treePids(pid);
  const each = pids.map(rss);
  return { total: each.reduce((a, b) => a + b, 0), max: each.reduce((a, b) => Math.max(a, b), 0) };
}

/** Proportional set size (MB) summed over a process and its children (shared pages split between their users). */
function treePss(pid: number): number {
  let kb = 0;
  for (const p of treePids(pid)) {
    try {
      kb += Number(/Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // process went away
    }
  }
  return kb / 1024;
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function runAutocannon(url: string, body: string, seconds: number): Promise<LoadResult> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors + r.timeouts };
}

/** wrk with a Lua script for the POST body; latency percentiles from --latency. */
async function runWrk(url: string, body: string, seconds: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  const script = join(dir, 'post.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`,
  );
  // Asynchronous, so the memory sampler keeps running while wrk does.
  const child = spawn(
    'wrk',
    ['-t', values.threads, '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', script, url],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += String(c)));
  child.stderr.on('data', (c) => (err += String(c)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`wrk failed (is Debian's wrk installed?): ${err}`);
  const ms = (label: string): number => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
  const errors =
    num(/Non-2xx or 3xx responses: (\d+)/) +
    (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
      .exec(out)
      ?.slice(1)
      .reduce((a, b) => a + Number(b), 0) ?? 0);
  return { rps: num(/Requests\/sec:\s+([\d.]+)/), p50: ms('50'), p99: ms('99'), errors };
}

/** The service bundled as for the container image (npm run build:service), in a temporary folder. */
let bundleDir: string | null = null;
function buildBundle(): string {
  const out = (bundleDir = mkdtempSync(join(tmpdir(), 'bench-service-bundle-')));
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'service/build.ts'), '--out', out], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error('building the service bundle failed');
  return join(out, 'service.mjs');
}

async function waitReady(url: string, child: ChildProcess | null): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child && child.exitCode !== null) throw new Error(`service exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('service did not become ready in 30 s');
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0];
  let url = values.url ?? '';
  let child: ChildProcess | null = null;
  let path = '';
  if (!url) {
    path = modelPath();
    const port = await freePort();
    const args = values.start
      ? ['--import', 'tsx', join(ROOT, 'service/launch.ts')]
      : values.source
        ? ['--import', 'tsx', join(ROOT, 'service/main.ts')]
        : [buildBundle()];
    child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        MODEL_PATH: path,
        PORT: String(port),
        HOST: '127.0.0.1',
        WORKERS: values.workers,
        WORKER_MODE: values.mode,
        LOG_LEVEL: 'info',
        MLOPS_SERVICE_MAIN: '1',
        // npm start's launcher applies the image's NODE_OPTIONS to the service itself.
        ...(values.start ? {} : { NODE_OPTIONS: process.env.NODE_OPTIONS ?? IMAGE_NODE_OPTIONS }),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    url = `http://127.0.0.1:${port}`;
  }
  await waitReady(url, child);
  // Against a running service (--url) the applicants come from --model when given, else the registry's champion.
  const schema = readBundle(
    path ||
      values.model ||
      resolveModelSource({ modelPath: null, modelVersion: null, root: ROOT, modelName: null }).path,
  ).schema;
  const table = readCsvFile(join(ROOT, 'data/credit_data/test.csv'));
  const records = Array.from({ length: 100 }, (_, i) => {
    const rec: Record<string, unknown> = {};
    for (const f of schema.features) {
      const v = table.columns.get(f.name)!.get(i);
      rec[f.name] = v === null ? null : f.kind === 'numeric' ? Number(v) : v;
    }
    return rec;
  });
  const cases = [
    { name: 'single /v1/predict', path: '/v1/predict', body: JSON.stringify(records[0]), rows: 1 },
    { name: '100-row /v1/predict/batch', path: '/v1/predict/batch', body: JSON.stringify(records), rows: 100 },
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    const load = values.tool === 'wrk' ? runWrk : runAutocannon;
    // Warm up the JIT and the connection pool before measuring.
    await load(url + c.path, c.body, 2);
    let peak = { total: 0, max: 0 };
    let peakPss = 0;
    let ticks = 0;
    const timer = child
      ? setInterval(() => {
          const r = treeRss(child!.pid!);
          if (r.total > peak.total) peak = { total: r.total, max: Math.max(peak.max, r.max) };
          // PSS walks the page tables: sampled once a second, not four times.
          if (ticks++ % 4 === 0) peakPss = Math.max(peakPss, treePss(child!.pid!));
        }, 250)
      : null;
    const cpu0 = child ? treeCpuSeconds(child.pid!) : 0;
    const res = await load(url + c.path, c.body, duration);
    const cpu = child ? treeCpuSeconds(child.pid!) - cpu0 : NaN;
    if (timer) clearInterval(timer);
    rows.push([
      c.name,
      Math.round(res.rps).toLocaleString('en-US'),
      Math.round(res.rps * c.rows).toLocaleString('en-US'),
      res.p50.toFixed(1),
      res.p99.toFixed(1),
      String(res.errors),
      // Service CPU per request: a figure the other load on a shared machine does not distort much.
      child ? Math.round((cpu * 1e6) / (res.rps * duration)).toLocaleString('en-US') : 'n/a',
      child ? `${peak.total.toFixed(0)} (largest process ${peak.max.toFixed(0)})` : 'n/a',
      child ? peakPss.toFixed(0) : 'n/a',
    ]);
    process.stderr.write(`${c.name}: done\n`);
  }
  if (child) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  const served = values.url
    ? 'external'
    : values.start
      ? 'npm start (service/launch.ts and the bundle it starts)'
      : values.source
        ? 'TypeScript source via tsx'
        : 'esbuild bundle as in the container image';
  const tool =
    values.tool === 'wrk' ? `wrk (${values.threads} thread${values.threads === '1' ? '' : 's'})` : values.tool;
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, service: ${served}, ${tool}, ${connections} connections, ${duration} s per case, service workers: ${values.workers === 'auto' ? availableParallelism() : values.workers} (WORKER_MODE=${values.mode}), NODE_OPTIONS=${process.env.NODE_OPTIONS ?? IMAGE_NODE_OPTIONS}, load generator on the same machine, load average before/after ${loadBefore.toFixed(1)}/${loadavg()[0].toFixed(1)}`;
  process.stdout.write(`${machine}\n\n`);
  process.stdout.write(
    markdownTable([
      [
        'case',
        'req/s',
        'rows/s',
        'p50 ms',
        'p99 ms',
        'errors + non-2xx',
        'service CPU µs/req',
        'peak RSS MB (all processes)',
        'peak PSS MB (all processes)',
      ],
      ...rows,
    ]) + '\n',
  );
}

main().catch((e: Error) => {
  process.stderr.write(`bench:service failed: ${e.message}\n`);
  process.exit(1);
});
