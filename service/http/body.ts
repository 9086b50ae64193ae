/**
 * Request bodies, read by hand rather than with a body-parser middleware: the size limit
 * is enforced while reading (413 before the whole body is buffered), the content type is
 * checked first (415), and the single-applicant hot path does one Buffer → JSON.parse.
 */
import type { IncomingMessage } from 'node:http';
import { type CsvOptions } from '../../pipeline/core/index.ts';
import { HttpError, badRequest } from './http-error.ts';

export type BodyKind = 'json' | 'csv';

/** The kind of body a Content-Type announces, or null for anything else. */
export function bodyKind(contentType: string | undefined): BodyKind | null {
  if (!contentType) return null;
  const semi = contentType.indexOf(';');
  const mime = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'))) return 'json';
  if (mime === 'text/csv' || mime === 'application/csv') return 'csv';
  return null;
}

export function requireKind(req: IncomingMessage, accepted: BodyKind[]): BodyKind {
  const kind = bodyKind(req.headers['content-type']);
  if (kind === null || !accepted.includes(kind)) {
    const want = accepted.map((k) => (k === 'json' ? 'application/json' : 'text/csv')).join(' or ');
    const got = req.headers['content-type'] ? `"${req.headers['content-type']}"` : 'no Content-Type';
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `expected Content-Type ${want}, got ${got}`);
  }
  return kind;
}

/** How a client says a CSV body is Latin-1, for the message refusing one that is not UTF-8. */
export const CSV_LATIN1_HINT = 'send it with "Content-Type: text/csv; charset=iso-8859-1"';

/**
 * The CSV contract's reading options from the Content-Type's charset: UTF-8 unless the
 * client says ISO-8859-1 (Latin-1); any other charset is refused (415).
 */
export function csvOptions(req: IncomingMessage): CsvOptions {
  const type = req.headers['content-type'] ?? '';
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(type);
  const charset = m ? m[1].toLowerCase() : 'utf-8';
  if (charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii')
    return { encoding: 'utf8', latin1Hint: CSV_LATIN1_HINT };
  if (charset === 'iso-8859-1' || charset === 'latin1') return { encoding: 'latin1', latin1Hint: CSV_LATIN1_HINT };
  throw new HttpError(
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    `a CSV body must be charset=utf-8 (the default) or charset=iso-8859-1, got charset=${m![1]}`,
  );
}

export function tooLarge(limit: number): HttpError {
  // Close the connection: the rest of an oversized body is not read.
  return new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than the limit of ${limit} bytes`, undefined, {
    Connection: 'close',
  });
}

/** Bodies already read by the fast route (service/http/fast-route.ts) before it handed the request to Koa. */
const handedOver = new WeakMap<IncomingMessage, Promise<Buffer>>();

/** Gives the Koa app a request whose body was already read (or failed to be): readBody returns that. */
export function handOver(req: IncomingMessage, body: Promise<Buffer>): void {
  handedOver.set(req, body);
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const read = handedOver.get(req);
  if (read !== undefined) return read;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.once('error', (e) => {
      if (done) return;
      done = true;
      reject(new HttpError(400, 'BAD_REQUEST', `request body could not be read: ${e.message}`));
    });
  });
}

/** JSON.parse with the error a client can act on (position of the syntax error). */
export function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) throw badRequest('request body is empty (expected JSON)');
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    if (text.trim() === '') throw badRequest('request body is empty (expected JSON)');
    throw badRequest(`malformed JSON: ${(e as Error).message}`);
  }
}
