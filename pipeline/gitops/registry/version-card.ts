/**
 * The full report of a promoted version, written by every path that promotes (mlops run,
 * mlops promote, the register action, scheduled retraining): report.html, report.json and
 * charts/ under reports/<model>/v<N>/, and the full model card as the version's card.md
 * in the registry (the one card of the version; reports/ keeps only a pointer to it).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fairnessConfigOf, MlopsError, readBundle, type LoadedConfig } from '../../core/index.ts';
import { generateReport, type ReportTarget } from '../report/model-report.ts';
import { readMetricsFile, readRunRecord } from '../run/run-folder.ts';
import { versionReportDir } from '../run/training-run.ts';
import { fullModelCard } from './card.ts';
import type { CommitOptions } from './commit.ts';
import { commitFolder } from './folder-commit.ts';
import { findVersion, loadRegistry, modelEntry, registryDir, versionDir } from './store.ts';

/**
 * Where a registered version's report goes: its folder under reports/, and its card.md in
 * the registry, completed from the registry as it is when the report is written.
 */
export function versionReportTarget(loaded: LoadedConfig, version: number): ReportTarget {
  const dir = registryDir(loaded.config, loaded.baseDir);
  const name = loaded.config.model_name;
  return {
    dir: versionReportDir(loaded, version),
    card: {
      file: join(dir, name, `v${version}`, 'card.md'),
      finish: (card) => {
        const model = modelEntry(loadRegistry(dir), name);
        const entry = findVersion(model, version);
        if (!model || !entry) throw new MlopsError('state', `${name} has no version v${version} in the registry`);
        return fullModelCard(card, model, entry, readMetricsFile(versionDir(dir, entry)));
      },
    },
  };
}

/**
 * Writes the report and card of `version` from its run folder and, with `commit`, commits
 * both (and pushes when asked) after the registry commit. Returns the report folder, the
 * card and the report's files.
 */
export async function writeVersionCard(
  loaded: LoadedConfig,
  runDir: string,
  version: number,
  commit: CommitOptions | null = null,
): Promise<{ dir: string; card: string; files: string[]; commit: { commit: string; pushed: boolean } | null }> {
  const { config, baseDir } = loaded;
  const target = versionReportTarget(loaded, version);
  const report = await generateReport({
    bundle: readBundle(join(runDir, 'model.json')),
    metrics: existsSync(join(runDir, 'metrics.json')) ? readMetricsFile(runDir) : null,
    run: existsSync(join(runDir, 'run.json')) ? readRunRecord(runDir) : null,
    baseDir,
    fairness: fairnessConfigOf(config),
    version,
    outDir: target.dir,
    card: target.card,
  });
  const card = target.card!.file;
  const c = commit
    ? await commitFolder(
        [target.dir, card],
        `reports: model card of ${config.model_name} v${version}\n\n${relative(baseDir, card)}, with report.html and charts in ${relative(baseDir, target.dir)}`,
        commit,
      )
    : null;
  return { dir: target.dir, card, files: report.files, commit: c };
}
