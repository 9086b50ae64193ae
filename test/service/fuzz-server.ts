/**
 * The service for the fuzz test, in a process of its own so its memory can be measured
 * apart from the test runner's: run with --expose-gc, it answers a "memory" message with
 * process.memoryUsage() taken after full collections, so what is compared is what the
 * service retains, not garbage V8 has yet to collect (which differs between Node 20 and 24).
 * It also reports every route its routers hold, so the test can cover all of them.
 *
 *   node --expose-gc --import tsx test/service/fuzz-server.ts '{"modelPath": "...", "dir": "..."}'
 */
import { setImmediate as tick } from 'node:timers/promises';
import pino from 'pino';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import { createApp } from '../../service/http/app.ts';
import { defaultOptions } from '../../service/config.ts';
import { listen } from '../../service/http/server.ts';

interface Route {
  path: string;
  methods: string[];
}

const { modelPath, dir } = JSON.parse(process.argv[2]) as { modelPath: string; dir: string };
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const svc = createApp(
  CreditModel.load(modelPath),
  { path: modelPath, version: 3 },
  { ...defaultOptions(dir), modelPath, host: '127.0.0.1', port: 0, bodyLimitBytes: 16 * 1024, logLevel: 'silent' },
  { logger: pino({ level: 'silent' }) },
);
const running = await listen(svc, '127.0.0.1', 0);
// Each router's middleware carries its router (@koa/router's routes()); its layers are the routes.
const routes: Route[] = svc.app.middleware.flatMap((mw) => {
  const router = (mw as { router?: { stack: { path: string | RegExp; methods: string[] }[] } }).router;
  return router
    ? router.stack
        .filter((l) => typeof l.path === 'string' && l.methods.length > 0)
        .map((l) => ({ path: l.path as string, methods: l.methods }))
    : [];
});

process.on('message', async (m: { type: string }) => {
  if (m.type === 'memory') {
    // Several passes, with turns of the event loop between them, so finalizers and weak
    // references let go of what they hold before the last pass.
    for (let i = 0; i < 4; i++) {
      gc();
      await tick();
    }
    const { rss, heapUsed, external } = process.memoryUsage();
    process.send!({ type: 'memory', rss, heapUsed, external });
  } else if (m.type === 'stop') {
    await running.close();
    process.exit(0);
  }
});
process.send!({ type: 'ready', url: running.url, routes });
