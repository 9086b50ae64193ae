/**
 * Reconcile, as pure data: the desired state (every version of the model that has served
 * as champion, and where `champion` points, from models/registry.json) against the
 * observed state (the OCI registry's tags, digests and model labels) gives each image's
 * state and the actions that close the gap — build and push a missing `v<N>`, move
 * `champion` to the champion's image. A pushed `v<N>` is never rebuilt: one whose model
 * label disagrees with the registry is a conflict, and a conflict stops the release.
 */
import { MlopsError } from '../../core/index.ts';
import type { RegistryFile } from '../registry/schema.ts';
import { CHAMPION_TAG, MODEL_DIGEST_LABEL, versionTag } from './labels.ts';

export interface DesiredState {
  model: string;
  /** Versions that need an image: every version that has been champion, oldest first. */
  versions: { version: number; modelDigest: string }[];
  champion: number | null;
}

export interface ObservedImage {
  /** Manifest digest of the tag. */
  digest: string;
  labels: Record<string, string>;
}

/** What the OCI registry holds for the tags reconcile cares about (absent tags are missing). */
export type ObservedState = Map<string, ObservedImage>;

export type VersionState = 'published' | 'missing' | 'conflict' | 'unlabelled';

export interface VersionStatus {
  version: number;
  tag: string;
  state: VersionState;
  /** The registry's model digest for this version. */
  modelDigest: string;
  /** The image's manifest digest, when the tag exists. */
  imageDigest: string | null;
  /** The model digest the image's label names, when it has one. */
  labelDigest: string | null;
}

export type ChampionState = 'current' | 'missing' | 'stale' | 'none';

export interface ChampionStatus {
  version: number | null;
  state: ChampionState;
  /** The image `champion` should point at (null until v<N> is pushed). */
  wantDigest: string | null;
  /** Where `champion` points now. */
  digest: string | null;
  /** The version whose image `champion` points at now, when it is one of ours. */
  pointsAt: number | null;
}

export type ReleaseAction =
  | { kind: 'build'; version: number; tag: string; modelDigest: string }
  | { kind: 'retag'; tag: typeof CHAMPION_TAG; version: number; from: string };

export interface ReleasePlan {
  image: string;
  model: string;
  versions: VersionStatus[];
  champion: ChampionStatus;
  actions: ReleaseAction[];
  /** One sentence per immutable tag that disagrees with the registry; any conflict stops a publish. */
  conflicts: string[];
  /** Images that exist but predate the model label (accepted, never rebuilt). */
  warnings: string[];
}

/** Every version that has served as champion (promoted or rolled back to), plus the champion itself. */
export function desiredState(reg: RegistryFile, model: string): DesiredState {
  const entry = reg.models[model];
  if (!entry) return { model, versions: [], champion: null };
  const served = new Set<number>();
  for (const h of entry.history)
    if ((h.event === 'promoted' || h.event === 'rolled_back') && h.version !== null) served.add(h.version);
  if (entry.aliases.champion !== null) served.add(entry.aliases.champion);
  return {
    model,
    versions: entry.versions
      .filter((v) => served.has(v.version))
      .map((v) => ({ version: v.version, modelDigest: v.digest })),
    champion: entry.aliases.champion,
  };
}

/** The tags reconcile reads from the OCI registry for a desired state. */
export function tagsOfInterest(desired: DesiredState): string[] {
  return [...desired.versions.map((v) => versionTag(v.version)), CHAMPION_TAG];
}

