/**
 * Optional API keys. A key may come as `Authorization: Bearer <key>` or `X-API-Key`.
 * Keys are compared as SHA-256 digests with timingSafeEqual, against every configured
 * key without stopping at a match, so timing tells nothing about a key's content.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './http-error.ts';

export interface KeyChecker {
  readonly enabled: boolean;
  /** Throws 401 unless the request carries a configured key. */
  check(headers: Record<string, string | string[] | undefined>): void;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function keyChecker(keys: readonly string[]): KeyChecker {
  const digests = keys.map(digest);
  return {
    enabled: digests.length > 0,
    check(headers) {
      if (digests.length === 0) return;
      const given = presentedKey(headers);
      if (given === null)
        throw unauthorized('an API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"');
      const d = digest(given);
      let ok = false;
      for (const k of digests) ok = timingSafeEqual(d, k) || ok;
      if (!ok) throw unauthorized('the API key is not valid');
    },
  };
}

function presentedKey(headers: Record<string, string | string[] | undefined>): string | null {
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  return null;
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'UNAUTHENTICATED', message, undefined, { 'WWW-Authenticate': 'Bearer realm="mlops"' });
}
