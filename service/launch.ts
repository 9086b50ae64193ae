/**
 * `npm start` and `mlops serve`: the service as the container runs it — the esbuild
 * bundle (service/bundle/current-bundle.ts: the image's build when current, else built on
 * demand) in a Node process of its own, with the image's NODE_OPTIONS unless NODE_OPTIONS
 * is set — so the figures measured for the image hold for what a user starts. The
 * launcher only relays SIGTERM/SIGINT and the service's exit code.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { currentBundle } from './bundle/current-bundle.ts';

/** The container image's NODE_OPTIONS (Dockerfile): a small young generation keeps the heap small. */
export const IMAGE_NODE_OPTIONS = '--max-semi-space-size=2';

/** Runs the service until it exits; resolves with its exit code. */
export async function launchService(
  env: Record<string, string | undefined>,
  cwd: string,
  log: (line: string) => void,
): Promise<number> {
  const bundle = await currentBundle();
  if (bundle.how === 'built') log(`built the service bundle ${bundle.entry}`);
  const child = spawn(process.execPath, [bundle.entry], {
    cwd,
    env: { ...env, NODE_OPTIONS: env.NODE_OPTIONS ?? IMAGE_NODE_OPTIONS },
    // Its own process group: a terminal's Ctrl-C reaches the launcher only, which passes
    // it on once (a second SIGINT would stop the service without draining).
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const relay = (signal: NodeJS.Signals) => (): void => {
    child.kill(signal);
  };
  const onTerm = relay('SIGTERM');
  const onInt = relay('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 143));
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  launchService(process.env, process.cwd(), (line) => process.stderr.write(line + '\n')).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(1);
    },
  );
}
