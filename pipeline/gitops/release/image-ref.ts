/**
 * The image a release publishes to: `<registry host>/<repository>`, e.g.
 * `ghcr.io/acme/credit-risk-gitops` or `127.0.0.1:5000/credit-risk-scoring`. Tags are the
 * release's to choose (`v<N>`, `champion`), so a reference that already carries a tag or
 * a digest is refused, and so is one without a registry host: Docker would read
 * `acme/scoring` as Docker Hub, which is never what a credit-risk deployment means.
 */
import { usageError } from '../../core/index.ts';

export interface ImageRef {
  /** Registry host, with its port when it has one (`ghcr.io`, `127.0.0.1:5000`). */
  host: string;
  /** Repository path inside the registry (`acme/credit-risk-gitops`). */
  repository: string;
  /** `host/repository`, the name `docker push` and the Kubernetes overlay use. */
  name: string;
  /** Base URL of the Registry HTTP API v2 (plain HTTP for loopback registries only, as Docker does). */
  baseUrl: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$/;

/** True for registries Docker itself talks to over plain HTTP without configuration. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/:[0-9]+$/, '');
  return bare === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '[::1]';
}

/**
 * Parses `--image`. Upper case is folded to lower case (registries refuse it, and
 * `ghcr.io/${{ github.repository }}` often has some), as docker/metadata-action does.
 */
export function parseImageRef(text: string): ImageRef {
  const raw = text.trim();
  const example = 'e.g. ghcr.io/<owner>/<repo> or 127.0.0.1:5000/credit-risk-scoring';
  if (!raw) throw usageError(`--image is empty; name the image repository, ${example}`);
  if (raw.includes('@'))
    throw usageError(`image ${JSON.stringify(raw)} carries a digest; name the repository only, ${example}`);
  const parts = raw.toLowerCase().split('/');
  const first = parts[0];
  const isHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!isHost) throw usageError(`image ${JSON.stringify(raw)} names no registry host; write it in full, ${example}`);
  if (!HOST.test(first))
    throw usageError(`image ${JSON.stringify(raw)}: ${JSON.stringify(first)} is not a registry host`);
  const path = parts.slice(1);
  if (/:[^/]*$/.test(path.at(-1) ?? ''))
    throw usageError(
      `image ${JSON.stringify(raw)} carries a tag; name the repository only (the release tags v<N> and champion itself), ${example}`,
    );
  const bad = path.find((p) => !COMPONENT.test(p));
  if (bad !== undefined)
    throw usageError(
      `image ${JSON.stringify(raw)}: ${JSON.stringify(bad)} is not a valid repository path component (lower-case letters, digits and . _ - between them)`,
    );
  const repository = path.join('/');
  return {
    host: first,
    repository,
    name: `${first}/${repository}`,
    baseUrl: `${isLoopbackHost(first) ? 'http' : 'https'}://${first}`,
  };
}
