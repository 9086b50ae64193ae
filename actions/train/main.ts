/**
 * train action: trains per the config (inputs may override engine, params, data), scores
 * the current champion on the same rows, computes the promotion verdict with the
 * registry's gate, and writes the run folder plus what the PR comment needs
 * (verdict.json, comparison.json, context.json). Writes nothing to the registry.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import {
  applyDataUri,
  dataSourceOf,
  ENGINE_CHOICES,
  placeSourceUri,
  sourceLabel,
  loadConfig,
  resolveConfig,
  type LoadedConfig,
  canonicalJson,
  usageError,
} from '../../pipeline/core/index.ts';
import {
  gateTrainedRun,
  metricsTable,
  trainingRun,
  verdictMarkdown,
  type Verdict,
} from '../../pipeline/gitops/index.ts';
import { readReportArtifact, ARTIFACT_FILES } from '../common/report-artifact.ts';
import { booleanInput, integerInput, optionalInput, paramsInput, stringInput } from '../common/inputs.ts';
import { runAction } from '../common/run.ts';
import { reportContext } from '../common/context.ts';

interface Settings {
  workingDirectory: string;
  config: string | null;
  engine: string | null;
  params: Record<string, number | string | boolean> | null;
  data: string | null;
  testData: string | null;
  seed: number | null;
  out: string | null;
  dryRun: boolean;
  /** Write the model card, report.html and charts into the run folder. */
  report: boolean;
  force: { reason: string } | null;
  workers: number | undefined;
}

function readSettings(): Settings {
  const workingDirectory = resolve(stringInput('working-directory', '.'));
  if (!existsSync(workingDirectory))
    throw usageError(`input "working-directory": folder ${workingDirectory} does not exist`);
  const forcePromote = booleanInput('force-promote', false);
  const reason = optionalInput('reason')?.trim() ?? '';
  if (forcePromote && !reason)
    throw usageError(
      'input "reason" is required when "force-promote" is true: say why the gate is overridden (it goes into the registry history)',
    );
  const engine = optionalInput('engine');
  if (engine !== null && !ENGINE_CHOICES.includes(engine))
    throw usageError(`input "engine" must be one of ${ENGINE_CHOICES.join(', ')} (got ${JSON.stringify(engine)})`);
  return {
    workingDirectory,
    config: optionalInput('config'),
    engine,
    params: paramsInput('params'),
    data: optionalInput('data'),
    testData: optionalInput('test-data'),
    seed: integerInput('seed', 0, 4294967295),
    out: optionalInput('out'),
    dryRun: booleanInput('dry-run', false),
    report: booleanInput('report', true),
    force: forcePromote ? { reason } : null,
    workers: integerInput('workers', 1, 64) ?? undefined,
  };
}

/** The config with the inputs applied, re-validated (same rules as the CLI's flags). */
function effectiveConfig(s: Settings): LoadedConfig {
  const loaded = loadConfig(s.config, s.workingDirectory);
  const c = structuredClone(loaded.config);
  // Inputs are relative to working-directory, the config's paths to its own folder; keep
  // them relative when the two agree so the bundle's provenance holds no runner paths.
  const path = (p: string): string => (loaded.baseDir === s.workingDirectory ? p : resolve(s.workingDirectory, p));
  if (s.data !== null) {
    applyDataUri(c.data, s.data, path);
    if (s.testData === null) c.data.test_path = null;
  }
  if (s.testData !== null) c.data.test_path = placeSourceUri(s.testData, path);
  if (s.engine !== null && s.engine !== c.engine.name) c.engine = { name: s.engine, params: {} };
  if (s.params !== null) c.engine.params = { ...c.engine.params, ...s.params };
  if (s.seed !== null) c.seed = s.seed;
  return { ...loaded, config: resolveConfig(c, loaded.file ?? 'action inputs') };
}

function gatePassed(rules: { kind: string; passed: boolean }[]): boolean {
  return rules.filter((r) => r.kind !== 'forced').every((r) => r.passed);
}

async function main(): Promise<void> {
  const s = readSettings();
  const loaded = effectiveConfig(s);
  const { config } = loaded;
  core.info(`training ${config.model_name} with ${config.engine.name} on ${sourceLabel(dataSourceOf(config))}`);
  let verdict!: Verdict;
  const { id, dir, result, report } = await trainingRun({
    loaded,
    command: 'action:train',
    out: s.out ? resolve(s.workingDirectory, s.out) : null,
    workers: s.workers,
    onStage: (st) => core.info(`• ${st}`),
    warn: (w) => core.warning(w),
    // The model card, report.html and charts travel in the report artifact; the PR comment links to it.
    report: s.report,
    files: ({ id, result, record }) => {
      // Which rows the model was trained on, without a credential (the label and connection never hold one).
      const src = result.source;
      core.info(
        `data: ${src.label}${src.connection ? ` on ${src.connection}` : ''}: ${src.rows} rows, digest ${src.digest}`,
      );
      const r = gateTrainedRun(loaded, { id, result, record }, s.force);
      verdict = r.verdict;
      return {
        [ARTIFACT_FILES.verdict]: JSON.stringify(r.verdict, null, 2) + '\n',
        [ARTIFACT_FILES.comparison]: JSON.stringify(r.comparison, null, 2) + '\n',
        [ARTIFACT_FILES.context]: JSON.stringify(reportContext(s.dryRun), null, 2) + '\n',
      };
    },
  });
  if (report) core.info(`report: ${report.files.length} files in ${report.seconds.toFixed(1)} s`);

  const m = result.metrics.test;
  const beats = gatePassed(verdict.rules);
  core.setOutput('run-dir', dir);
  core.setOutput('run-id', id);
  core.setOutput('model-digest', result.bundle.digest);
  core.setOutput('roc-auc', m.roc_auc === null ? '' : m.roc_auc.toFixed(6));
  core.setOutput('pr-auc', m.pr_auc === null ? '' : m.pr_auc.toFixed(6));
  core.setOutput('expected-cost', m.expected_cost.toFixed(6));
  core.setOutput('brier', m.brier.toFixed(6));
  core.setOutput('beats-champion', String(beats));
  core.setOutput('decision', verdict.decision);
  core.setOutput('promote', String(verdict.decision === 'promote' && !s.dryRun));
  core.setOutput('champion-version', verdict.champion ? String(verdict.champion.version) : '');
  core.setOutput('verdict', canonicalJson(verdict));
  core.info(`verdict: ${verdict.decision} — ${verdict.summary}`);
  // Reading the folder back through the artifact validator proves the artifact is well-formed.
  readReportArtifact(dir);
  if (process.env.GITHUB_STEP_SUMMARY) {
    // Short on purpose: the full report (with lint score and tests) is pr-report's summary.
    const text = [
      `### Training: ${config.model_name} (${config.engine.name})`,
      '',
      metricsTable({ train: result.metrics.train, validation: result.metrics.validation, test: result.metrics.test }),
      '',
      verdictMarkdown(verdict),
      '',
      `Run folder \`${dir}\` · training ${result.metrics.timings.total_s.toFixed(2)} s${s.dryRun ? ' · dry run: nothing will be promoted' : ''}`,
      '',
    ].join('\n');
    await core.summary.addRaw(text).write();
  }
}

/** The entry point (dist/index.js runs it; `npx local-action` calls it too). */
export const run = (): Promise<void> => runAction(main);
