/**
 * The bundle `npm start` and `mlops serve` run: dist/service (what `npm run build:service`
 * made for the image) when it was built from the current sources, else a bundle of the
 * current sources under dist/start/<key>/, built on first use. A build goes to a private
 * folder and is renamed into place, so services started at the same time never see a
 * half-written bundle.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, buildServiceBundle, bundleKey, sourceKey } from './build-bundle.ts';

/** Bundles of other sources are removed once this old: a service started from one has loaded it long since. */
const STALE_MS = 60 * 60 * 1000;

export interface CurrentBundle {
  /** service.mjs to run. */
  entry: string;
  /** How it was found, for the start-up line. */
  how: 'image build' | 'cached' | 'built';
}

export async function currentBundle(root = PROJECT_ROOT): Promise<CurrentBundle> {
  const key = sourceKey(root);
  const image = join(root, 'dist', 'service');
  if (bundleKey(image) === key) return { entry: join(image, 'service.mjs'), how: 'image build' };
  const starts = join(root, 'dist', 'start');
  const dir = join(starts, key.slice(0, 16));
  if (bundleKey(dir) === key) return { entry: join(dir, 'service.mjs'), how: 'cached' };
  const tmp = join(starts, `.${key.slice(0, 16)}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  await buildServiceBundle(tmp, root);
  try {
    renameSync(tmp, dir);
  } catch {
    // Another start built the same sources first: use its bundle.
    rmSync(tmp, { recursive: true, force: true });
    if (bundleKey(dir) !== key) throw new Error(`could not put the service bundle in place at ${dir}`);
  }
  prune(starts, dir);
  return { entry: join(dir, 'service.mjs'), how: 'built' };
}

function prune(starts: string, keep: string): void {
  mkdirSync(starts, { recursive: true });
  for (const name of readdirSync(starts)) {
    const d = join(starts, name);
    if (d === keep || !existsSync(d)) continue;
    if (Date.now() - statSync(d).mtimeMs > STALE_MS) rmSync(d, { recursive: true, force: true });
  }
}
