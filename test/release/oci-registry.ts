/**
 * A real OCI registry for the release tests: Debian's `docker-registry` (distribution
 * 2.8) on a free 127.0.0.1 port, configured with `auth: token`, plus the token issuer
 * that configuration points at — a small HTTP server on 127.0.0.1 that signs RS256 JWTs
 * with a self-signed certificate (x5c header), the handshake GHCR and Docker Hub use
 * (`WWW-Authenticate: Bearer realm=…,service=…,scope=…`). Who may pull and push is set
 * per test; every token request is recorded.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
const SERVICE = 'mlops-test-registry';
const ISSUER = 'mlops-test-issuer';

type Action = 'pull' | 'push';

export interface Account {
  password: string;
  /** What the account may do; `forbidden` makes the issuer answer 403, as GHCR does for a token without package access. */
  actions: Action[] | 'forbidden';
}

export interface TokenRequest {
  account: string | null;
  scopes: string[];
  status: number;
}

export interface TestRegistry {
  /** host:port */
  host: string;
  accounts: Map<string, Account>;
  /** What a request without credentials gets (GHCR: pull for public packages, nothing for private ones). */
  anonymous: Action[];
  tokenRequests: TokenRequest[];
  /** A bearer token for `account` with these actions on `repository` (for tests that talk to the registry directly). */
  token(account: string | null, repository: string, actions: Action[]): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => ok(port));
    });
  });
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export async function startRegistry(
  opts: { accounts?: Record<string, Account>; anonymous?: Action[] } = {},
): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-oci-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=mlops-test-token-issuer',
    ],
    { stdio: 'ignore' },
  );
  const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const certDer = Buffer.from(
    readFileSync(join(dir, 'cert.pem'), 'utf8')
      .replace(/-----[^-]+-----/g, '')
      .replace(/\s+/g, ''),
    'base64',
  );

  const state: TestRegistry = {
    host: '',
    accounts: new Map(Object.entries(opts.accounts ?? {})),
    anonymous: opts.anonymous ?? ['pull'],
    tokenRequests: [],
    token: (account, repository, actions) => jwt(account, [{ type: 'repository', name: repository, actions }]),
    stop: async () => undefined,
  };

  function jwt(account: string | null, access: { type: string; name: string; actions: string[] }[]): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = {
      iss: ISSUER,
      sub: account ?? '',
      aud: SERVICE,
      exp: now + 600,
      nbf: now - 30,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), key))}`;
  }

  const issuer: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams.getAll('scope');
    let account: string | null = null;
    let allowed: Action[] = state.anonymous;
    const send = (status: number, body: unknown): void => {
      state.tokenRequests.push({ account, scopes, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      const a = state.accounts.get(user);
      account = user;
      if (!a || a.password !== rest.join(':')) return send(401, { details: 'incorrect username or password' });
      if (a.actions === 'forbidden') return send(403, { details: 'token has no access to packages' });
      allowed = a.actions;
    }
    const access = scopes.flatMap((s) => {
      const m = /^repository:([^:]+):(.+)$/.exec(s);
      if (!m) return [];
      const actions = m[2].split(',').filter((x): x is Action => (allowed as string[]).includes(x));
      return [{ type: 'repository', name: m[1], actions }];
    });
    const token = jwt(account, access);
    send(200, { token, access_token: token, expires_in: 600, issued_at: new Date().toISOString() });
  });
  await new Promise<void>((ok) => issuer.listen(0, '127.0.0.1', ok));
  const issuerPort = (issuer.address() as AddressInfo).port;

  let child: ChildProcess | null = null;
  let log = '';
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    const port = await freePort();
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'data')}`,
        'http:',
        `  addr: 127.0.0.1:${port}`,
        'auth:',
        '  token:',
        `    realm: http://127.0.0.1:${issuerPort}/token`,
        `    service: ${SERVICE}`,
        `    issuer: ${ISSUER}`,
        `    rootcertbundle: ${join(dir, 'cert.pem')}`,
        '',
      ].join('\n'),
    );
    const c = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    log = '';
    c.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    let exited = false;
    c.on('exit', () => (exited = true));
    for (let i = 0; i < 80 && !exited; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/v2/`);
        if (r.status === 401 || r.status === 200) {
          child = c;
          state.host = `127.0.0.1:${port}`;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    if (!child) c.kill('SIGKILL');
  }
  if (!child) {
    issuer.close();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`docker-registry did not start:\n${log}`);
  }
  state.stop = async () => {
    const c = child!;
    if (c.exitCode === null) {
      const gone = new Promise((ok) => c.on('exit', ok));
      c.kill('SIGTERM');
      await gone;
    }
    issuer.closeAllConnections();
    await new Promise((ok) => issuer.close(ok));
    rmSync(dir, { recursive: true, force: true });
  };
  return state;
}

/** Skips loudly when Debian's docker-registry is missing (.ci/run installs it). */
export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BINARY);
}

/**
 * Pushes a minimal single-layer image with the given labels straight through the
 * Registry API (blob uploads and a manifest PUT) — what a hand-pushed image that
 * claims another model looks like, without a Docker daemon.
 */
export async function pushLabelledImage(
  reg: TestRegistry,
  repository: string,
  tag: string,
  labels: Record<string, string>,
): Promise<string> {
  const auth = { authorization: `Bearer ${reg.token('test', repository, ['pull', 'push'])}` };
  const base = `http://${reg.host}/v2/${repository}`;
  const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const upload = async (bytes: Buffer): Promise<string> => {
    const digest = sha(bytes);
    const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers: auth });
    if (start.status !== 202) throw new Error(`blob upload start: HTTP ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location')!, `http://${reg.host}`);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status} ${await put.text()}`);
    return digest;
  };
  const tar = Buffer.alloc(1024);
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: labels },
      rootfs: { type: 'layers', diff_ids: [sha(tar)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: await upload(config),
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          size: layer.length,
          digest: await upload(layer),
        },
      ],
    }),
  );
  const r = await fetch(`${base}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: manifest,
  });
  if (r.status !== 201) throw new Error(`manifest PUT: HTTP ${r.status} ${await r.text()}`);
  return sha(manifest);
}