export function planRelease(image: string, desired: DesiredState, observed: ObservedState): ReleasePlan {
  const conflicts: string[] = [];
  const warnings: string[] = [];
  const actions: ReleaseAction[] = [];
  const versions = desired.versions.map((d): VersionStatus => {
    const tag = versionTag(d.version);
    const img = observed.get(tag);
    if (!img)
      return {
        version: d.version,
        tag,
        state: 'missing',
        modelDigest: d.modelDigest,
        imageDigest: null,
        labelDigest: null,
      };
    // An empty label is a hand build that did not pass MODEL_DIGEST: unlabelled, not a claim.
    const label = img.labels[MODEL_DIGEST_LABEL] || null;
    let state: VersionState = 'published';
    if (label === null) {
      state = 'unlabelled';
      warnings.push(
        `${image}:${tag} (${img.digest}) has no ${MODEL_DIGEST_LABEL} label (pushed before releases were labelled); it is kept as ${desired.model} v${d.version}'s image, never rebuilt`,
      );
    } else if (label !== d.modelDigest) {
      state = 'conflict';
      conflicts.push(
        `${image}:${tag} (${img.digest}) carries model ${label} but the registry's ${desired.model} v${d.version} is ${d.modelDigest}; a pushed v<N> is never overwritten — delete that tag by hand if it is wrong, or restore the registry`,
      );
    }
    return { version: d.version, tag, state, modelDigest: d.modelDigest, imageDigest: img.digest, labelDigest: label };
  });
  for (const v of versions)
    if (v.state === 'missing')
      actions.push({ kind: 'build', version: v.version, tag: v.tag, modelDigest: v.modelDigest });

  const current = observed.get(CHAMPION_TAG) ?? null;
  const pointsAt = current ? (versions.find((v) => v.imageDigest === current.digest)?.version ?? null) : null;
  let champion: ChampionStatus;
  if (desired.champion === null) {
    champion = { version: null, state: 'none', wantDigest: null, digest: current?.digest ?? null, pointsAt };
  } else {
    const want = versions.find((v) => v.version === desired.champion)!;
    const state: ChampionState = !current ? 'missing' : current.digest === want.imageDigest ? 'current' : 'stale';
    champion = {
      version: desired.champion,
      state,
      wantDigest: want.imageDigest,
      digest: current?.digest ?? null,
      pointsAt,
    };
    if (state !== 'current') actions.push({ kind: 'retag', tag: CHAMPION_TAG, version: want.version, from: want.tag });
  }
  return { image, model: desired.model, versions, champion, actions, conflicts, warnings };
}

/** The plan as lines a person reads (status and publish print it). */
export function planText(plan: ReleasePlan): string {
  const lines = [`${plan.image} · model ${plan.model}`];
  if (plan.versions.length === 0) lines.push('  no version of the model has been champion yet: nothing to publish');
  for (const v of plan.versions) {
    const img = v.imageDigest ? ` ${v.imageDigest}` : '';
    const detail =
      v.state === 'published'
        ? `published${img}, model ${v.modelDigest}`
        : v.state === 'missing'
          ? `missing (model ${v.modelDigest})`
          : v.state === 'unlabelled'
            ? `published${img} without a model label`
            : `CONFLICT${img}: label says model ${v.labelDigest}, the registry says ${v.modelDigest}`;
    lines.push(`  ${v.tag.padEnd(9)} ${detail}`);
  }
  const c = plan.champion;
  if (c.version !== null) {
    const where =
      c.state === 'current'
        ? `→ v${c.version} (${c.digest})`
        : c.state === 'missing'
          ? `missing (should point at v${c.version})`
          : `stale: points at ${c.pointsAt !== null ? `v${c.pointsAt}` : 'another image'} (${c.digest}), should point at v${c.version}`;
    lines.push(`  ${CHAMPION_TAG.padEnd(9)} ${where}`);
  }
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  lines.push(
    plan.actions.length === 0
      ? 'Nothing to do: every champion has its image and champion points at the current one.'
      : `To do: ${plan.actions.map((a) => (a.kind === 'build' ? `build and push ${a.tag}` : `point champion at ${a.from}`)).join(', ')}.`,
  );
  return lines.join('\n');
}

/** The image to pin for the champion: its `v<N>` image's digest, which never moves. */
export function championPin(plan: ReleasePlan): { image: string; digest: string; model: string; version: number } {
  if (plan.conflicts.length) throw new MlopsError('integrity', plan.conflicts.join('; '));
  const c = plan.champion;
  if (c.version === null)
    throw new MlopsError('state', `${plan.model} has no champion in the registry: nothing to pin`);
  const v = plan.versions.find((x) => x.version === c.version)!;
  if (!v.imageDigest)
    throw new MlopsError(
      'state',
      `${plan.image}:${v.tag}, the image of champion ${plan.model} v${c.version}, is not in the registry yet: run "mlops release publish" first`,
    );
  return { image: plan.image, digest: v.imageDigest, model: plan.model, version: c.version };
}
