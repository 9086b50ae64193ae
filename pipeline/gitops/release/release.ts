/**
 * `release status` and `release publish`: read the desired state from the registry in
 * git, observe the OCI registry, and (publish) close the gap — build and push each
 * missing `v<N>` from the commit that promoted it, then point `champion` at the
 * champion's image with a manifest PUT (a rollback is a retag, never a rebuild). Running
 * publish again finds nothing to do. The plan is pure (plan.ts); docker and HTTP are the
 * edges (docker.ts, oci-client.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MlopsError, parseBundle } from '../../core/index.ts';
import { loadRegistry } from '../registry/store.ts';
import type { Docker } from './docker.ts';
import { MODEL_DIGEST_LABEL, MODEL_NAME_LABEL, MODEL_VERSION_LABEL, CHAMPION_TAG } from './labels.ts';
import type { OciClient } from './oci-client.ts';
import {
  desiredState,
  planRelease,
  tagsOfInterest,
  type DesiredState,
  type ObservedState,
  type ReleasePlan,
} from './plan.ts';
import { checkoutRoot, npm, promotionCommits, withWorktree } from './source.ts';

export interface StatusOptions {
  /** Registry folder (`models/`); read and verified like every registry read. */
  dir: string;
  model: string;
  client: OciClient;
}

/** What the OCI registry holds for the tags a desired state names. */
export async function observe(client: OciClient, desired: DesiredState): Promise<ObservedState> {
  const present = new Set(await client.tags());
  const observed: ObservedState = new Map();
  for (const tag of tagsOfInterest(desired)) {
    if (!present.has(tag)) continue;
    const m = await client.manifest(tag);
    if (m) observed.set(tag, { digest: m.digest, labels: await client.labels(m) });
  }
  return observed;
}

export async function releaseStatus(o: StatusOptions): Promise<ReleasePlan> {
  const desired = desiredState(loadRegistry(o.dir), o.model);
  return planRelease(o.client.ref.name, desired, await observe(o.client, desired));
}

/** The error a plan with conflicts raises: every immutable tag that disagrees, named with both digests. */
export function conflictError(plan: ReleasePlan): MlopsError {
  return new MlopsError('integrity', plan.conflicts.join('; '));
}

export interface PublishOptions extends StatusOptions {
  docker: () => Promise<Docker>;
  /** `org.opencontainers.image.source`, e.g. https://github.com/acme/credit-risk-gitops. */
  source?: string | null;
  /** Extra `docker build --build-arg`s. */
  buildArgs?: Record<string, string>;
  /** Build on this image instead of the Dockerfile's pinned base (a mirror of it). */
  baseImage?: string | null;
  network?: string | null;
  onStep?: (line: string) => void;
}

export interface PublishResult {
  before: ReleasePlan;
  after: ReleasePlan;
  built: { version: number; tag: string; digest: string; commit: string }[];
  /** The digest `champion` was moved to, or null when it already pointed there. */
  championMovedTo: string | null;
}

export async function publishRelease(o: PublishOptions): Promise<PublishResult> {
  const step = o.onStep ?? (() => undefined);
  const reg = loadRegistry(o.dir);
  const desired = desiredState(reg, o.model);
  const before = planRelease(o.client.ref.name, desired, await observe(o.client, desired));
  if (before.conflicts.length) throw conflictError(before);
  const built: PublishResult['built'] = [];
  let championMovedTo: string | null = null;
  if (before.actions.length === 0) return { before, after: before, built, championMovedTo };

  const builds = before.actions.filter((a) => a.kind === 'build');
  if (builds.length) {
    const root = await checkoutRoot(o.dir);
    const commits = await promotionCommits(
      root,
      o.dir,
      o.model,
      builds.map((b) => b.version),
    );
    const docker = await o.docker();
    try {
      for (const b of builds) {
        const commit = commits.get(b.version)!;
        const tag = `${o.client.ref.name}:${b.tag}`;
        step(`building ${tag} from ${commit.slice(0, 12)} (the commit that made v${b.version} champion)`);
        await withWorktree(root, commit, async (tree) => {
          await npm(['run', '-s', 'build:service'], tree);
          checkBundledModel(tree, o.model, b.version, b.modelDigest);
          const labels = {
            [MODEL_DIGEST_LABEL]: b.modelDigest,
            [MODEL_NAME_LABEL]: o.model,
            [MODEL_VERSION_LABEL]: String(b.version),
            'org.opencontainers.image.revision': commit,
            'org.opencontainers.image.version': b.tag,
            ...(o.source ? { 'org.opencontainers.image.source': o.source } : {}),
          };
          const buildArgs = {
            VERSION: b.tag,
            REVISION: commit,
            ...(o.source ? { SOURCE: o.source } : {}),
            ...o.buildArgs,
          };
          await docker.build({ context: tree, tag, labels, buildArgs, network: o.network, baseImage: o.baseImage });
        });
        const local = (await docker.labels(tag))[MODEL_DIGEST_LABEL];
        if (local !== b.modelDigest)
          throw new MlopsError(
            'integrity',
            `${tag} was built with model label ${local ?? 'none'}, not ${b.modelDigest}`,
          );
        // A writer racing this one may have pushed the tag meanwhile: v<N> is never overwritten.
        if (await o.client.manifest(b.tag))
          throw new MlopsError('state', `${tag} appeared in the registry while it was being built; run publish again`);
        step(`pushing ${tag}`);
        await docker.push(tag);
        const pushed = await o.client.manifest(b.tag);
        const label = pushed ? (await o.client.labels(pushed))[MODEL_DIGEST_LABEL] : undefined;
        if (!pushed || label !== b.modelDigest)
          throw new MlopsError(
            'integrity',
            `after the push, ${tag} ${pushed ? `carries model ${label ?? 'none'}` : 'is not in the registry'}; expected model ${b.modelDigest}`,
          );
        built.push({ version: b.version, tag: b.tag, digest: pushed.digest, commit });
      }
    } finally {
      docker.close();
    }
  }

  const middle = planRelease(o.client.ref.name, desired, await observe(o.client, desired));
  const retag = middle.actions.find((a) => a.kind === 'retag');
  if (retag) {
    const m = await o.client.manifest(retag.from);
    if (!m)
      throw new MlopsError('state', `${o.client.ref.name}:${retag.from} vanished before champion could point at it`);
    step(`pointing ${o.client.ref.name}:${CHAMPION_TAG} at ${retag.from} (${m.digest}), no rebuild`);
    championMovedTo = await o.client.putManifest(CHAMPION_TAG, m);
  }
  const after = planRelease(o.client.ref.name, desired, await observe(o.client, desired));
  if (after.actions.length || after.conflicts.length)
    throw new MlopsError(
      'state',
      `after publishing, the OCI registry still differs from the registry: ${after.actions.map((a) => (a.kind === 'build' ? a.tag : 'champion')).join(', ')}`,
    );
  return { before, after, built, championMovedTo };
}

/** The service bundle must serve exactly the version being released. */
function checkBundledModel(tree: string, model: string, version: number, digest: string): void {
  const file = join(tree, 'dist', 'service', 'model', 'model.json.gz');
  if (!existsSync(file))
    throw new MlopsError('state', `npm run build:service at the commit of ${model} v${version} wrote no model bundle`);
  const bundled = parseBundle(readFileSync(file), file).digest;
  if (bundled !== digest)
    throw new MlopsError(
      'integrity',
      `the service bundle built for ${model} v${version} holds model ${bundled}, not the registry's ${digest}`,
    );
}
