/**
 * Renders docs/pr-comment-example.md: a real PR comment built by the same code the
 * pr-report action runs, from the embedded data. In a temporary copy of the project a
 * logistic champion is registered as v1, the configured engine trains the challenger,
 * the registry's gate decides, the repository itself is lint-scored, and an optional
 * vitest JSON report supplies the test line.
 *
 *   npx tsx scripts/pr-comment-example.ts [--tests vitest.json] [--base-ref REF] [--out FILE]
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, resolveConfig } from '../pipeline/core/config/load.ts';
import { promoteRun, registryDir } from '../pipeline/gitops/registry/index.ts';
import { gateTrainedRun } from '../pipeline/gitops/run/gate.ts';
import { trainingRun } from '../pipeline/gitops/run/training-run.ts';
import { buildPrComment } from '../actions/pr-report/comment.ts';
import {
  ARTIFACT_FILES,
  CONTEXT_FORMAT,
  readReportArtifact,
  type ReportContext,
} from '../actions/common/report-artifact.ts';
import { scoreDelta } from '../actions/lint-score/score.ts';
import { writeFileAtomic } from '../pipeline/core/common/fs-atomic.ts';
import { checkoutState } from '../pipeline/gitops/git/checkout.ts';
import { scoreFolder, scoreRef } from '../actions/lint-score/eslint-runner.ts';

const ROOT = join(import.meta.dirname, '..');

const { values } = parseArgs({
  options: { tests: { type: 'string' }, 'base-ref': { type: 'string' }, out: { type: 'string' } },
});
const out = resolve(values.out ?? join(ROOT, 'docs', 'pr-comment-example.md'));

const proj = mkdtempSync(join(tmpdir(), 'pr-comment-example-'));
try {
  cpSync(join(ROOT, 'data'), join(proj, 'data'), { recursive: true });
  cpSync(join(ROOT, 'mlops.config.json'), join(proj, 'mlops.config.json'));
  const loaded = loadConfig(null, proj);
  const registry = registryDir(loaded.config, proj);

  const warn = (w: string): void => void process.stderr.write(`warning: ${w}\n`);
  // Champion v1: the logistic baseline.
  const champConfig = resolveConfig({ ...loaded.config, engine: { name: 'logistic', params: {} } });
  const champ = await trainingRun({
    loaded: { ...loaded, config: champConfig },
    command: 'example',
    report: false,
    warn,
  });
  promoteRun({
    dir: registry,
    config: champConfig,
    baseDir: proj,
    challenger: champ.dir,
    actor: 'example',
    gitCommit: null,
  });

  process.stderr.write('lint-scoring the repository…\n');
  const head = await scoreFolder(ROOT, ['.']);
  const base = values['base-ref'] ? (await scoreRef(ROOT, values['base-ref'], ['.'])).score : null;
  const context: ReportContext = {
    format: CONTEXT_FORMAT,
    repository: 'your-org/credit-risk-gitops',
    event: 'pull_request',
    pull_request: 42,
    head_sha: checkoutState(ROOT).commit ?? '0'.repeat(40),
    ref: 'refs/pull/42/merge',
    run_id: 1,
    run_url: 'https://github.com/your-org/credit-risk-gitops/actions/runs/1',
    dry_run: false,
  };
  const dir = join(proj, 'report');
  mkdirSync(dir, { recursive: true });
  if (values.tests) {
    if (!existsSync(values.tests)) throw new Error(`--tests: ${values.tests} not found`);
    cpSync(values.tests, join(dir, ARTIFACT_FILES.tests));
  }

  // Challenger: the configured engine, gated against v1 as the train action does.
  const config = loaded.config;
  process.stderr.write(`training the challenger (${config.engine.name})…\n`);
  await trainingRun({
    loaded,
    command: 'example',
    out: dir,
    report: false,
    warn,
    files: (run) => {
      const { verdict, comparison } = gateTrainedRun(loaded, run);
      return {
        [ARTIFACT_FILES.verdict]: JSON.stringify(verdict, null, 2),
        [ARTIFACT_FILES.comparison]: JSON.stringify(comparison, null, 2),
        [ARTIFACT_FILES.context]: JSON.stringify(context, null, 2),
        [ARTIFACT_FILES.lint]: JSON.stringify({ ...head, delta: scoreDelta(head.score, base) }, null, 2),
      };
    },
  });
  const body = buildPrComment(readReportArtifact(dir), {
    artifactUrl: 'https://github.com/your-org/credit-risk-gitops/actions/runs/1#artifacts',
  });
  const doc = [
    '# Example pull-request comment',
    '',
    `Rendered by \`npx tsx scripts/pr-comment-example.ts\` with the same code the \`pr-report\` action runs: the embedded`,
    `data set, a logistic champion registered as v1 and the configured \`${config.engine.name}\` engine as the challenger,`,
    "the registry's promotion gate, and the lint score of this repository. Links point at a placeholder repository.",
    'Everything below the line is the comment exactly as posted.',
    '',
    '---',
    '',
    body,
  ].join('\n');
  writeFileAtomic(out, doc);
  process.stderr.write(`wrote ${out} (${body.length} characters of comment)\n`);
} finally {
  rmSync(proj, { recursive: true, force: true });
}
