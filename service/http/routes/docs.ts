/**
 * `/openapi.json` and `/docs` (Swagger UI from the installed swagger-ui-dist package;
 * nothing is fetched from a CDN, so the docs work on an isolated network).
 */
import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { ServiceState } from '../state.ts';
import { openApiDocument } from '../openapi.ts';
import { HttpError } from '../http-error.ts';
import { SERVICE_VERSION } from '../version.ts';
import { PAGE_CSP } from '../security-headers.ts';

/** The files of swagger-ui-dist served under /docs/, by name (a Map: a name from the URL finds only these). */
const ASSETS = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
]);

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Credit-risk scoring API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>
`;
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

/** Where swagger-ui-dist's files are: SWAGGER_UI_DIR, next to the bundled service, or node_modules. */
export function swaggerUiDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  // In the bundled build this code sits in dist/service/chunks/, the assets in dist/service/swagger-ui/.
  const candidates = [process.env.SWAGGER_UI_DIR, join(here, 'swagger-ui'), join(here, '..', 'swagger-ui')];
  try {
    candidates.push(dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')));
  } catch {
    // Bundled build without node_modules: the copy next to the bundle is used.
  }
  for (const c of candidates) if (c && existsSync(join(c, 'swagger-ui-bundle.js'))) return c;
  return null;
}

export function docsRouter(s: ServiceState): Router {
  const r = new Router();
  const doc = openApiDocument(s, SERVICE_VERSION);
  const dir = swaggerUiDir();
  r.get('/openapi.json', (ctx) => {
    ctx.body = doc;
  });
  r.get('/docs', (ctx) => {
    if (!dir)
      throw new HttpError(
        404,
        'NOT_FOUND',
        'Swagger UI is not installed with this service; /openapi.json has the API description',
      );
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.body = PAGE;
  });
  r.get('/docs/init.js', (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = INIT;
  });
  r.get('/docs/:file', (ctx) => {
    const type = ASSETS.get(ctx.params.file);
    if (!dir || !type) throw new HttpError(404, 'NOT_FOUND', `no such documentation file: ${ctx.params.file}`);
    ctx.type = type;
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = createReadStream(join(dir, ctx.params.file));
  });
  return r;
}
