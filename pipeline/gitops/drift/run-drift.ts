/**
 * `mlops drift` as one call: resolve the reference and current samples (defaults: the
 * champion's training data, and the rows ingested since), compute the report, and
 * write drift.json, drift.md and the SVG charts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import {
  parseCsvBytes,
  readCsvFile,
  inferSchema,
  type DataSchema,
  resolvePath,
  type MlopsConfig,
  type CreditModel,
  type FileRef,
  legacyDataRefs,
  inputError,
  usageError,
  writeFileAtomic,
  writeJsonAtomic,
  sha256Hex,
  type ProgressCallbacks,
} from '../../core/index.ts';
import { computeDrift, type DriftReport } from './drift.ts';
import { readIngestionLog } from '../ingest/log.ts';
import { driftCharts } from './charts.ts';
import { driftMarkdown } from './markdown.ts';
import {
  csvTableSample,
  findDataVersion,
  isScoringLog,
  linesSample,
  loadSample,
  rowsAddedSince,
  tableSample,
  textSample,
  versionName,
  type Sample,
} from './sources.ts';
import type { DriftInput } from './drift-input.ts';

export interface DriftRunOptions extends ProgressCallbacks {
  config: MlopsConfig;
  baseDir: string;
  /** Reference CSV; default: the model's training data version, else the configured data set. */
  reference?: string | null;
  /** Current CSV or scoring log (.jsonl); default: rows added to the data set since the reference. */
  current?: string | null;
  /** The model scored for score and model drift (usually the champion); null skips both. */
  model: CreditModel | null;
  /**
   * Where the model's training rows were read from (the champion's lineage), the default
   * reference; a version-1 bundle records it itself.
   */
  trainedData?: FileRef | null;
  /** Reference as bytes of a data-set version (e.g. the data set before an ingestion) instead of a file. */
  referenceData?: { bytes: Buffer; name: string } | null;
  /** Reference / current rows already read from a table, query, Parquet file or snapshot (drift-input.ts). */
  referenceRead?: DriftInput | null;
  currentRead?: DriftInput | null;
}

export function runDrift(opts: DriftRunOptions): DriftReport {
  const { config, baseDir, model } = opts;
  const dataPath = resolvePath(baseDir, config.data.path);
  const warnings: string[] = [];
  let referenceBytes: Buffer | null = null;
  let reference: Sample;
  let schema: DataSchema;
  const digest = model?.bundle.digest ?? null;
  const csv = { encoding: config.data.encoding, onProgress: opts.onProgress };

  opts.onStage?.('reading the reference data');
  // A CSV reference is parsed once: the sample, and the schema when the model brings none.
  const csvReference = (bytes: Buffer, where: string, name: string): { schema: DataSchema; sample: Sample } => {
    const table = parseCsvBytes(bytes, where, csv);
    const s = model?.bundle.schema ?? inferSchema(table, config.data);
    return { schema: s, sample: csvTableSample(table, s, name) };
  };
  if (opts.referenceRead) {
    const r = opts.referenceRead;
    if (r.kind === 'scoring-log')
      throw usageError(`${r.name}: a scoring log has no labels and makes no reference; use it as --current`);
    referenceBytes = null;
    schema = model?.bundle.schema ?? inferSchema(r.table, config.data);
    reference = tableSample(r.table, schema, r.name, r.digest);
  } else if (opts.referenceData) {
    referenceBytes = opts.referenceData.bytes;
    ({ schema, sample: reference } = csvReference(referenceBytes, dataPath, opts.referenceData.name));
  } else if (opts.reference) {
    const file = resolvePath(baseDir, opts.reference);
    if (isScoringLog(file)) {
      schema = model?.bundle.schema ?? inferSchema(readCsvFile(file, csv), config.data);
      reference = loadSample(file, schema, digest, csv, displayName(baseDir, file));
      referenceBytes = null;
    } else {
      // Read once: the same bytes are the sample and, by default, the start of the current rows.
      if (!existsSync(file)) throw inputError(`drift input not found: ${file}`);
      referenceBytes = readFileSync(file);
      ({ schema, sample: reference } = csvReference(referenceBytes, file, displayName(baseDir, file)));
    }
  } else {
    const trained = opts.trainedData ?? (model ? legacyDataRefs(model.bundle)?.data : null);
    if (trained) {
      referenceBytes = findDataVersion(resolvePath(baseDir, trained.path), trained.sha256);
      if (!referenceBytes)
        warnings.push(
          `the model's training data (${versionName(trained.path, trained.sha256)}) is neither the current file, a prefix of it, nor in git history; using the current data set as reference`,
        );
    } else {
      // No model to anchor on: the data set as it was before the latest ingestion.
      referenceBytes = versionBeforeLastIngestion(config, baseDir, dataPath);
    }
    referenceBytes ??= readFileSync(dataPath);
    const sha = sha256Hex(referenceBytes);
    const name = versionName(trained && sha === trained.sha256 ? trained.path : config.data.path, sha);
    ({ schema, sample: reference } = csvReference(referenceBytes, dataPath, name));
  }

  let current: Sample;
  opts.onStage?.('reading the current data');
  if (opts.currentRead) {
    const c = opts.currentRead;
    current =
      c.kind === 'scoring-log'
        ? linesSample(c.lines, schema, digest, c.name, c.name, null)
        : tableSample(c.table, schema, c.name, c.digest);
  } else if (opts.current) {
    const file = resolvePath(baseDir, opts.current);
    current = loadSample(file, schema, digest, csv, displayName(baseDir, file));
  } else {
    const now = readFileSync(dataPath);
    const added = referenceBytes ? rowsAddedSince(referenceBytes, now) : null;
    if (!added) {
      throw usageError(
        `no rows were added to ${config.data.path} since the reference (${reference.ref.name}); pass --current FILE (a CSV or a scoring log .jsonl)`,
      );
    }
    current = textSample(
      added,
      `${dataPath} (rows added since the reference)`,
      schema,
      `rows added since ${reference.ref.name.split('@')[1] ?? 'the reference'}`,
      csv,
    );
    current.ref.sha256 = sha256Hex(now);
  }

  opts.onStage?.(model ? 'comparing features and scores' : 'comparing features');
  return computeDrift({
    reference: reference.dataset,
    current: current.dataset,
    referenceRef: reference.ref,
    currentRef: current.ref,
    schema,
    thresholds: config.drift,
    model,
    primaryMetric: config.promotion.primary_metric,
    warnings: [...warnings, ...reference.warnings, ...current.warnings],
    onProgress: opts.onProgress,
  });
}

function versionBeforeLastIngestion(config: MlopsConfig, baseDir: string, dataPath: string): Buffer | null {
  const current = sha256Hex(readFileSync(dataPath));
  const last = readIngestionLog(resolvePath(baseDir, config.ingest.log))
    .filter((e) => e.data.version_after === current && e.data.version_before !== current)
    .at(-1);
  return last ? findDataVersion(dataPath, last.data.version_before) : null;
}

function displayName(baseDir: string, file: string): string {
  const rel = relative(baseDir, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel.split(sep).join('/');
}

/** Writes drift.json, drift.md and the charts into `dir`; returns the markdown. */
export async function writeDriftOutputs(dir: string, report: DriftReport, heading?: string): Promise<string> {
  const charts = await driftCharts(report);
  for (const [name, svg] of Object.entries(charts)) writeFileAtomic(join(dir, name), svg);
  const md = driftMarkdown(report, { heading, charts });
  writeJsonAtomic(join(dir, 'drift.json'), report);
  writeFileAtomic(join(dir, 'drift.md'), md);
  return md;
}
