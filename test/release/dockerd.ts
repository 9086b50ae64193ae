/**
 * A private Docker daemon for the release tests, started by hand as root the way
 * scripts/container-test.sh does: its own data root, exec root, socket and pid file
 * (never a shared one), no iptables, no bridge, overlay2 else vfs. The `docker` the code
 * under test runs is a shim in front of Debian's client (the one that matches this
 * daemon) that records every invocation, so a test can assert that nothing was built.
 * There is no registry to pull a base image from: one is made from this machine's node
 * binary and the libraries ldd lists.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const DOCKER_CLIENT = '/usr/bin/docker';

export interface Dockerd {
  /** Environment for anything that runs docker: DOCKER_HOST, PATH with the shim first, the classic builder. */
  env: Record<string, string>;
  /** Every docker command line run through the shim so far. */
  invocations(): string[];
  docker(args: string[], input?: string): string;
  /** Creates a base image from this machine's node under `name`. */
  makeNodeImage(name: string): void;
  stop(): Promise<void>;
}

/** Why the daemon cannot start here, or null when it can. */
export function dockerdUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root (dockerd is started by hand, as root)';
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd'))
    return 'dockerd is not installed (apt-get install docker.io)';
  if (!existsSync(DOCKER_CLIENT)) return `${DOCKER_CLIENT} is missing (apt-get install docker.io)`;
  return null;
}

/**
 * `buildFlags` are added to every `docker build` the shim runs (e.g. the local base image
 * and `--network host`), so code that builds as a workflow does needs no test-only flags.
 */
export async function startDockerd(o: { buildFlags?: string[] } = {}): Promise<Dockerd> {
  const work = mkdtempSync(join(tmpdir(), 'mlops-dockerd-'));
  const sock = join(work, 'docker.sock');
  const bin = join(work, 'bin');
  const log = join(work, 'invocations.log');
  mkdirSync(bin);
  writeFileSync(log, '');
  const flags = (o.buildFlags ?? []).map((f) => `'${f.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(
    join(bin, 'docker'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n` +
      (flags ? `if [ "$1" = build ]; then shift; exec ${DOCKER_CLIENT} build ${flags} "$@"; fi\n` : '') +
      `exec ${DOCKER_CLIENT} "$@"\n`,
  );
  chmodSync(join(bin, 'docker'), 0o755);
  const env = {
    DOCKER_HOST: `unix://${sock}`,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    // The classic builder of this daemon's version builds without BuildKit's extra components.
    DOCKER_BUILDKIT: '0',
  };
  const daemonEnv = { ...process.env, ...env };
  let child: ChildProcess | null = null;
  let output = '';
  for (const driver of ['overlay2', 'vfs']) {
    rmSync(join(work, 'data'), { recursive: true, force: true });
    rmSync(join(work, 'exec'), { recursive: true, force: true });
    mkdirSync(join(work, 'data'));
    mkdirSync(join(work, 'exec'));
    const c = spawn(
      'dockerd',
      [
        '--data-root',
        join(work, 'data'),
        '--exec-root',
        join(work, 'exec'),
        '--host',
        `unix://${sock}`,
        '--pidfile',
        join(work, 'docker.pid'),
        '--iptables=false',
        '--ip6tables=false',
        '--bridge=none',
        '--storage-driver',
        driver,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: daemonEnv },
    );
    output = '';
    c.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let exited = false;
    c.on('exit', () => (exited = true));
    for (let i = 0; i < 120 && !exited; i++) {
      if (spawnSync(DOCKER_CLIENT, ['info'], { env: daemonEnv, stdio: 'ignore' }).status === 0) {
        child = c;
        break;
      }
      await new Promise((ok) => setTimeout(ok, 500));
    }
    if (child) break;
    if (!exited) await stopChild(c);
  }
  if (!child) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`dockerd did not start:\n${output.split('\n').slice(-20).join('\n')}`);
  }
  const docker = (args: string[], input?: string): string =>
    execFileSync(DOCKER_CLIENT, args, { env: daemonEnv, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return {
    env,
    invocations: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
    docker,
    makeNodeImage(name) {
      const base = join(work, 'base');
      rmSync(base, { recursive: true, force: true });
      for (const d of ['usr/local/bin', 'tmp', 'etc']) mkdirSync(join(base, d), { recursive: true });
      chmodSync(join(base, 'tmp'), 0o1777);
      // copyFileSync reads through symlinks (the libraries ldd names are links to versioned
      // files); Node 24's cpSync with dereference refuses such a link as a directory.
      copyFileSync(process.execPath, join(base, 'usr/local/bin/node'));
      const ldd = execFileSync('ldd', [process.execPath], { encoding: 'utf8' });
      for (const m of ldd.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) {
        mkdirSync(join(base, dirname(m[1])), { recursive: true });
        copyFileSync(m[1], join(base, m[1]));
      }
      writeFileSync(join(base, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\n');
      writeFileSync(join(base, 'etc/group'), 'root:x:0:\n');
      const tar = execFileSync('tar', ['-C', base, '-c', '.'], { maxBuffer: 1 << 30 });
      execFileSync(
        DOCKER_CLIENT,
        ['import', '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', '--change', 'CMD ["node"]', '-', name],
        { env: daemonEnv, input: tar, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 30 },
      );
      rmSync(base, { recursive: true, force: true });
    },
    async stop() {
      await stopChild(child!);
      // Mounts a killed daemon may leave behind, deepest first.
      const mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[1])
        .filter((m) => m?.startsWith(work))
        .sort()
        .reverse();
      for (const m of mounts) spawnSync('umount', ['-l', m]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((ok) => c.on('exit', ok));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
  await gone;
  clearTimeout(timer);
}
