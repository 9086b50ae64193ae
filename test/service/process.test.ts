/**
 * The service as a real process, started by `mlops serve` as a user would (the esbuild
 * bundle the image runs, in a process of its own), in both WORKER_MODEs: two threads of one process (the default) and two node:cluster workers;
 * /metrics aggregated over both, and SIGTERM → drain → exit 0. Then the esbuild bundle
 * the container runs, with two threads (its serving thread starts from the bundle).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { APPLICANT, trainedProject, type TrainedProject } from './helpers.ts';

let p: TrainedProject;

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  p = await trainedProject();
});

const MODES = [
  { mode: 'threads', started: /with 2 threads at/ },
  { mode: 'cluster', started: /serving with 2 workers/ },
] as const;

describe.each(MODES)('service process (2 workers, WORKER_MODE=$mode)', ({ mode, started }) => {
  let child: ChildProcess | null = null;
  let url = '';
  let stderr = '';
  let stdout = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // `mlops serve` (the container runs the same code bundled: see the bundle test below and test:container).
    child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/mlops.mjs'),
        'serve',
        '--model',
        p.modelPath,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--workers',
        '2',
      ],
      {
        cwd: p.dir,
        env: { ...process.env, LOG_LEVEL: 'info', WORKER_MODE: mode },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (c) => (stdout += String(c)));
    child.stderr!.on('data', (c) => (stderr += String(c)));
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) throw new Error(`service exited: ${stderr}`);
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok && started.test(stderr)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`service did not start: ${stderr}`);
  });

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves from both workers and aggregates their metrics', async () => {
    // 8 keep-alive clients at once, 25 requests each: both workers get connections (in
    // threads mode the balancer moves connections until each thread holds 4).
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) {
          const r = await fetch(`${url}/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(APPLICANT),
          });
          expect(r.status).toBe(200);
          await r.arrayBuffer();
        }
      }),
    );
    const text = await (await fetch(`${url}/metrics`)).text();
    const served = Number(
      /http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} (\d+)/.exec(text)?.[1],
    );
    expect(served).toBe(200);
    // The model gauge is not summed over workers, and process metrics are there once.
    expect(text).toMatch(/mlops_model_info\{[^}]*\} 1\n/);
    expect(text.match(/^process_resident_memory_bytes /gm)).toHaveLength(1);
    if (mode === 'threads') {
      // Request log lines name the thread: both served.
      await new Promise((r) => setTimeout(r, 300));
      const threads = new Set(
        stdout
          .split('\n')
          .filter((l) => l.includes('"msg":"request"'))
          .map((l) => (JSON.parse(l) as { thread: number }).thread),
      );
      expect([...threads].sort()).toEqual([0, 1]);
    }
  });

  it('runs the esbuild bundle the image runs, in a Node process of its own, with no TypeScript loader', () => {
    const children = readFileSync(`/proc/${child!.pid}/task/${child!.pid}/children`, 'utf8').trim().split(/\s+/);
    expect(children).toHaveLength(1);
    const argv = readFileSync(`/proc/${children[0]}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv).toEqual([process.execPath, expect.stringMatching(/[\\/]service\.mjs$/)]);
    const environ = readFileSync(`/proc/${children[0]}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`NODE_OPTIONS=${process.env.NODE_OPTIONS ?? '--max-semi-space-size=2'}`);
  });

  it('finishes requests in flight in every worker after SIGTERM, then exits 0', async () => {
    // 8 requests whose bodies are half sent when SIGTERM comes (on 8 connections, spread
    // over the workers as the kernel and libuv hand them out), the rest sent after it.
    const body = JSON.stringify(APPLICANT);
    const half = Math.floor(body.length / 2);
    const pending = Array.from({ length: 8 }, () => {
      const req = request(`${url}/v1/predict`, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c) => (text += String(c)));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
      });
      const sent = new Promise<void>((resolve) => req.write(body.slice(0, half), () => resolve()));
      return { req, answer, sent };
    });
    await Promise.all(pending.map((x) => x.sent));
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const x of pending) x.req.end(body.slice(half));
    const answers = await Promise.all(pending.map((x) => x.answer));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect((JSON.parse(a.text) as { probability: number }).probability).toBeGreaterThan(0);
    }
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe.each(MODES)(
  'service process (2 workers, WORKER_MODE=$mode) with a bundle that does not verify',
  ({ mode }) => {
    it('exits 1 before listening, naming the digest problem', async () => {
      const bundle = JSON.parse(readFileSync(p.modelPath, 'utf8')) as { threshold: number };
      bundle.threshold = 0.01;
      const tampered = join(p.dir, 'tampered.json');
      writeFileSync(tampered, JSON.stringify(bundle));
      const port = await freePort();
      const c = spawn(
        process.execPath,
        [
          join(ROOT, 'bin/mlops.mjs'),
          'serve',
          '--model',
          tampered,
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--workers',
          '2',
        ],
        {
          cwd: p.dir,
          env: { ...process.env, LOG_LEVEL: 'warn', WORKER_MODE: mode },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      c.stderr!.on('data', (d) => (err += String(d)));
      const code = await new Promise<number | null>((resolve) => c.once('exit', (x) => resolve(x)));
      expect(code).toBe(1);
      expect(err).toMatch(/digest/);
      // A cluster's workers each load the bundle; in threads mode the main thread loads it first.
      if (mode === 'cluster') expect(err).toMatch(/before listening/);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    });
  },
);

describe('the service bundle (as in the container image) with 2 threads', () => {
  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leaves arquero and every devDependency out, serves from two threads and exits 0 after SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'service-bundle-'));
    const b = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'service/build.ts'), '--out', dir, '--model', p.modelPath],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(b.status, b.stderr).toBe(0);
    // arquero (training-time data summaries) is declared side-effect free and unused by scoring.
    const code = [join(dir, 'service.mjs'), ...readdirSync(join(dir, 'chunks')).map((f) => join(dir, 'chunks', f))]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(/\bCreditModel\b/.test(code)).toBe(true);
    expect(/\bColumnTable\b/.test(code)).toBe(false);
    // No devDependency in the image: resvg (the docs' PNG tool) is neither imported nor shipped beside the bundle.
    expect(code).not.toContain('@resvg');
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const c = spawn(process.execPath, [join(dir, 'service.mjs')], {
      cwd: dir,
      env: {
        ...process.env,
        MODEL_PATH: join(dir, 'model/model.json.gz'),
        PORT: String(port),
        HOST: '127.0.0.1',
        WORKERS: '2',
        WORKER_MODE: '',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr!.on('data', (d) => (err += String(d)));
    try {
      for (let i = 0; i < 300 && !/with 2 threads at/.test(err); i++) {
        if (c.exitCode !== null) throw new Error(`bundle exited: ${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(err).toMatch(/with 2 threads at/);
      const r = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(APPLICANT),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { probability: number }).probability).toBeCloseTo(
        p.model.scoreRecords([APPLICANT])[0],
        12,
      );
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(
        /http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} 1\n/,
      );
      const exited = new Promise<number | null>((resolve) => c.once('exit', (x) => resolve(x)));
      c.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (c.exitCode === null) c.kill('SIGKILL');
    }
  });
});
