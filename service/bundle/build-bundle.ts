/**
 * The service's esbuild bundle, one build for every way the service is started: the
 * container image (`npm run build:service`), `npm start` and `mlops serve`. A bundle
 * records the key of the sources it was built from (build-info.json), so a start can
 * tell whether the bundle beside it is current or must be built again.
 */
import { build, stop, version as esbuildVersion } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** The project folder the service is built from. */
export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
export const BUILD_INFO = 'build-info.json';

const HEALTHCHECK = `// HEALTHCHECK probe: exit 0 when /healthz answers 200 within 2 s.
const port = process.env.PORT || '8080';
fetch('http://127.0.0.1:' + port + '/healthz', { signal: AbortSignal.timeout(2000) })
  .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));
`;

function serviceVersion(root: string): string {
  return (
    process.env.SERVICE_VERSION ??
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version
  );
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/**
 * What a bundle is a function of: the service's and the pipeline's sources and the page
 * files, the locked dependency versions, the version it reports and esbuild's own version.
 */
export function sourceKey(root = PROJECT_ROOT): string {
  const files = [
    ...filesUnder(join(root, 'service')),
    ...filesUnder(join(root, 'pipeline')),
    join(root, 'package.json'),
    join(root, 'package-lock.json'),
  ]
    .filter((f) => existsSync(f))
    .map((f) => relative(root, f))
    .sort();
  const h = createHash('sha256');
  h.update(`esbuild ${esbuildVersion}\0version ${serviceVersion(root)}\0`);
  for (const f of files)
    h.update(f)
      .update('\0')
      .update(readFileSync(join(root, f)))
      .update('\0');
  return h.digest('hex');
}

/** The key a bundle folder was built from, or null when it has none (or no bundle). */
export function bundleKey(out: string): string | null {
  try {
    if (!existsSync(join(out, 'service.mjs'))) return null;
    return (JSON.parse(readFileSync(join(out, BUILD_INFO), 'utf8')) as { key?: string }).key ?? null;
  } catch {
    return null;
  }
}

/**
 * Builds the service into `out` (which must be empty or new): service.mjs and its chunks,
 * the HEALTHCHECK probe, Swagger UI's assets, the dashboard's files and build-info.json.
 * Returns the bundle's size in bytes.
 */
export async function buildServiceBundle(out: string, root = PROJECT_ROOT): Promise<number> {
  const key = sourceKey(root);
  mkdirSync(out, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { service: join(root, 'service/main.ts') },
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
    define: { 'process.env.SERVICE_VERSION': JSON.stringify(serviceVersion(root)) },
  });
  writeFileSync(join(out, 'healthcheck.mjs'), HEALTHCHECK);
  const swagger = dirname(createRequire(join(root, 'package.json')).resolve('swagger-ui-dist/package.json'));
  mkdirSync(join(out, 'swagger-ui'), { recursive: true });
  for (const f of ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png', 'LICENSE'])
    copyFileSync(join(swagger, f), join(out, 'swagger-ui', f));
  if (existsSync(join(root, 'service/public')))
    cpSync(join(root, 'service/public'), join(out, 'public'), { recursive: true });
  writeFileSync(join(out, BUILD_INFO), JSON.stringify({ key }, null, 2) + '\n');
  // esbuild's build service is a child process that would otherwise stay beside a launcher for good.
  await stop();
  return Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
}
