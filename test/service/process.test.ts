/**
 * The service as a real process, started by `mlops serve` as a user would: two
 * node:cluster workers, /metrics aggregated over both, and SIGTERM → drain → exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { APPLICANT, trainedProject, type TrainedProject } from './helpers.ts';

let p: TrainedProject;
let child: ChildProcess | null = null;
let url = '';
let stderr = '';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  p = await trainedProject();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // `mlops serve` (the container runs the same code bundled: tested by test:container).
  child = spawn(process.execPath, [join(ROOT, 'bin/mlops.mjs'), 'serve', '--model', p.modelPath, '--port', String(port), '--host', '127.0.0.1', '--workers', '2'], {
    cwd: p.dir,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c) => (stderr += String(c)));
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`service exited: ${stderr}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok && /serving with 2 workers/.test(stderr)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service did not start: ${stderr}`);
});

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

describe('service process (cluster of 2)', () => {
  it('serves from both workers and aggregates their metrics', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify(APPLICANT) });
      expect(r.status).toBe(200);
    }
    const text = await (await fetch(`${url}/metrics`)).text();
    const served = Number(/http_requests_total\{method="POST",route="\/v1\/predict",status="200"\} (\d+)/.exec(text)?.[1]);
    expect(served).toBe(20);
    // The model gauge is not summed over workers.
    expect(text).toMatch(/mlops_model_info\{[^}]*\} 1\n/);
  });

  it('exits 0 after SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('service process (cluster of 2) with a bundle that does not verify', () => {
  it('exits 1 before listening, naming the digest problem', async () => {
    const bundle = JSON.parse(readFileSync(p.modelPath, 'utf8')) as { threshold: number };
    bundle.threshold = 0.01;
    const tampered = join(p.dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(bundle));
    const port = await freePort();
    const c = spawn(process.execPath, [join(ROOT, 'bin/mlops.mjs'), 'serve', '--model', tampered, '--port', String(port), '--host', '127.0.0.1', '--workers', '2'], {
      cwd: p.dir,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr!.on('data', (d) => (err += String(d)));
    const code = await new Promise<number | null>((resolve) => c.once('exit', (x) => resolve(x)));
    expect(code).toBe(1);
    expect(err).toMatch(/digest/);
    expect(err).toMatch(/before listening/);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
