/**
 * Registry versions as runs, so `mlops runs compare ID champion` is one command. The
 * registry's own API reads `models/registry.json` (validated, bundle digests checked);
 * this module only turns a version into a TrackedRun: metrics from the version's
 * `metrics.json`, params, data and commit from its bundle and lineage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, loadVersionBundle, resolveRef } from '../registry/index.ts';
import { MlopsError } from '../../core/index.ts';
import { RUN_METRICS, toTrackedRun, type TrackedRun } from './store.ts';
import type { TrackedRecord } from './record.ts';

/**
 * Which run-id arguments mean the registry: `champion`, `challenger`, `NAME@champion`,
 * `NAME@challenger`, `NAME@vN`, `registry:vN`. Bare numbers and words stay run-id
 * prefixes (run ids start with digits). Returns the reference in the registry's syntax.
 */
export function parseRegistryRef(query: string, defaultName: string): string | null {
  if (query === 'champion' || query === 'challenger') return `${defaultName}@${query}`;
  if (/^[a-z0-9][a-z0-9-]*@(champion|challenger|v\d+)$/.test(query)) return query;
  const m = /^registry:(v\d+)$/.exec(query);
  return m ? `${defaultName}@${m[1]}` : null;
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new MlopsError('integrity', `${path}: malformed JSON: ${(e as Error).message}`);
  }
}

export interface RegistryRun extends TrackedRun {
  registry: { name: string; version: number; alias: string | null };
}

/** A registry version as a run (id `name@vN (champion)`), for `compare`, `show` and `mirror`. */
export function registryRun(registryDir: string, ref: string, defaultName: string): RegistryRun {
  const reg = loadRegistry(registryDir);
  const { name, model, version: v } = resolveRef(reg, ref, defaultName);
  const bundle = loadVersionBundle(registryDir, v);
  const dir = join(registryDir, v.path);
  const metricsPath = join(dir, 'metrics.json');
  const file = existsSync(metricsPath) ? readJson(metricsPath) : null;
  // The version's metrics.json holds the run's metrics file (test split) when there is one.
  const split = (file?.test as Record<string, unknown> | undefined) ?? v.metrics.test;
  const metrics: Record<string, number | null> = {};
  for (const m of RUN_METRICS) metrics[m] = typeof split[m] === 'number' ? (split[m] as number) : null;
  const alias =
    model.aliases.champion === v.version ? 'champion' : model.aliases.challenger === v.version ? 'challenger' : null;
  const lineage = v.lineage;
  const record = {
    id: `${name}@v${v.version}${alias ? ` (${alias})` : ''}`,
    created_at: v.created_at,
    command: 'registry',
    model: { name, digest: v.digest, engine: v.engine, params: lineage.params ?? bundle.engine.params },
    seed: lineage.seed,
    data: lineage.data,
    test_data: lineage.test_data,
    git: { commit: lineage.code_commit, dirty: lineage.code_dirty },
    threshold: v.threshold,
    headline: {
      roc_auc: metrics.roc_auc,
      pr_auc: metrics.pr_auc,
      expected_cost: metrics.expected_cost,
      brier: metrics.brier,
    },
    timings: (file?.timings as Record<string, number> | undefined) ?? {},
    files: [],
    tracking: { metrics, metrics_split: 'test', packages: lineage.packages },
    registry_run: lineage.run,
  } as unknown as TrackedRecord;
  return { ...toTrackedRun(record, dir), location: dir, registry: { name, version: v.version, alias } };
}
