/**
 * The full report of a promoted version: README.md (with report.html, report.json and
 * charts/) under reports/<model>/v<N>/, written by every path that promotes (mlops run,
 * mlops promote, the register action, scheduled retraining).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fairnessConfigOf, readBundle, type LoadedConfig } from '../../core/index.ts';
import { generateReport } from '../report/model-report.ts';
import { readMetricsFile, readRunRecord } from '../run/run-folder.ts';
import { versionReportDir } from '../run/training-run.ts';
import type { CommitOptions } from './commit.ts';
import { commitFolder } from './folder-commit.ts';

/**
 * Writes the card of `version` from its run folder and, with `commit`, commits it (and
 * pushes when asked) after the registry commit. Returns the folder and the files written.
 */
export async function writeVersionCard(
  loaded: LoadedConfig,
  runDir: string,
  version: number,
  commit: CommitOptions | null = null,
): Promise<{ dir: string; files: string[]; commit: { commit: string; pushed: boolean } | null }> {
  const { config, baseDir } = loaded;
  const dir = versionReportDir(loaded, version);
  const report = await generateReport({
    bundle: readBundle(join(runDir, 'model.json')),
    metrics: existsSync(join(runDir, 'metrics.json')) ? readMetricsFile(runDir) : null,
    run: existsSync(join(runDir, 'run.json')) ? readRunRecord(runDir) : null,
    baseDir,
    fairness: fairnessConfigOf(config),
    version,
    outDir: dir,
  });
  const c = commit ? await commitFolder(dir, `reports: model card of ${config.model_name} v${version}`, commit) : null;
  return { dir, files: report.files, commit: c };
}
