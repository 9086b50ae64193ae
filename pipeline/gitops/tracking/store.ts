/**
 * The local runs store: a folder (config `runs_dir`, default `runs/`) with one folder
 * per run, each holding a `run.json`. There is no index file to keep in sync: the
 * folders are the truth, and a run exists once its `run.json` exists (it is written
 * atomically, last), so a crash leaves either no record or a whole one. Hidden `.*.tmp`
 * entries are leftovers of interrupted writes: ignored here, removed by `prune`.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HIGHER_IS_BETTER, METRIC_NAMES, inputError, usageError, type MetricsFile } from '../../core/index.ts';
import type { TrackedRecord } from './record.ts';

export type ParamValue = number | string | boolean;

/** A run as the `mlops runs` commands see it: the record plus its comparable metrics. */
export interface TrackedRun {
  id: string;
  /** The folder holding run.json (in the store). */
  dir: string;
  /** The folder holding the run's files (model.json…): `dir`, or where `--out` put them. */
  location: string;
  created_at: string;
  command: string;
  model_name: string;
  model_digest: string | null;
  engine: string;
  params: Record<string, ParamValue>;
  seed: number | null;
  data: { path: string; sha256: string; rows: number } | null;
  git: { commit: string | null; dirty: boolean | null };
  /** Comparable metrics: the test split for trained runs, `metrics_split` says which. */
  metrics: Record<string, number | null>;
  metrics_split: string;
  timings: Record<string, number>;
  record: TrackedRecord;
}

/** The metrics `list`, `compare`, `best` and `--where` know, in display order. */
export const RUN_METRICS = [...METRIC_NAMES, 'threshold'];

/** Known metrics by HIGHER_IS_BETTER; a spread (`*_sd`, e.g. across CV folds) is better small. */
export function isHigherBetter(metric: string): boolean {
  return Object.hasOwn(HIGHER_IS_BETTER, metric) ? HIGHER_IS_BETTER[metric] : !metric.endsWith('_sd');
}

const TEMP = /^\..*\.tmp$/;

export interface ScanResult {
  runs: TrackedRun[];
  /** Folders whose run.json could not be read, with the reason. */
  unreadable: { dir: string; reason: string }[];
}

