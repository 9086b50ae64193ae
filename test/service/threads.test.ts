/**
 * WORKER_MODE=threads: connection balancing between threads sharing one listening
 * socket, the WORKER_MODE setting, and what happens when a serving thread fails to
 * start or dies. (The real multi-threaded service is run by process.test.ts.)
 */
import { request, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionCounts, overShare } from '../../service/runtime/balance.ts';
import { createApp } from '../../service/http/app.ts';
import { defaultOptions, optionsFromEnv } from '../../service/config.ts';
import { listen } from '../../service/http/server.ts';
import { runThreads } from '../../service/runtime/threads.ts';
import pino from 'pino';
import { APPLICANT, trainedProject, type TrainedProject } from './helpers.ts';

let p: TrainedProject;
beforeAll(async () => {
  p = await trainedProject();
});

describe('WORKER_MODE', () => {
  it('defaults to threads, accepts cluster, refuses anything else', () => {
    expect(optionsFromEnv({}, '/').workerMode).toBe('threads');
    expect(optionsFromEnv({ WORKER_MODE: 'cluster' }, '/').workerMode).toBe('cluster');
    expect(() => optionsFromEnv({ WORKER_MODE: 'fork' }, '/')).toThrow(/WORKER_MODE/);
  });
});

describe('overShare', () => {
  it('is true only above the total divided by the threads, rounded up', () => {
    const c = connectionCounts(2);
    c[0] = 33;
    c[1] = 31;
    expect(overShare(c, 33, 0)).toBe(true);
    expect(overShare(c, 33, 1)).toBe(false); // one already closing
    c[0] = 32;
    c[1] = 32;
    expect(overShare(c, 32, 0)).toBe(false);
    c[0] = 2;
    c[1] = 1;
    expect(overShare(c, 2, 0)).toBe(false); // 3 over 2 threads: a share is 2
    c[0] = 1;
    c[1] = 0;
    expect(overShare(c, 1, 0)).toBe(false); // a lone connection stays
  });
});

describe('connection balancing', () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  afterAll(() => agent.destroy());

  const predict = (url: string): Promise<{ status: number; connection: string | undefined }> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(APPLICANT);
      const r = request(
        `${url}/v1/predict`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
        },
      );
      r.on('error', reject);
      r.end(body);
    });

  it('closes one connection of a thread holding more than its share after a complete answer, and counts connections', async () => {
    const options = {
      ...defaultOptions(p.dir),
      modelPath: p.modelPath,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
    };
    const svc = createApp(p.model, { path: p.modelPath, version: 1 }, options, { logger: pino({ level: 'silent' }) });
    // This thread is slot 0 of two; the other holds no connection.
    const counts = connectionCounts(2);
    const running = await listen(svc, '127.0.0.1', 0, { balance: { counts, index: 0 } });
    try {
      // Two connections at once: a share is 1, so one of them is told to close.
      const answers = await Promise.all([predict(running.url), predict(running.url)]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.map((a) => a.connection).sort()).toEqual(['close', 'keep-alive']);
      for (let i = 0; i < 50 && counts[0] !== 1; i++) await new Promise((r) => setTimeout(r, 10));
      expect(counts[0]).toBe(1);
      // Alone at its share, the connection left is kept.
      expect((await predict(running.url)).connection).toBe('keep-alive');
      // Another thread taking connections raises the share: nothing is shed.
      counts[1] = 3;
      expect((await Promise.all([predict(running.url), predict(running.url)])).map((a) => a.connection)).toEqual([
        'keep-alive',
        'keep-alive',
      ]);
    } finally {
      agent.destroy();
      await running.close();
    }
  });
});

describe('runThreads', () => {
  const options = () => ({
    ...defaultOptions(p.dir),
    modelPath: p.modelPath,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
  });
  const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

  it('refuses to start when a thread fails before listening, and closes the socket', async () => {
    await expect(runThreads(options(), 2, fixture('broken-thread.mjs'), () => undefined)).rejects.toThrow(
      /before listening: cannot start on purpose/,
    );
  });

  it('stops the service with exit code 1 when a serving thread dies', async () => {
    const lines: string[] = [];
    let exited: (code: number) => void = () => undefined;
    const code = new Promise<number>((resolve) => (exited = resolve));
    const s = await runThreads(options(), 2, fixture('crash-thread.mjs'), (l) => lines.push(l), exited);
    expect(await code).toBe(1);
    expect(lines.join('\n')).toMatch(
      /serving thread 1 exited \(code 1\): .*thread crashed on purpose.*; stopping the service/s,
    );
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });
});
