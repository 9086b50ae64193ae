/**
 * `npm run build:service [-- --model FILE] [--out DIR]`: bundles the service with
 * esbuild into one ESM file and lays out everything the container needs, so the image
 * runs `node service.mjs` with no node_modules and no npm install:
 *
 *   dist/service/service.mjs        the service (entry: service/main.ts)
 *   dist/service/healthcheck.mjs    the image's HEALTHCHECK probe
 *   dist/service/swagger-ui/        Swagger UI assets from swagger-ui-dist (for /docs)
 *   dist/service/public/            service/public, when it exists (dashboard)
 *   dist/service/model/model.json.gz   the bundle to serve: --model, else the registry champion
 */
import { build } from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readBundle } from '../pipeline/core/index.ts';
import { resolveModelSource } from './scoring/model-source.ts';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { model: { type: 'string' }, out: { type: 'string' } } });
const out = resolve(values.out ?? join(ROOT, 'dist/service'));

const HEALTHCHECK = `// HEALTHCHECK probe: exit 0 when /healthz answers 200 within 2 s.
const port = process.env.PORT || '8080';
fetch('http://127.0.0.1:' + port + '/healthz', { signal: AbortSignal.timeout(2000) })
  .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));
`;

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const result = await build({
    entryPoints: { service: join(ROOT, 'service/main.ts') },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    // The cluster primary loads only the entry chunk; workers load the app chunks too.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Whitespace and comments out: the source text stays in every isolate's heap, and a
    // comment with a character beyond Latin-1 makes V8 store a whole chunk two bytes per
    // character (docs/service.md has the saving). Names are kept, so
    // stack traces still name the functions.
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    // CommonJS dependencies (pino, prom-client, …) call require(): give the ESM bundle one.
    banner: {
      js: "import { createRequire as __mlopsCreateRequire } from 'node:module'; const require = __mlopsCreateRequire(import.meta.url);",
    },
    define: { 'process.env.SERVICE_VERSION': JSON.stringify(process.env.SERVICE_VERSION ?? version) },
  });
  writeFileSync(join(out, 'healthcheck.mjs'), HEALTHCHECK);
  const swagger = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  mkdirSync(join(out, 'swagger-ui'));
  for (const f of ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png', 'LICENSE'])
    copyFileSync(join(swagger, f), join(out, 'swagger-ui', f));
  if (existsSync(join(ROOT, 'service/public')))
    cpSync(join(ROOT, 'service/public'), join(out, 'public'), { recursive: true });

  let modelNote = 'no model copied (pass --model FILE or promote a champion)';
  let model: string | null = values.model ? resolve(values.model) : null;
  let version_: number | null = null;
  if (!model) {
    try {
      const src = resolveModelSource({ modelPath: null, modelVersion: null, root: ROOT, modelName: null });
      model = src.path;
      version_ = src.version;
    } catch {
      model = null;
    }
  }
  if (model) {
    const bundle = readBundle(model); // refuses a bundle whose digest does not verify
    mkdirSync(join(out, 'model'));
    const bytes = readFileSync(model);
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? bytes : gzipSync(bytes, { level: 9 });
    writeFileSync(join(out, 'model', 'model.json.gz'), gz);
    writeFileSync(join(out, 'model', 'model-version'), version_ === null ? '' : String(version_));
    modelNote = `model ${bundle.name}${version_ === null ? '' : ` v${version_}`} ${bundle.digest} from ${model}`;
  }
  const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  process.stdout.write(`built ${join(out, 'service.mjs')} (${(bytes / 1024 / 1024).toFixed(1)} MB); ${modelNote}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`build:service failed: ${e.message}\n`);
  process.exit(1);
});
