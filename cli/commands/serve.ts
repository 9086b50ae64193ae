import { optionsFromEnv } from '../../service/config.ts';
import { launchService } from '../../service/launch.ts';
import type { Command } from '../command.ts';

export const serveCommand: Command = {
  help: `Usage: mlops serve [--model FILE] [--port N] [--host ADDR] [--workers N|auto]

Runs the Koa scoring service until SIGTERM/SIGINT (then drains in-flight requests), as
the container image does: the esbuild bundle of the service (built on first use, then
reused while the sources are unchanged) in a Node process of its own.
Without --model it serves the registry's champion (models/registry.json). Every other
setting comes from environment variables (API_KEYS, LOG_LEVEL, BODY_LIMIT_BYTES, …;
see docs/service.md). Flags override the matching variables.

  --model FILE     model bundle (model.json or model.json.gz); env MODEL_PATH
  --port N         port (default 8080; 0 = any free port); env PORT
  --host ADDR      address to bind (default 0.0.0.0); env HOST
  --workers N      serving threads of one process (env WORKER_MODE=threads, the default)
                   or node:cluster processes (WORKER_MODE=cluster); "auto" = one per
                   core; env WORKERS
  -h, --help       show this help`,
  options: {
    model: { type: 'string', short: 'm' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    workers: { type: 'string' },
  },
  async run(args, io) {
    const env: Record<string, string | undefined> = { ...process.env };
    const flag = (name: string, key: string): void => {
      const v = args.values[name];
      if (typeof v === 'string') env[key] = v;
    };
    flag('model', 'MODEL_PATH');
    flag('port', 'PORT');
    flag('host', 'HOST');
    flag('workers', 'WORKERS');
    // Bad settings are refused here, before a bundle is built or a process started.
    optionsFromEnv(env, io.cwd);
    return launchService(env, io.cwd, io.err);
  },
};
