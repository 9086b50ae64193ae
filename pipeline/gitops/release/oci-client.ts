/**
 * A small client for the Docker Registry HTTP API v2 / OCI Distribution API, the API GHCR
 * serves: tag lists, manifests (OCI and Docker, single images and indexes), config blobs
 * for labels, and a manifest PUT to move a tag without rebuilding. It answers the
 * registry's authentication challenge itself: `Bearer realm=…,service=…,scope=…` (GHCR,
 * Docker Hub, distribution's `auth: token`) by fetching a token from the realm —
 * anonymously, or with the credentials given — and `Basic` by sending the credentials.
 *
 * Why not a library: the maintained Node clients are read-only (no manifest PUT) or
 * callback-era forks without OCI indexes; this needs five endpoints and Node's fetch.
 */
import { createHash } from 'node:crypto';
import { MlopsError } from '../../core/index.ts';
import { parseChallenges, type Challenge } from './challenge.ts';
import { isLoopbackHost, type ImageRef } from './image-ref.ts';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface OciClientOptions {
  credentials?: RegistryCredentials | null;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const ACCEPT = Object.values(MEDIA_TYPES).join(', ');

export interface Manifest {
  digest: string;
  mediaType: string;
  /** The exact bytes: a retag PUTs them unchanged, so the digest stays the same. */
  bytes: Buffer;
}

type Access = 'pull' | 'push';

interface ManifestJson {
  mediaType?: string;
  config?: { digest?: string };
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

export class OciClient {
  private readonly tokens = new Map<Access, string>();
  private basic = false;
  private readonly credentials: RegistryCredentials | null;
  private readonly timeoutMs: number;

  constructor(
    readonly ref: ImageRef,
    opts: OciClientOptions = {},
  ) {
    this.credentials = opts.credentials ?? null;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Every tag of the repository (an unknown repository has none). */
  async tags(): Promise<string[]> {
    const out: string[] = [];
    let path: string | null = `/v2/${this.ref.repository}/tags/list?n=1000`;
    while (path) {
      const res = await this.request('GET', path, 'pull');
      if (res.status === 404) return out;
      await this.expectOk(res, 'GET', path);
      const body = (await res.json()) as { tags?: string[] | null };
      for (const tag of body.tags ?? []) out.push(tag);
      path = nextLink(res.headers.get('link'));
    }
    return out;
  }

  /** The manifest a tag or digest names, or null when there is none. */
  async manifest(reference: string): Promise<Manifest | null> {
    const path = `/v2/${this.ref.repository}/manifests/${reference}`;
    const res = await this.request('GET', path, 'pull', { accept: ACCEPT });
    if (res.status === 404) return null;
    await this.expectOk(res, 'GET', path);
    const bytes = Buffer.from(await res.arrayBuffer());
    const computed = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const header = res.headers.get('docker-content-digest');
    if (header && header.startsWith('sha256:') && header !== computed)
      throw new MlopsError(
        'integrity',
        `${this.ref.name}:${reference}: the registry says the manifest is ${header} but its bytes hash to ${computed}`,
      );
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    if (!Object.values(MEDIA_TYPES).includes(mediaType as never))
      mediaType = (JSON.parse(bytes.toString('utf8')) as ManifestJson).mediaType ?? mediaType;
    return { digest: header ?? computed, mediaType, bytes };
  }

  /**
   * The image's labels (its config's `Labels`). For an index, the linux/amd64 image's
   * (else the first real platform's: build attestations are `unknown/unknown`).
   */
  async labels(m: Manifest): Promise<Record<string, string>> {
    let json = JSON.parse(m.bytes.toString('utf8')) as ManifestJson;
    if (m.mediaType === MEDIA_TYPES.ociIndex || m.mediaType === MEDIA_TYPES.dockerList) {
      const list = json.manifests ?? [];
      const pick =
        list.find((e) => e.platform?.os === 'linux' && e.platform.architecture === 'amd64') ??
        list.find((e) => e.platform?.os && e.platform.os !== 'unknown');
      if (!pick) return {};
      const child = await this.manifest(pick.digest);
      if (!child) return {};
      json = JSON.parse(child.bytes.toString('utf8')) as ManifestJson;
    }
    const config = json.config?.digest;
    if (!config) return {};
    const path = `/v2/${this.ref.repository}/blobs/${config}`;
    const res = await this.request('GET', path, 'pull');
    await this.expectOk(res, 'GET', path);
    const blob = (await res.json()) as { config?: { Labels?: Record<string, string> | null } };
    return blob.config?.Labels ?? {};
  }

  /** Points `tag` at an existing manifest by PUTting its exact bytes; returns the digest the registry stored. */
  async putManifest(tag: string, m: Manifest): Promise<string> {
    const path = `/v2/${this.ref.repository}/manifests/${tag}`;
    const res = await this.request('PUT', path, 'push', { contentType: m.mediaType, body: m.bytes });
    await this.expectOk(res, 'PUT', path);
    const digest = res.headers.get('docker-content-digest') ?? m.digest;
    if (digest !== m.digest)
      throw new MlopsError(
        'integrity',
        `${this.ref.name}:${tag} was stored as ${digest}, not the ${m.digest} it was meant to point at`,
      );
    return digest;
  }

  private async request(
    method: string,
    path: string,
    access: Access,
    o: { accept?: string; contentType?: string; body?: Buffer } = {},
  ): Promise<Response> {
    const send = (): Promise<Response> => {
      const headers: Record<string, string> = {};
      if (o.accept) headers.accept = o.accept;
      if (o.contentType) headers['content-type'] = o.contentType;
      const auth = this.authorization(access);
      if (auth) headers.authorization = auth;
      return this.fetch(`${this.ref.baseUrl}${path}`, { method, headers, body: o.body });
    };
    let res = await send();
    if (res.status === 401) {
      const challenges = parseChallenges(res.headers.get('www-authenticate') ?? '');
      const bearer = challenges.find((c) => c.scheme === 'bearer');
      if (bearer?.params.realm) this.tokens.set(access, await this.token(bearer, access));
      else if (challenges.some((c) => c.scheme === 'basic') && this.credentials) this.basic = true;
      else throw this.denied(access, res.status, await errorDetail(res));
      await res.body?.cancel();
      res = await send();
    }
    if (res.status === 401 || res.status === 403) throw this.denied(access, res.status, await errorDetail(res));
    return res;
  }

  private authorization(access: Access): string | null {
    const token = this.tokens.get(access);
    if (token) return `Bearer ${token}`;
    if (this.basic && this.credentials)
      return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    return null;
  }

  /** The token handshake: GET realm?service=…&scope=…, with the credentials as Basic auth when there are some. */
  private async token(challenge: Challenge, access: Access): Promise<string> {
    const realm = new URL(challenge.params.realm);
    const scope = `repository:${this.ref.repository}:${access === 'push' ? 'pull,push' : 'pull'}`;
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    // Credentials never travel in clear text to anything but a loopback test registry.
    if (this.credentials && (realm.protocol === 'https:' || isLoopbackHost(realm.host))) {
      headers.authorization = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
      if (this.credentials.username) realm.searchParams.set('account', this.credentials.username);
    }
    const res = await this.fetch(realm.toString(), { method: 'GET', headers });
    if (res.status === 401 || res.status === 403) throw this.denied(access, res.status, await errorDetail(res));
    if (!res.ok)
      throw new MlopsError(
        'state',
        `the token service ${realm.origin} of ${this.ref.host} answered HTTP ${res.status}${await errorDetail(res)}`,
      );
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new MlopsError('state', `the token service ${realm.origin} of ${this.ref.host} sent no token`);
    return token;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why =
        err.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs / 1000} s`
          : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new MlopsError(
        'state',
        `cannot reach the registry ${this.ref.host} (${new URL(url).origin}: ${why}); check --image and that the registry is up`,
      );
    }
  }

  private async expectOk(res: Response, method: string, path: string): Promise<void> {
    if (res.ok) return;
    throw new MlopsError(
      'state',
      `the registry ${this.ref.host} answered HTTP ${res.status} to ${method} ${path}${await errorDetail(res)}`,
    );
  }

  private denied(access: Access, status: number, detail: string): MlopsError {
    const what = access === 'push' ? `push to ${this.ref.name}` : `read ${this.ref.name}`;
    return new MlopsError(
      'state',
      `the registry refused to ${what} (HTTP ${status}${detail}): the token needs the package's write access — in GitHub Actions give the job \`permissions: packages: write\` (\`packages: read\` is enough for status) and this repository Actions access in the package settings; elsewhere set REGISTRY_TOKEN (and REGISTRY_USERNAME)`,
    );
  }
}

/** `<url>; rel="next"` from a Link header, as a path on the same registry. */
function nextLink(link: string | null): string | null {
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  if (!m) return null;
  const u = new URL(m[1], 'http://registry.invalid');
  return `${u.pathname}${u.search}`;
}

/** The registry's error body (`{"errors": [{"code", "message"}]}`) as `: CODE message`, or nothing. */
async function errorDetail(res: Response): Promise<string> {
  try {
    const text = await res.text();
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[]; details?: string };
    const e = body.errors?.[0];
    if (e) return `: ${[e.code, e.message].filter(Boolean).join(' ')}`;
    return body.details ? `: ${body.details}` : '';
  } catch {
    return '';
  }
}
