/**
 * Where a model's rows were read from. The bundle pins its rows by content only, so that
 * the same rows from any source seal the same bundle; the place (a CSV's path and file
 * sha256, or a source's label, query and digest) is the run's record: run.json, then the
 * registry version's lineage.
 */
import {
  type Bundle,
  type DataLocationConfig,
  type DataSource,
  type FileRef,
  legacyDataRefs,
  loadConfig,
  MlopsError,
  type SourceRecord,
  sourceLabel,
} from '../../core/index.ts';

/**
 * Where a model's rows were read from: a CSV's path and file sha256, or a source's label
 * and rows digest, for the training rows and the holdout; with the training source when it
 * is not a CSV (how to read it again).
 */
export interface DataRecord {
  data: FileRef;
  test_data: FileRef | null;
  source?: Pick<SourceRecord, 'type' | 'label' | 'source' | 'digest'> | null;
}

/** The record a run folder's run.json makes (its `data`, `test_data` and `source`). */
export function runDataRecord(run: { data: FileRef; test_data: FileRef | null; source?: SourceRecord }): DataRecord {
  return { data: run.data, test_data: run.test_data, source: run.source ?? null };
}

/**
 * For a bundle with no run record at hand (a bare model.json, the served champion): its
 * own record when it is a version-1 bundle, else the project's configured data — whose rows
 * are used only when they have the digest the bundle pins.
 */
export function configuredDataRecord(bundle: Bundle, data: DataLocationConfig): DataRecord {
  const legacy = legacyDataRefs(bundle);
  if (legacy) return legacy;
  const p = bundle.provenance;
  const source = data.source && data.source.type !== 'csv' ? data.source : null;
  const label = source ? sourceLabel(source) : data.source?.type === 'csv' ? data.source.path : data.path;
  if (p.test_data && !data.test_path)
    throw new MlopsError(
      'input',
      `model ${bundle.digest} was evaluated on a holdout, and the configuration names none (data.test_path); report its run folder, or pass --data FILE with labelled rows`,
    );
  return {
    data: { path: label, sha256: p.data.digest, rows: p.data.rows },
    test_data:
      p.test_data && data.test_path
        ? { path: data.test_path, sha256: p.test_data.digest, rows: p.test_data.rows }
        : null,
    source: source ? { type: source.type, label, source, digest: p.data.digest } : null,
  };
}

/** The record a registry version keeps: its lineage's `data`, `test_data` and configured source. */
export function lineageDataRecord(lineage: { data: FileRef; test_data: FileRef | null; config: unknown }): DataRecord {
  const source = (lineage.config as { data?: { source?: DataSource } } | null)?.data?.source;
  return {
    data: lineage.data,
    test_data: lineage.test_data,
    source:
      source && source.type !== 'csv'
        ? { type: source.type, label: lineage.data.path, source, digest: lineage.data.sha256 }
        : null,
  };
}

/** configuredDataRecord with the data configured for the project in `baseDir` (its mlops.config.json). */
export function projectDataRecord(bundle: Bundle, baseDir: string): DataRecord {
  const legacy = legacyDataRefs(bundle);
  return legacy ?? configuredDataRecord(bundle, loadConfig(null, baseDir).config.data);
}
