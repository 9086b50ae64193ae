/**
 * The tracking section of a run record. `run.json` (pipeline/gitops/run/run-folder.ts) already holds
 * id, time, git, data digest, engine, params, seed, headline metrics and timings; this
 * section adds what reproducing and auditing a run needs on top: the resolved config,
 * package versions, the CI run that made it, the artifacts' digests and where the run
 * was logged in MLflow. Nothing here is duplicated from the base record.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sha256Hex, type LoadedConfig, type MlopsConfig, type TrainResult } from '../../core/index.ts';
import type { RunRecord } from '../run/run-folder.ts';

export const TRACKING_VERSION = 1;

export interface CiInfo {
  provider: 'github-actions';
  run_id: string | null;
  run_attempt: string | null;
  run_url: string | null;
  workflow: string | null;
  event: string | null;
  ref: string | null;
  sha: string | null;
}

export interface Artifact {
  name: string;
  bytes: number;
  sha256: string;
}

export type MlflowStatus =
  | { status: 'logged'; tracking_uri: string; experiment_id: string; run_id: string; logged_at: string }
  | { status: 'failed'; tracking_uri: string; error: string; failed_at: string };

export interface TrackingSection {
  version: number;
  /** The resolved config the run used; `mlops runs reproduce` retrains from it. */
  config: MlopsConfig;
  /** Config file relative to the project folder, or null when only defaults applied. */
  config_file: string | null;
  /** Package versions that shaped the model (from the bundle's provenance). */
  packages: Record<string, string>;
  ci: CiInfo | null;
  /** The run folder when it is not the store folder (train --out elsewhere). */
  location?: string;
  artifacts?: Artifact[];
  /** Runs without a model bundle (tuning trials) carry their metrics here. */
  metrics?: Record<string, number | null>;
  /** Which rows `metrics` were measured on, e.g. "test" or "cv5". */
  metrics_split?: string;
  trial?: { study: string; index: number; baseline?: boolean };
  mlflow?: MlflowStatus;
}

export type TrackedRecord = RunRecord & { tracking?: TrackingSection };

/** GitHub Actions' own variables; null outside CI. */
export function ciInfo(env: NodeJS.ProcessEnv = process.env): CiInfo | null {
  if (env.GITHUB_ACTIONS !== 'true') return null;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const runUrl =
    env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : null;
  return {
    provider: 'github-actions',
    run_id: env.GITHUB_RUN_ID ?? null,
    run_attempt: env.GITHUB_RUN_ATTEMPT ?? null,
    run_url: runUrl,
    workflow: env.GITHUB_WORKFLOW ?? null,
    event: env.GITHUB_EVENT_NAME ?? null,
    ref: env.GITHUB_REF ?? null,
    sha: env.GITHUB_SHA ?? null,
  };
}

/** The section written with the run folder, before anything can fail. */
export function trackingSection(loaded: LoadedConfig, result: TrainResult): TrackingSection {
  return {
    version: TRACKING_VERSION,
    config: redactedConfig(loaded.config),
    config_file: loaded.file ? relative(loaded.baseDir, loaded.file) : null,
    packages: { ...result.bundle.provenance.packages },
    ci: ciInfo(),
  };
}

/** A copy of the config safe to store: credentials in an MLflow URI are removed. */
export function redactedConfig(config: MlopsConfig): MlopsConfig {
  const c = structuredClone(config);
  const uri = c.tracking?.mlflow?.tracking_uri;
  if (uri) {
    try {
      const u = new URL(uri);
      if (u.username || u.password) {
        u.username = '';
        u.password = '';
        c.tracking.mlflow.tracking_uri = u.toString();
      }
    } catch {
      // Not a URL: the schema allows only http(s) URLs, so there is nothing to redact.
    }
  }
  return c;
}

/** Size and sha256 of each file of a run folder, so an uploaded CI artifact can be checked. */
export function artifactDigests(dir: string, names: string[]): Artifact[] {
  const out: Artifact[] = [];
  for (const name of names) {
    const p = join(dir, name);
    // run.json is the record itself: its digest would change the moment it is written.
    if (name === 'run.json' || !existsSync(p) || !statSync(p).isFile()) continue;
    const bytes = readFileSync(p);
    out.push({ name, bytes: bytes.length, sha256: sha256Hex(bytes) });
  }
  return out;
}
