/**
 * Pins the scoring image by digest in a kustomize overlay. The overlay in git is what a
 * GitOps controller (Argo CD, Flux) deploys, so the digest written here is the exact
 * image that serves — a tag could move, a digest cannot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { writeFileAtomic, configError, usageError } from '../../core/index.ts';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/;

export interface ImagePin {
  /** Repository without tag or digest, e.g. ghcr.io/acme/credit-risk-gitops. */
  image: string;
  digest: string;
}

export function checkPin(pin: ImagePin): void {
  if (!DIGEST.test(pin.digest))
    throw usageError(`image digest must look like sha256:<64 hex digits> (got ${JSON.stringify(pin.digest)})`);
  if (!IMAGE.test(pin.image))
    throw usageError(
      `image must be a lower-case repository name without tag, e.g. ghcr.io/acme/credit-risk-gitops (got ${JSON.stringify(pin.image)})`,
    );
}

/**
 * Returns the overlay's kustomization text with its single `images:` entry pointing at
 * the pinned image. Comments and the rest of the document are kept.
 */
export function pinImageInKustomization(text: string, pin: ImagePin, file = 'kustomization.yaml'): string {
  checkPin(pin);
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) throw configError(`${file}: malformed YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const images = doc.get('images');
  if (!YAML.isSeq(images) || images.items.length !== 1) {
    throw configError(`${file}: expected exactly one entry under images: (the scoring image) to pin`);
  }
  const entry = images.items[0];
  if (!YAML.isMap(entry)) throw configError(`${file}: images[0] must be a mapping with name/newName/digest`);
  entry.set('newName', pin.image);
  entry.set('digest', pin.digest);
  entry.delete('newTag');
  return doc.toString();
}

/** The folder holding one kustomize overlay per environment. */
export function overlaysDir(root: string): string {
  return join(root, 'deploy', 'k8s', 'overlays');
}

/** An overlay's kustomization file, its text now, and its text with the pin. */
export function pinnedOverlay(
  root: string,
  env: string,
  pin: ImagePin,
): { file: string; before: string; after: string } {
  if (!/^[a-z0-9-]+$/.test(env))
    throw usageError(`overlay names look like staging or production (got ${JSON.stringify(env)})`);
  const file = join(overlaysDir(root), env, 'kustomization.yaml');
  let before: string;
  try {
    before = readFileSync(file, 'utf8');
  } catch {
    throw usageError(`no overlay "${env}": ${file} does not exist`);
  }
  return { file, before, after: pinImageInKustomization(before, pin, file) };
}

export function renderOverlay(root: string, env: string, pin: ImagePin): string {
  const o = pinnedOverlay(root, env, pin);
  if (o.after !== o.before) writeFileAtomic(o.file, o.after);
  return o.file;
}
