/**
 * Prints the repository's Dockerfile with every FROM that names a base image (not an
 * earlier stage) on IMAGE: the copy `npm run test:container` builds on its local stand-in
 * for the pinned base. It is `mlops release publish --base-image`'s rewrite (withBaseImage),
 * so the container test builds exactly what a release on another base would.
 *
 *   npx tsx scripts/dockerfile-on-base.ts IMAGE > Dockerfile.copy
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withBaseImage } from '../pipeline/gitops/release/base-image.ts';

const ROOT = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
if (args.length !== 1) {
  process.stderr.write('usage: npx tsx scripts/dockerfile-on-base.ts IMAGE\n');
  process.exit(2);
}
const dockerfile = join(ROOT, 'Dockerfile');
try {
  process.stdout.write(withBaseImage(readFileSync(dockerfile, 'utf8'), args[0], dockerfile));
} catch (e) {
  process.stderr.write(`dockerfile-on-base: ${(e as Error).message}\n`);
  process.exit(1);
}
