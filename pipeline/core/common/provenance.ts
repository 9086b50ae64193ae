/**
 * Where a model came from: package versions and a reproducible time. The code commit is
 * the caller's to say (TrainOptions.checkout): the core knows nothing of git.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A creation time that does not change between identical runs (reproducible builds): SOURCE_DATE_EPOCH, else the commit time. */
export function reproducibleTime(commitTime: string | null): string | null {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return commitTime;
}

const require = createRequire(import.meta.url);

export function packageVersion(name: string): string {
  try {
    const pkgPath = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function projectVersion(): string {
  // A bundle (the actions' dist/index.js) carries the version it was built from: it may run
  // from a folder with no package.json above it.
  return (
    process.env.MLOPS_BUNDLED_VERSION ??
    (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version
  );
}
