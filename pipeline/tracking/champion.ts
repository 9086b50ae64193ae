/**
 * The registry's champion as a run, so `mlops runs compare ID champion` is one command.
 * Reads only what it needs: `models/registry.json` for the alias, then the version's
 * `metrics.json` and (for params, data and commit) its bundle. The registry's own code
 * validates and writes these files; this is a read-only view.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBundle } from '../bundle.ts';
import { inputError, MlopsError } from '../errors.ts';
import type { MetricsFile } from '../train.ts';
import { RUN_METRICS, toTrackedRun, type TrackedRun } from './store.ts';
import type { TrackedRecord } from './record.ts';

type Json = Record<string, unknown>;

/** Accepts `champion`, `champion@name`, `name@champion`, `name@vN` and `registry:vN`. */
export function parseRegistryRef(query: string, defaultName: string): { name: string; ref: 'champion' | number } | null {
  let m = /^champion(?:@([a-z0-9][a-z0-9-]*))?$/.exec(query);
  if (m) return { name: m[1] ?? defaultName, ref: 'champion' };
  m = /^([a-z0-9][a-z0-9-]*)@(champion|v(\d+))$/.exec(query);
  if (m) return { name: m[1], ref: m[2] === 'champion' ? 'champion' : Number(m[3]) };
  m = /^registry:v(\d+)$/.exec(query);
  if (m) return { name: defaultName, ref: Number(m[1]) };
  return null;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MlopsError('integrity', `${path}: malformed JSON: ${(e as Error).message}`);
  }
}

/** The model entry of a registry.json: `models` as an object keyed by name or as a list. */
function modelEntry(reg: Json, name: string): Json | null {
  const models = reg.models;
  if (Array.isArray(models)) return (models as Json[]).find((m) => m && m.name === name) ?? null;
  if (models && typeof models === 'object') return ((models as Json)[name] as Json) ?? null;
  return null;
}

function versionNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^v?\d+$/.test(v)) return Number(v.replace(/^v/, ''));
  if (v && typeof v === 'object' && 'version' in v) return versionNumber((v as Json).version);
  return null;
}

/** Resolves a registry reference to a version number and its folder. */
export function resolveRegistryVersion(registryDir: string, name: string, ref: 'champion' | number): { version: number; dir: string } {
  const file = join(registryDir, 'registry.json');
  if (!existsSync(file)) throw inputError(`no model registry at ${file}: nothing has been promoted yet (see "mlops promote")`);
  const reg = readJson(file) as Json;
  const entry = modelEntry(reg, name);
  if (!entry) throw inputError(`${file}: no model named "${name}"`);
  let version: number | null;
  if (ref === 'champion') {
    const aliases = (entry.aliases ?? {}) as Json;
    version = versionNumber(aliases.champion);
    if (version === null) throw inputError(`${file}: model "${name}" has no champion yet`);
  } else version = ref;
  const dir = join(registryDir, name, `v${version}`);
  if (!existsSync(dir)) throw inputError(`${name}@v${version}: version folder ${dir} not found`);
  return { version, dir };
}

/** A registry version as a TrackedRun (id `name@vN`), for `compare` and `show`. */
export function registryRun(registryDir: string, name: string, ref: 'champion' | number): TrackedRun {
  const { version, dir } = resolveRegistryVersion(registryDir, name, ref);
  const modelFile = ['model.json.gz', 'model.json'].map((f) => join(dir, f)).find((p) => existsSync(p));
  const bundle = modelFile ? readBundle(modelFile) : null;
  const metricsPath = join(dir, 'metrics.json');
  const metricsFile = existsSync(metricsPath) ? (readJson(metricsPath) as Partial<MetricsFile> & Json) : null;
  const split = (metricsFile?.test ?? metricsFile ?? bundle?.metrics.test ?? null) as Json | null;
  if (!split) throw inputError(`${name}@v${version}: neither ${metricsPath} nor a model bundle holds metrics`);
  const metrics: Record<string, number | null> = {};
  for (const m of RUN_METRICS) metrics[m] = typeof split[m] === 'number' ? (split[m] as number) : null;
  const record = {
    id: `${name}@v${version}${ref === 'champion' ? ' (champion)' : ''}`,
    created_at: bundle?.provenance.created_at ?? '1970-01-01T00:00:00.000Z',
    command: 'registry',
    model: {
      name,
      digest: bundle?.digest ?? '',
      engine: bundle?.engine.engine ?? 'unknown',
      params: bundle?.engine.params ?? {},
    },
    seed: bundle?.provenance.seed ?? null,
    data: bundle?.provenance.data ?? null,
    test_data: bundle?.provenance.test_data ?? null,
    git: bundle?.provenance.git ?? { commit: null, dirty: null },
    threshold: bundle?.threshold ?? null,
    timings: (metricsFile?.timings as Json | undefined) ?? {},
    files: [],
    tracking: { metrics, metrics_split: 'test' },
  } as unknown as TrackedRecord;
  return { ...toTrackedRun(record, dir), location: dir };
}
