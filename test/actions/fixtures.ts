/**
 * A real report artifact built in-process from the embedded data: a logistic champion
 * registered as v1, a differently regularised logistic challenger, the registry's
 * verdict and the comparison on the same rows — the files the train action writes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, resolveConfig } from '../../pipeline/core/config/load.ts';
import { train } from '../../pipeline/core/training/train.ts';
import { buildRunRecord, newRunId, writeRunFolder } from '../../pipeline/gitops/run/run-folder.ts';
import { runDataRecord } from '../../pipeline/gitops/run/data-record.ts';
import {
  compareRun,
  findVersion,
  loadRegistry,
  loadVersionBundle,
  promoteRun,
  registryDir,
} from '../../pipeline/gitops/registry/index.ts';
import { buildComparison } from '../../pipeline/gitops/report/comparison.ts';
import {
  ARTIFACT_FILES,
  CONTEXT_FORMAT,
  type LintScoreFile,
  type ReportContext,
  type TestResultsFile,
} from '../../actions/common/report-artifact.ts';
import { lintScore, scoreDelta } from '../../actions/lint-score/score.ts';
import { tempProject } from '../helpers/cli.ts';

export const HEAD_SHA = 'c0ffee'.padEnd(40, '0');

export interface ArtifactFixture {
  project: string;
  dir: string;
}

/** A project whose config trains the fast logistic engine. */
export function logisticProject(): string {
  const proj = tempProject();
  const loaded = loadConfig(null, proj);
  const raw = {
    ...(JSON.parse(JSON.stringify(loaded.config)) as Record<string, unknown>),
    engine: { name: 'logistic', params: {} },
  };
  writeFileSync(join(proj, 'mlops.config.json'), JSON.stringify(raw, null, 2));
  return proj;
}

async function trainRun(
  proj: string,
  params: Record<string, number | string | boolean>,
  out: string,
  extra: (dir: string) => Record<string, string> = () => ({}),
) {
  const loaded = loadConfig(null, proj);
  const config = resolveConfig({ ...loaded.config, engine: { name: 'logistic', params } });
  const result = await train({ config, baseDir: proj });
  const id = newRunId(result.bundle.digest);
  const record = buildRunRecord(result, 'test', id);
  const dir = join(proj, out);
  writeRunFolder(dir, result, record, extra(dir));
  return { result, record, dir, config };
}

export function context(overrides: Partial<ReportContext> = {}): ReportContext {
  return {
    format: CONTEXT_FORMAT,
    repository: 'acme/credit-model',
    event: 'pull_request',
    pull_request: 7,
    head_sha: HEAD_SHA,
    ref: 'refs/pull/7/merge',
    run_id: 4242,
    run_url: 'https://github.test/acme/credit-model/actions/runs/4242',
    dry_run: false,
    ...overrides,
  };
}

export const LINT: LintScoreFile = {
  ...lintScore(
    [
      {
        filePath: '/p/a.ts',
        messages: [
          { ruleId: 'no-console', severity: 1 },
          { ruleId: '@typescript-eslint/no-explicit-any', severity: 2 },
        ],
      },
      { filePath: '/p/b.ts', messages: [] },
    ],
    (f) => (f.endsWith('a.ts') ? 40 : 60),
    '/p',
  ),
  delta: scoreDelta(9.4, 9.6),
};

export const TESTS: TestResultsFile = {
  numTotalTests: 3,
  numPassedTests: 2,
  numFailedTests: 1,
  numPendingTests: 0,
  success: false,
  testResults: [
    {
      name: '/p/test/a.test.ts',
      status: 'passed',
      assertionResults: [{ title: 'works', fullName: 'a works', status: 'passed' }],
    },
    {
      name: '/p/test/b.test.ts',
      status: 'failed',
      assertionResults: [
        { title: 'ok', fullName: 'b ok', status: 'passed' },
        { title: 'breaks', fullName: 'b breaks <img src=x> @octocat', status: 'failed' },
      ],
    },
  ],
};

/** Champion v1 registered (no git), challenger trained and compared; returns the artifact folder. */
export async function buildArtifact(ctx: Partial<ReportContext> = {}): Promise<ArtifactFixture> {
  const proj = logisticProject();
  const champ = await trainRun(proj, {}, 'runs/champion');
  promoteRun({
    dir: registryDir(champ.config, proj),
    config: champ.config,
    baseDir: proj,
    challenger: champ.dir,
    actor: 'test',
    gitCommit: null,
  });
  const loaded = loadConfig(null, proj);
  const config = resolveConfig({
    ...loaded.config,
    engine: { name: 'logistic', params: { C: 0.01, classWeight: 'balanced' } },
  });
  const result = await train({ config, baseDir: proj });
  const id = newRunId(result.bundle.digest);
  const record = buildRunRecord(result, 'test', id);
  const registry = registryDir(config, proj);
  const cmp = compareRun({
    dir: registry,
    config,
    baseDir: proj,
    challenger: {
      dir: null,
      bundle: result.bundle,
      metrics: result.metrics,
      run: { id, created_at: record.created_at, trained_at: record.trained_at, command: 'test' },
      record: runDataRecord(record),
      dataLocation: record.data_location ?? null,
    },
  });
  const entry = findVersion(loadRegistry(registry).models[cmp.name] ?? null, cmp.verdict.champion!.version)!;
  const comparison = buildComparison({
    challenger: result.bundle,
    challengerMetrics: result.metrics,
    parts: cmp.rows.map((p) => ({ name: p.name, table: p.table })),
    challengerData: result.data,
    champion: { bundle: loadVersionBundle(registry, entry), version: entry.version, data: entry.lineage.data },
    costs: result.bundle.costs,
  });
  const dir = join(proj, 'report');
  writeRunFolder(dir, result, record, {
    [ARTIFACT_FILES.verdict]: JSON.stringify(cmp.verdict, null, 2),
    [ARTIFACT_FILES.comparison]: JSON.stringify(comparison, null, 2),
    [ARTIFACT_FILES.context]: JSON.stringify(context(ctx), null, 2),
    [ARTIFACT_FILES.lint]: JSON.stringify(LINT, null, 2),
    [ARTIFACT_FILES.tests]: JSON.stringify(TESTS, null, 2),
  });
  return { project: proj, dir };
}
