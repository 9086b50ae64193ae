/**
 * `mlops runs reproduce`: retrain from a run's record and check that the model digest
 * comes out the same. The bundle is deterministic for the same code commit, data,
 * config, seed and package versions, so a match proves the run is reproducible from the
 * repository; a mismatch is explained by naming which of those inputs differ.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  readBundle,
  type Bundle,
  type Provenance,
  canonicalJson,
  sha256Hex,
  defaultConfig,
  resolvePath,
  type MlopsConfig,
  inputError,
  MlopsError,
  train,
  parseSourceUri,
  type Env,
  type SourceRead,
  type SourceRecord,
} from '../../core/index.ts';
import { checkRecordedData } from '../data/data-check.ts';
import type { TrackedRun } from './store.ts';
import { checkoutState } from '../git/checkout.ts';

export interface ReproduceResult {
  run_id: string;
  matches: boolean;
  original_digest: string;
  reproduced_digest: string;
  /** Why the digests differ: one line per input that changed (empty when they match). */
  differences: string[];
  /** Things a match cannot vouch for (e.g. uncommitted changes at the time of the run). */
  caveats: string[];
  /** Bundle sections whose content differs, when the original bundle is at hand. */
  sections: string[];
  /** For a table, query or snapshot source: what re-reading it found. */
  data: string | null;
}

/** The config a run used: the recorded one, else rebuilt from its bundle's provenance. */
export function recordedConfig(run: TrackedRun, bundle: Bundle | null): MlopsConfig {
  const recorded = run.record.tracking?.config;
  if (recorded) return structuredClone(recorded);
  if (!bundle) {
    throw inputError(
      `run ${run.id} has neither a recorded config (run.json "tracking.config") nor a model bundle in ${run.location}; it cannot be reproduced`,
    );
  }
  const p = bundle.provenance.config as Pick<MlopsConfig, 'data' | 'split' | 'seed' | 'engine' | 'costs'>;
  const c = defaultConfig();
  return {
    ...c,
    model_name: bundle.name,
    // Where the rows were read from is the run's record (a version-1 bundle's config had it).
    data: { ...c.data, ...p.data, ...(run.record.data_location ?? {}) },
    split: p.split,
    seed: p.seed,
    engine: p.engine,
    costs: p.costs,
    evaluation: { ...c.evaluation, risk_bands: bundle.risk_bands },
  };
}

function originalBundle(run: TrackedRun): Bundle | null {
  const p = join(run.location, 'model.json');
  if (!existsSync(p)) return null;
  try {
    return readBundle(p);
  } catch {
    return null;
  }
}

/** Refuses to retrain when a data file differs from the one the run used. */
function checkData(
  label: string,
  configured: string,
  baseDir: string,
  recorded: { sha256: string; rows: number } | null,
  runId: string,
): void {
  if (!recorded) return;
  const file = resolvePath(baseDir, configured);
  if (!existsSync(file)) {
    throw inputError(
      `cannot reproduce run ${runId}: ${label} file ${file} not found (the run used sha256 ${recorded.sha256}, ${recorded.rows} rows)`,
    );
  }
  const now = sha256Hex(readFileSync(file));
  if (now !== recorded.sha256) {
    throw new MlopsError(
      'integrity',
      `cannot reproduce run ${runId}: the ${label} changed since the run. ${file} now has sha256 ${now}; ` +
        `the run was trained on sha256 ${recorded.sha256} (${recorded.rows} rows). ` +
        `Restore that version of the file (see "git log -- ${configured}") and try again.`,
    );
  }
}

const short = (c: string | null): string => (c ? c.slice(0, 12) : 'none (not a git checkout)');

function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = JSON.stringify(v);
  return out;
}

function diffKeys(a: unknown, b: unknown): string[] {
  const fa = flatten(a);
  const fb = flatten(b);
  return [...new Set([...Object.keys(fa), ...Object.keys(fb)])]
    .sort()
    .filter((k) => fa[k] !== fb[k])
    .map((k) => `${k}: ${fa[k] ?? 'unset'} → ${fb[k] ?? 'unset'}`);
}

/** The rows' digest a provenance pins (a version-1 bundle pinned its CSV by the file's sha256). */
function pinOf(ref: Provenance['data'] | null): string | null {
  if (!ref) return null;
  return ref.digest ?? (ref as unknown as { sha256: string }).sha256;
}

