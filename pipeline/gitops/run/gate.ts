/**
 * A trained run held in memory against the registry's champion, without touching the
 * registry: the promotion verdict on the same rows, and the champion-vs-challenger
 * comparison the pull-request comment renders.
 */
import type { LoadedConfig, TrainResult } from '../../core/index.ts';
import { buildComparison, type ComparisonFile } from '../report/comparison.ts';
import {
  compareRun,
  findVersion,
  loadRegistry,
  loadVersionBundle,
  registryDir,
  type Verdict,
} from '../registry/index.ts';
import { evaluationParts } from './evaluation-rows.ts';
import { runDataRecord } from './data-record.ts';
import type { RunRecord } from './run-folder.ts';

export function gateTrainedRun(
  loaded: LoadedConfig,
  run: { id: string; result: TrainResult; record: RunRecord },
  force: { reason: string } | null = null,
): { verdict: Verdict; comparison: ComparisonFile } {
  const { config, baseDir } = loaded;
  const { result, record } = run;
  const registry = registryDir(config, baseDir);
  const cmp = compareRun({
    dir: registry,
    config,
    baseDir,
    challenger: {
      dir: null,
      bundle: result.bundle,
      metrics: result.metrics,
      run: { id: run.id, created_at: record.created_at, trained_at: record.trained_at, command: record.command },
      record: runDataRecord(record),
      dataLocation: record.data_location ?? null,
    },
    force,
    // The rows just read: a database or snapshot source is not read a second time.
    rows: evaluationParts(
      result.bundle,
      runDataRecord(record),
      baseDir,
      config.promotion.golden_path,
      result.evaluationTable,
    ),
  });
  const verdict = cmp.verdict;
  const championEntry = verdict.champion
    ? findVersion(loadRegistry(registry).models[cmp.name] ?? null, verdict.champion.version)
    : null;
  const comparison = buildComparison({
    challenger: result.bundle,
    challengerMetrics: result.metrics,
    parts: cmp.rows.map((p) => ({ name: p.name, table: p.table })),
    challengerData: result.data,
    champion: championEntry
      ? {
          bundle: loadVersionBundle(registry, championEntry),
          version: championEntry.version,
          data: championEntry.lineage.data,
        }
      : null,
    costs: result.bundle.costs,
  });
  return { verdict, comparison };
}
