/**
 * The train action run as the runner runs it, in a temporary project with the embedded
 * data and the fast logistic engine: run folder plus the report artifact files, outputs,
 * job summary, the event context for pull_request / push / workflow_dispatch, and input
 * validation that names the input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction } from './run-action.ts';
import { logisticProject } from './fixtures.ts';
import { readReportArtifact } from '../../actions/common/report-artifact.ts';
import { COMMENT_MARKER } from '../../actions/pr-report/comment.ts';

const PR_HEAD = 'e'.repeat(40);
let project: string;

beforeAll(() => {
  project = logisticProject();
});

describe('train action', () => {
  it('trains, compares with the (absent) champion and writes the report artifact for a pull request', async () => {
    const r = await runAction('train', {
      event: 'pull_request',
      payload: { action: 'opened', number: 12, pull_request: { number: 12, head: { sha: PR_HEAD } } },
      sha: 'f'.repeat(40),
      cwd: project,
      inputs: { out: 'report', engine: 'logistic' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const dir = join(project, 'report');
    expect(r.outputs['run-dir']).toBe(dir);
    for (const f of [
      'model.json',
      'metrics.json',
      'run.json',
      'report.md',
      'verdict.json',
      'comparison.json',
      'context.json',
    ])
      expect(existsSync(join(dir, f)), f).toBe(true);
    // The full report (model card, HTML, charts) travels in the artifact the comment links to.
    for (const f of ['README.md', 'report.html', 'report.json', 'charts/roc.svg'])
      expect(existsSync(join(dir, f)), f).toBe(true);
    expect(Number(r.outputs['roc-auc'])).toBeGreaterThan(0.8);
    expect(Number(r.outputs['expected-cost'])).toBeGreaterThan(0);
    expect(r.outputs['beats-champion']).toBe('true');
    expect(r.outputs.decision).toBe('promote');
    expect(r.outputs.promote).toBe('true');
    expect(r.outputs['champion-version']).toBe('');
    const verdict = JSON.parse(r.outputs.verdict);
    expect(verdict.rules.some((x: { id: string }) => x.id === 'first-model')).toBe(true);
    expect(verdict.challenger.digest).toBe(r.outputs['model-digest']);
    // The artifact passes the same validation the privileged comment job applies.
    const artifact = readReportArtifact(dir);
    expect(artifact.context).toMatchObject({
      event: 'pull_request',
      pull_request: 12,
      head_sha: PR_HEAD,
      repository: 'acme/credit-model',
      dry_run: false,
    });
    expect(artifact.context.run_url).toBe('https://github.test/acme/credit-model/actions/runs/4242');
    expect(artifact.comparison.champion).toBeNull();
    expect(r.summary).toContain('### Training: credit-default (logistic)');
    expect(r.summary).toContain('**PROMOTE**');
    expect(r.summary).toMatch(/\| ROC AUC +\| +0\.\d{4} \| +0\.\d{4} \| +0\.\d{4} \|/);
    expect(r.summary).not.toContain(COMMENT_MARKER);
    // Nothing was written to the registry.
    expect(existsSync(join(project, 'models', 'registry.json'))).toBe(false);
  });

  it('applies params, data and dry-run inputs on a push event', async () => {
    const r = await runAction('train', {
      event: 'push',
      payload: { ref: 'refs/heads/main', after: 'f'.repeat(40) },
      sha: 'f'.repeat(40),
      cwd: project,
      inputs: {
        out: 'report-push',
        engine: 'logistic',
        params: '{"C": 0.5, "maxIter": 30}',
        'dry-run': 'true',
        report: 'false',
        data: 'data/credit_data/train.csv',
        'test-data': 'data/credit_data/test.csv',
      },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.decision).toBe('promote');
    expect(r.outputs.promote).toBe('false');
    const run = JSON.parse(readFileSync(join(project, 'report-push', 'run.json'), 'utf8'));
    expect(run.model.params).toMatchObject({ C: 0.5, maxIter: 30 });
    expect(run.data.path).toBe('data/credit_data/train.csv');
    expect(run.test_data).toMatchObject({ path: 'data/credit_data/test.csv', rows: 891 });
    const ctx = JSON.parse(readFileSync(join(project, 'report-push', 'context.json'), 'utf8'));
    expect(ctx).toMatchObject({ event: 'push', pull_request: null, head_sha: 'f'.repeat(40), dry_run: true });
    // report: false skips the model card and charts.
    expect(existsSync(join(project, 'report-push', 'report.html'))).toBe(false);
  });

  it('refuses bad inputs with a message naming the input (workflow_dispatch)', async () => {
    const dispatch = { event: 'workflow_dispatch', payload: { inputs: { 'force-promote': 'true' } }, cwd: project };
    const noReason = await runAction('train', { ...dispatch, inputs: { 'force-promote': 'true', engine: 'logistic' } });
    expect(noReason.code).toBe(1);
    expect(noReason.errors.join('\n')).toContain('input "reason" is required when "force-promote" is true');
  });
});
