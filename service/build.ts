/**
 * `npm run build:service [-- --model FILE] [--out DIR]`: bundles the service with
 * esbuild (service/bundle/build-bundle.ts) and lays out everything the container needs,
 * so the image runs `node service.mjs` with no node_modules and no npm install:
 *
 *   dist/service/service.mjs        the service (entry: service/main.ts)
 *   dist/service/healthcheck.mjs    the image's HEALTHCHECK probe
 *   dist/service/swagger-ui/        Swagger UI assets from swagger-ui-dist (for /docs)
 *   dist/service/public/            service/public, when it exists (dashboard)
 *   dist/service/build-info.json    the key of the sources it was built from
 *   dist/service/model/model.json.gz   the bundle to serve: --model, else the registry champion
 *
 * `npm start` and `mlops serve` start from dist/service when its key is current.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readBundle } from '../pipeline/core/index.ts';
import { PROJECT_ROOT, buildServiceBundle } from './bundle/build-bundle.ts';
import { resolveModelSource } from './scoring/model-source.ts';

const { values } = parseArgs({ options: { model: { type: 'string' }, out: { type: 'string' } } });
const out = resolve(values.out ?? join(PROJECT_ROOT, 'dist/service'));

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  const bytes = await buildServiceBundle(out);

  let modelNote = 'no model copied (pass --model FILE or promote a champion)';
  let model: string | null = values.model ? resolve(values.model) : null;
  let version: number | null = null;
  if (!model) {
    try {
      const src = resolveModelSource({ modelPath: null, modelVersion: null, root: PROJECT_ROOT, modelName: null });
      model = src.path;
      version = src.version;
    } catch {
      model = null;
    }
  }
  if (model) {
    const bundle = readBundle(model); // refuses a bundle whose digest does not verify
    mkdirSync(join(out, 'model'));
    const raw = readFileSync(model);
    const gz = raw[0] === 0x1f && raw[1] === 0x8b ? raw : gzipSync(raw, { level: 9 });
    writeFileSync(join(out, 'model', 'model.json.gz'), gz);
    writeFileSync(join(out, 'model', 'model-version'), version === null ? '' : String(version));
    modelNote = `model ${bundle.name}${version === null ? '' : ` v${version}`} ${bundle.digest} from ${model}`;
  }
  process.stdout.write(`built ${join(out, 'service.mjs')} (${(bytes / 1024 / 1024).toFixed(1)} MB); ${modelNote}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`build:service failed: ${e.message}\n`);
  process.exit(1);
});
