/**
 * The model bundle (`model.json`, optionally gzipped): everything needed to score and
 * to audit — schema, preprocessing, engine state, threshold, metrics, provenance — and
 * a sha256 of its canonical content. Loading recomputes the digest and refuses a
 * tampered or truncated bundle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MlopsError } from '../common/errors.ts';
import { canonicalJson, canonicalize, sha256Hex } from '../common/canonical-json.ts';
import { writeFileAtomic } from '../common/fs-atomic.ts';
import type { DataSchema } from '../data/schema.ts';
import type { PreprocessorState } from '../features/preprocess.ts';
import type { EngineState } from '../engines/engine.ts';
import type { Costs, SplitMetrics } from '../evaluation/metrics.ts';
import type { Selection } from '../tuning/auto.ts';

const BUNDLE_FORMAT = 'credit-risk-gitops/model';
/**
 * Version 2 pins the rows by content only (`RowsRef`), so the same rows read from a CSV, a
 * Parquet file, a table or a query seal the same bytes. Version 1 named the file or source
 * (`FileRef`); it still loads and scores.
 */
export const BUNDLE_FORMAT_VERSION = 2;
/**
 * Version 3 is a soft-voting ensemble's (`engine.engine` "ensemble"): its members carry their
 * own preprocessing, and it has none of its own. A reader that predates ensembles refuses it
 * by its version instead of failing on an engine it does not know.
 */
export const ENSEMBLE_BUNDLE_FORMAT_VERSION = 3;
const READABLE_FORMAT_VERSIONS: readonly number[] = [1, BUNDLE_FORMAT_VERSION, ENSEMBLE_BUNDLE_FORMAT_VERSION];

/** Rows by their content digest (pipeline/core/data/rows-digest.ts): the same whatever source held them. */
export interface RowsRef {
  digest: string;
  rows: number;
}

/**
 * Where rows were read from and how they are pinned: a CSV's path and its file's sha256, or
 * a source's label and its rows' digest. The run records it (run.json, the registry
 * version's lineage), never the bundle.
 */
export interface FileRef {
  path: string;
  sha256: string;
  rows: number;
}

export interface Provenance {
  /** A version-1 bundle holds a `FileRef` here (see `legacyDataRefs`). */
  data: RowsRef;
  test_data: RowsRef | null;
  /** The model-relevant config, without where the rows were read from (`data.path`, `test_path`, `source`). */
  config: unknown;
  seed: number;
  engine: string;
  packages: Record<string, string>;
  git: { commit: string | null; dirty: boolean | null };
  /** Reproducible: SOURCE_DATE_EPOCH, else the commit time, else null. Wall-clock time lives in run.json. */
  created_at: string | null;
}

export interface BundleContent {
  format: typeof BUNDLE_FORMAT;
  format_version: number;
  name: string;
  schema: DataSchema;
  /** Absent in an ensemble bundle (format version 3), whose members carry their own. */
  preprocessing?: PreprocessorState;
  engine: EngineState;
  threshold: number;
  costs: Costs;
  risk_bands: { name: string; max: number }[];
  metrics: { train: SplitMetrics; validation: SplitMetrics; test: SplitMetrics };
  feature_importance: { feature: string; importance: number }[];
  provenance: Provenance;
  /** With `engine: auto`: the leaderboard and why the winner won (absent otherwise). */
  selection?: Selection;
}

export interface Bundle extends BundleContent {
  /** `sha256:<hex>` of the canonical JSON of everything but this field. */
  digest: string;
}

function digestOf(content: BundleContent): string {
  const { digest: _ignored, ...rest } = content as Bundle;
  return `sha256:${sha256Hex(canonicalJson(rest))}`;
}

export function sealBundle(content: BundleContent): Bundle {
  return { ...(canonicalize(content) as BundleContent), digest: digestOf(content) };
}

/** The exact bytes written for a bundle: canonical JSON, newline-terminated. */
export function bundleBytes(bundle: Bundle, gzip: boolean): Buffer {
  const text = Buffer.from(canonicalJson(bundle) + '\n', 'utf8');
  // Level and no file name/mtime in the header keep gzip output byte-stable.
  return gzip ? gzipSync(text, { level: 9 }) : text;
}

export function writeBundle(path: string, bundle: Bundle): void {
  writeFileAtomic(path, bundleBytes(bundle, path.endsWith('.gz')));
}

export function readBundle(path: string): Bundle {
  if (!existsSync(path)) throw new MlopsError('input', `model bundle not found: ${path}`);
  return parseBundle(readFileSync(path), path);
}

export function parseBundle(bytes: Buffer, path: string): Bundle {
  let text: string;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      text = gunzipSync(bytes).toString('utf8');
    } catch (e) {
      throw integrity(path, `it is not a readable gzip file (${(e as Error).message}); it may be truncated`);
    }
  } else text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw integrity(path, `it is not valid JSON (${(e as Error).message}); it may be truncated or edited`);
  }
  const b = value as Partial<Bundle>;
  if (!b || typeof b !== 'object' || b.format !== BUNDLE_FORMAT) {
    throw integrity(path, `it is not a model bundle (missing "format": "${BUNDLE_FORMAT}")`);
  }
  if (!READABLE_FORMAT_VERSIONS.includes(b.format_version as number)) {
    throw integrity(
      path,
      `bundle format version ${String(b.format_version)} is not supported (expected ${READABLE_FORMAT_VERSIONS.join(' or ')})`,
    );
  }
  if (typeof b.digest !== 'string') throw integrity(path, 'it has no digest');
  const computed = digestOf(b as Bundle);
  if (computed !== b.digest) {
    throw integrity(
      path,
      `digest mismatch: it says ${b.digest} but its content hashes to ${computed}; the bundle was changed after it was made`,
    );
  }
  return b as Bundle;
}

/** A version-1 bundle's own record of where its rows were read from; null for later bundles, which keep none. */
export function legacyDataRefs(bundle: Bundle): { data: FileRef; test_data: FileRef | null } | null {
  if (bundle.format_version !== 1) return null;
  const p = bundle.provenance as unknown as { data: FileRef; test_data: FileRef | null };
  return { data: p.data, test_data: p.test_data };
}

function integrity(path: string, why: string): MlopsError {
  return new MlopsError('integrity', `refusing model bundle ${path}: ${why}`);
}
