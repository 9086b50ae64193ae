/**
 * The process entry of the scoring service, bundled as service.mjs (`node service.mjs [--check]`
 * in the container, started by service/launch.ts for `npm start` and `mlops serve`), and the entry of its serving threads: a thread started by
 * service/runtime/threads.ts runs this same module and becomes a server. The library API
 * is service/start.ts.
 */
import { fileURLToPath } from 'node:url';
import { isMainThread, workerData } from 'node:worker_threads';
import { isMlopsError } from '../pipeline/core/index.ts';
import { optionsFromEnv } from './config.ts';
import { serveForever } from './start.ts';

async function main(argv: string[]): Promise<number> {
  const options = optionsFromEnv(process.env, process.cwd());
  if (argv.includes('--check')) {
    // Build-time check: the bundle verifies, the schema compiles, the app assembles.
    const { loadService } = await import('./http/app.ts');
    const svc = loadService({ ...options, logLevel: 'silent' });
    const { ref } = svc.state.scorer;
    process.stdout.write(`ok: ${ref.name} v${ref.version ?? '?'} ${ref.digest} from ${svc.state.source.path}\n`);
    return 0;
  }
  await serveForever(options, (line) => process.stderr.write(line + '\n'));
  return 0;
}

const entry = process.argv[1];
if (!isMainThread && (workerData as Record<string, unknown> | null)?.mlopsServiceThread) {
  // A serving thread of WORKER_MODE=threads; an error starting it rejects, which ends the
  // thread and is reported to the main thread.
  void import('./runtime/threads.ts').then(({ serviceThreadData, runServiceThread }) =>
    runServiceThread(serviceThreadData()!),
  );
} else if (entry && (fileURLToPath(import.meta.url) === entry || process.env.MLOPS_SERVICE_MAIN === '1')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`error: ${isMlopsError(e) ? e.message : (e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