/** Which inputs of the two provenances differ, in words a reviewer can act on. */
export function explainDifference(before: Provenance, after: Provenance): string[] {
  const out: string[] = [];
  if (pinOf(before.data) !== pinOf(after.data))
    out.push(`data differs: rows digest ${pinOf(before.data)} → ${pinOf(after.data)}`);
  if (pinOf(before.test_data) !== pinOf(after.test_data)) {
    out.push(
      `test data differs: rows digest ${pinOf(before.test_data) ?? 'none'} → ${pinOf(after.test_data) ?? 'none'}`,
    );
  }
  if (canonicalJson(before.config) !== canonicalJson(after.config)) {
    out.push(`config differs: ${diffKeys(before.config, after.config).join('; ')}`);
  }
  if (before.git.commit !== after.git.commit) {
    out.push(
      `code commit differs: the run was made at ${short(before.git.commit)}, the repository is now at ${short(after.git.commit)}` +
        (before.git.commit
          ? ` (reproduce at the run's commit, e.g. "git worktree add ../repro ${before.git.commit.slice(0, 12)}")`
          : ''),
    );
  }
  if (before.git.dirty)
    out.push('the run was made on a working tree with uncommitted changes, which no commit records');
  if (after.git.dirty) out.push('the working tree has uncommitted changes now');
  const pk = diffKeys(before.packages, after.packages);
  if (pk.length) out.push(`package versions differ: ${pk.join('; ')}`);
  if (before.created_at !== after.created_at) {
    out.push(
      `provenance time differs: ${before.created_at ?? 'null'} → ${after.created_at ?? 'null'} (it comes from SOURCE_DATE_EPOCH or the commit time)`,
    );
  }
  return out;
}

export async function reproduceRun(
  run: TrackedRun,
  opts: {
    baseDir: string;
    workers?: number;
    onStage?: (s: string) => void;
    onWarning?: (w: string) => void;
    env?: Env;
  },
): Promise<ReproduceResult> {
  if (!run.model_digest) {
    throw inputError(
      `run ${run.id} has no model (a ${run.command === 'tune' ? 'tuning trial' : run.command} record); train its parameters with "mlops train --engine ${run.engine} --param …" instead`,
    );
  }
  const before = originalBundle(run);
  const config = recordedConfig(run, before);
  const recordedSource = (run.record as { source?: SourceRecord }).source;
  let read: SourceRead | undefined;
  let dataSummary: string | null = null;
  if (recordedSource && recordedSource.type !== 'csv') {
    // A table, query or snapshot: re-read it and say whether (and how) its rows changed.
    const check = await checkRecordedData(recordedSource, { config, baseDir: opts.baseDir, env: opts.env });
    if (!check.same) throw new MlopsError('integrity', `cannot reproduce run ${run.id}: ${check.summary}`);
    read = check.read;
    dataSummary = check.summary;
  } else checkData('data', config.data.path, opts.baseDir, run.data, run.id);
  // A holdout outside git (table, query, Parquet, snapshot) is read by the retraining; its digest is compared there.
  const holdout = config.data.test_path ? parseSourceUri(config.data.test_path) : null;
  if (holdout?.type === 'csv') checkData('test data', holdout.path, opts.baseDir, run.record.test_data ?? null, run.id);
  const result = await train({
    config,
    baseDir: opts.baseDir,
    read,
    env: opts.env,
    workers: opts.workers,
    checkout: checkoutState(opts.baseDir),
    onStage: opts.onStage,
    onWarning: opts.onWarning,
  });
  const after = result.bundle;
  const matches = after.digest === run.model_digest;
  const caveats: string[] = [];
  if (matches && run.git.dirty)
    caveats.push(
      'the run was made with uncommitted changes: the match shows the same bundle, but that code is in no commit',
    );
  let differences: string[] = [];
  let sections: string[] = [];
  if (!matches) {
    const recordedTest = run.record.test_data ?? null;
    const prov: Provenance = before?.provenance ?? {
      data: { digest: recordedSource?.digest ?? run.data?.sha256 ?? 'unknown', rows: run.data?.rows ?? 0 },
      test_data: recordedTest ? { digest: recordedTest.sha256, rows: recordedTest.rows } : null,
      config: after.provenance.config,
      seed: run.seed ?? config.seed,
      engine: run.engine,
      packages: run.record.tracking?.packages ?? {},
      git: run.git,
      created_at: after.provenance.created_at,
    };
    differences = explainDifference(prov, after.provenance);
    if (before) {
      sections = Object.keys(after)
        .filter(
          (k) =>
            k !== 'digest' &&
            canonicalJson((before as unknown as Record<string, unknown>)[k]) !==
              canonicalJson((after as unknown as Record<string, unknown>)[k]),
        )
        .sort();
      if (differences.length === 0) {
        differences.push(
          `no recorded input differs, yet the bundle's ${sections.join(', ')} differ: the engine is not deterministic for these inputs`,
        );
      }
    } else if (differences.length === 0) {
      differences.push(
        `the original model.json is not in ${run.location}, so only the recorded inputs could be compared, and they match`,
      );
    }
  }
  return {
    run_id: run.id,
    matches,
    original_digest: run.model_digest,
    reproduced_digest: after.digest,
    differences,
    caveats,
    sections,
    data: dataSummary,
  };
}
