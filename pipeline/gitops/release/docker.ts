/**
 * The docker command line, the one edge of a release that builds and pushes images.
 * Everything else (which tags exist, their digests and labels, moving `champion`) goes
 * through the registry's HTTP API, so a release needs a Docker daemon only when it has
 * something to build.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlopsError } from '../../core/index.ts';
import { withBaseImage } from './base-image.ts';
import type { RegistryCredentials } from './oci-client.ts';

export interface DockerBuild {
  context: string;
  tag: string;
  labels: Record<string, string>;
  buildArgs: Record<string, string>;
  /** `docker build --network` for RUN steps (e.g. `host` on a daemon without a bridge). */
  network?: string | null;
  /** Build on this image instead of the base the Dockerfile pins (a mirror). */
  baseImage?: string | null;
}

export interface Docker {
  build(b: DockerBuild): Promise<void>;
  /** The labels of a local image. */
  labels(tag: string): Promise<Record<string, string>>;
  push(tag: string): Promise<void>;
  /** Removes whatever login this client made. */
  close(): void;
}

interface Result {
  code: number;
  out: string;
}

function run(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new MlopsError(
          'state',
          e.code === 'ENOENT'
            ? 'docker is not installed (or not on PATH): a release needs it to build the images it publishes'
            : `docker could not start: ${e.message}`,
        ),
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
    child.stdin.end(input ?? '');
  });
}

const tail = (text: string, lines = 15): string => text.trim().split('\n').slice(-lines).join('\n');

async function ok(what: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const r = await run(args, env, input);
  if (r.code !== 0) {
    const daemon = /Cannot connect to the Docker daemon|Is the docker daemon running/i.test(r.out);
    throw new MlopsError(
      'state',
      daemon
        ? `docker ${what} failed: the Docker daemon is not reachable (${tail(r.out, 1)})`
        : `docker ${what} failed (exit ${r.code}):\n${tail(r.out)}`,
    );
  }
  return r.out;
}

/**
 * A docker client. With credentials it logs in to `host` in a private DOCKER_CONFIG
 * folder (removed by close()), so the token is used for this release only and no shared
 * docker configuration is touched; without, docker's own login (docker/login-action,
 * `docker login`) applies.
 */
export async function dockerClient(host: string, credentials: RegistryCredentials | null): Promise<Docker> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  let configDir: string | null = null;
  if (credentials) {
    configDir = mkdtempSync(join(tmpdir(), 'mlops-docker-'));
    env.DOCKER_CONFIG = configDir;
    await ok(
      `login ${host}`,
      ['login', host, '--username', credentials.username, '--password-stdin'],
      env,
      credentials.password,
    );
  }
  return {
    async build(b) {
      const args = ['build', '--tag', b.tag];
      for (const [k, v] of Object.entries(b.labels)) args.push('--label', `${k}=${v}`);
      for (const [k, v] of Object.entries(b.buildArgs)) args.push('--build-arg', `${k}=${v}`);
      if (b.network) args.push('--network', b.network);
      // The rewritten Dockerfile lives outside the context, which the build never sends.
      const rebased = b.baseImage ? mkdtempSync(join(tmpdir(), 'mlops-dockerfile-')) : null;
      try {
        if (rebased) {
          const file = join(rebased, 'Dockerfile');
          const original = join(b.context, 'Dockerfile');
          writeFileSync(file, withBaseImage(readFileSync(original, 'utf8'), b.baseImage as string, original));
          args.push('--file', file);
        }
        args.push(b.context);
        await ok(`build of ${b.tag}`, args, env);
      } finally {
        if (rebased) rmSync(rebased, { recursive: true, force: true });
      }
    },
    async labels(tag) {
      const out = await ok(
        `image inspect ${tag}`,
        ['image', 'inspect', '--format', '{{json .Config.Labels}}', tag],
        env,
      );
      return (JSON.parse(out.trim() || 'null') as Record<string, string> | null) ?? {};
    },
    async push(tag) {
      await ok(`push of ${tag}`, ['push', tag], env);
    },
    close() {
      if (configDir) rmSync(configDir, { recursive: true, force: true });
    },
  };
}