/** Every readable run in the store, newest first. */
export function scanRuns(runsDir: string): ScanResult {
  const runs: TrackedRun[] = [];
  const unreadable: ScanResult['unreadable'] = [];
  if (!existsSync(runsDir)) return { runs, unreadable };
  for (const entry of readdirSync(runsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = join(runsDir, entry.name);
    const file = join(dir, 'run.json');
    if (!existsSync(file)) continue;
    try {
      runs.push(toTrackedRun(JSON.parse(readFileSync(file, 'utf8')) as TrackedRecord, dir));
    } catch (e) {
      unreadable.push({ dir, reason: (e as Error).message });
    }
  }
  runs.sort(newestFirst);
  return { runs, unreadable };
}

export function newestFirst(a: TrackedRun, b: TrackedRun): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Normalises a record (trained run, tuning trial, older record) into a TrackedRun. */
export function toTrackedRun(record: TrackedRecord, dir: string): TrackedRun {
  if (!record || typeof record !== 'object' || typeof record.id !== 'string' || typeof record.created_at !== 'string') {
    throw new Error('not a run record (no "id" / "created_at")');
  }
  const t = record.tracking;
  const location = t?.location ?? dir;
  let metrics: Record<string, number | null>;
  let split: string;
  if (t?.metrics) {
    metrics = { ...t.metrics };
    split = t.metrics_split ?? 'unknown';
  } else {
    const file = readMetrics(dir) ?? (location !== dir ? readMetrics(location) : null);
    if (file) {
      metrics = {};
      for (const m of RUN_METRICS) metrics[m] = numOrNull((file.test as unknown as Record<string, unknown>)[m]);
      split = 'test';
    } else {
      metrics = { ...(record.headline ?? {}), threshold: record.threshold ?? null };
      split = 'test';
    }
  }
  const timings: Record<string, number> = {};
  for (const [k, v] of Object.entries(record.timings ?? {})) if (typeof v === 'number') timings[k] = v;
  return {
    id: record.id,
    dir,
    location,
    created_at: record.created_at,
    command: record.command ?? 'unknown',
    model_name: record.model?.name ?? 'unknown',
    model_digest: record.model?.digest || null,
    engine: record.model?.engine ?? 'unknown',
    params: { ...(record.model?.params ?? {}) },
    seed: typeof record.seed === 'number' ? record.seed : null,
    data: record.data ?? null,
    git: record.git ?? { commit: null, dirty: null },
    metrics,
    metrics_split: split,
    timings,
    record,
  };
}

function readMetrics(dir: string): MetricsFile | null {
  const p = join(dir, 'metrics.json');
  if (!existsSync(p)) return null;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as MetricsFile;
    return m && typeof m.test === 'object' ? m : null;
  } catch {
    return null;
  }
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Finds a run by id or folder name, or by a unique prefix of either (or of the digest
 * part after the time stamp). An ambiguous prefix is a usage error listing candidates.
 */
export function resolveRun(runs: TrackedRun[], query: string, runsDir: string): TrackedRun {
  const q = query.trim();
  if (!q) throw usageError('empty run id');
  const exact = runs.filter((r) => r.id === q || folderName(r) === q);
  if (exact.length === 1) return exact[0];
  // The part after the time stamp is the model digest's start: accept it too (4+ characters).
  const byDigest = (r: TrackedRun): boolean => q.length >= 4 && r.id.slice(r.id.indexOf('-') + 1).startsWith(q);
  const matches =
    exact.length > 1 ? exact : runs.filter((r) => r.id.startsWith(q) || folderName(r).startsWith(q) || byDigest(r));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    throw inputError(
      `no run "${q}" in ${runsDir} (${runs.length} run${runs.length === 1 ? '' : 's'} there; see "mlops runs list")`,
    );
  }
  const shown = matches
    .slice(0, 5)
    .map((r) => r.id)
    .join(', ');
  const more = matches.length > 5 ? ` and ${matches.length - 5} more` : '';
  throw usageError(
    `run id "${q}" is ambiguous: it matches ${matches.length} runs (${shown}${more}); type more of the id`,
  );
}

const folderName = (r: TrackedRun): string => r.dir.slice(r.dir.replace(/\/+$/, '').lastIndexOf('/') + 1);

export interface PruneResult {
  kept: string[];
  removed: string[];
  /** Leftovers of interrupted writes that were removed. */
  temps: string[];
}

/**
 * Keeps the `keep` newest runs and removes the rest, plus stray temporary files and
 * folders older than `minTempAgeMs` (a younger one may belong to a write in progress).
 */
export function pruneRuns(
  runsDir: string,
  keep: number,
  opts: { dryRun?: boolean; minTempAgeMs?: number; now?: number } = {},
): PruneResult {
  if (!Number.isInteger(keep) || keep < 0) throw usageError(`--keep must be a whole number ≥ 0 (got ${keep})`);
  const minAge = opts.minTempAgeMs ?? 10 * 60 * 1000;
  const now = opts.now ?? Date.now();
  const { runs } = scanRuns(runsDir);
  const kept = runs.slice(0, keep);
  const removed = runs.slice(keep);
  const temps: string[] = [];
  if (existsSync(runsDir)) {
    const candidates = readdirSync(runsDir)
      .filter((n) => TEMP.test(n))
      .map((n) => join(runsDir, n));
    for (const r of kept) {
      if (existsSync(r.dir)) for (const n of readdirSync(r.dir)) if (TEMP.test(n)) candidates.push(join(r.dir, n));
    }
    for (const p of candidates) if (now - statSync(p).mtimeMs >= minAge) temps.push(p);
  }
  if (!opts.dryRun) {
    for (const r of removed) rmSync(r.dir, { recursive: true, force: true });
    for (const p of temps) rmSync(p, { recursive: true, force: true });
  }
  return { kept: kept.map((r) => r.id), removed: removed.map((r) => r.id), temps };
}
