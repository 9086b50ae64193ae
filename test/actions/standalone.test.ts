/**
 * The pr-report action used from another repository, as GitHub runs it: the action's
 * folder alone, copied to where the runner unpacks `uses: <owner>/credit-risk-gitops/actions/pr-report@v1`
 * (`_actions/<owner>/<repo>/<ref>/…`), started with `node dist/index.js` from an empty
 * workspace (no package.json, no node_modules anywhere up the tree) and only the runner's
 * environment. On a pull request with 250 comments ahead of ours it creates the one marked
 * comment, then updates it, reading pages only until the marker turns up. The train action,
 * copied the same way, trains the caller's project and writes a model card that names the
 * versions of the packages it was built with (there is no node_modules to read them from).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GitHubDouble } from './github-double.ts';
import { ROOT, runAction, type ActionEnv } from './run-action.ts';
import { buildArtifact, HEAD_SHA, logisticProject } from './fixtures.ts';
import { COMMENT_MARKER } from '../../actions/pr-report/comment.ts';

let gh: GitHubDouble;
let runner: string;
let actionDir: string;
let workspace: string;
let reportDir: string;

/** True when a package.json or node_modules sits in `dir` or any folder above it. */
function nodeProjectAbove(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) || existsSync(join(d, 'node_modules'))) return true;
    if (dirname(d) === d) return false;
  }
}

beforeAll(async () => {
  runner = mkdtempSync(join(tmpdir(), 'runner-'));
  actionDir = join(runner, '_actions', 'acme', 'credit-risk-gitops', 'v1', 'actions', 'pr-report');
  mkdirSync(dirname(actionDir), { recursive: true });
  cpSync(join(ROOT, 'actions', 'pr-report'), actionDir, { recursive: true });
  workspace = join(runner, '_work', 'credit-model', 'credit-model');
  mkdirSync(workspace, { recursive: true });
  reportDir = join(runner, '_temp', 'pr-report');
  cpSync((await buildArtifact()).dir, reportDir, { recursive: true });
  gh = new GitHubDouble();
  await gh.start();
  gh.addPull(7, HEAD_SHA);
  for (let i = 0; i < 250; i++) gh.addComment(7, `review comment ${i}`, `reviewer${i % 5}`);
});

afterAll(async () => {
  await gh.close();
});

function env(): ActionEnv {
  return {
    event: 'workflow_run',
    payload: {
      action: 'completed',
      workflow_run: { id: 4242, head_sha: HEAD_SHA, event: 'pull_request', conclusion: 'success', pull_requests: [] },
    },
    apiUrl: gh.url,
    runId: 5151,
    cwd: workspace,
    actionDir,
    inputs: {
      'report-dir': reportDir,
      'github-token': 'ghs_test',
      mode: 'comment',
      'comment-author': 'github-actions[bot]',
    },
  };
}

const pagesRead = (): string[] => gh.requestsMatching('GET', '/issues/7/comments').map((r) => r.query.page ?? '1');

describe('pr-report from a copy of its folder, in an empty workspace', () => {
  it('has nothing to lean on: no package.json or node_modules above the action or the workspace', () => {
    expect(nodeProjectAbove(actionDir)).toBe(false);
    expect(nodeProjectAbove(workspace)).toBe(false);
    expect(readdirSync(workspace)).toEqual([]);
    expect(readdirSync(actionDir)).toEqual(expect.arrayContaining(['action.yml', 'dist']));
  });

  it('creates the one marked comment after reading all 250 others, then updates it and stops at the marker', async () => {
    const first = await runAction('pr-report', env());
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.outputs['comment-action']).toBe('created');
    // No marker anywhere: every page (100 per page) was read before creating it.
    expect(pagesRead()).toEqual(['1', '2', '3']);
    expect(gh.requestsMatching('POST', '/issues/7/comments')).toHaveLength(1);
    const id = Number(first.outputs['comment-id']);

    // More discussion after ours: the second run must find ours on page 3 and read no further.
    for (let i = 0; i < 150; i++) gh.addComment(7, `later comment ${i}`, 'reviewer9');
    gh.requests.length = 0;
    const second = await runAction('pr-report', env());
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.outputs['comment-action']).toBe('updated');
    expect(Number(second.outputs['comment-id'])).toBe(id);
    expect(pagesRead()).toEqual(['1', '2', '3']);
    expect(gh.requestsMatching('POST', '/comments')).toHaveLength(0);
    expect(gh.requestsMatching('PATCH', `/issues/comments/${id}`)).toHaveLength(1);
    const marked = gh.comments.get(7)!.filter((c) => c.body.includes(COMMENT_MARKER));
    expect(marked.map((c) => c.id)).toEqual([id]);
    expect(gh.comments.get(7)).toHaveLength(401);
    // The action wrote nothing into the workspace.
    expect(readdirSync(workspace)).toEqual([]);
  });
});

describe('train from a copy of its folder', () => {
  it("trains the caller's project and names the bundled packages' versions in the model card", async () => {
    const trainDir = join(runner, '_actions', 'acme', 'credit-risk-gitops', 'v1', 'actions', 'train');
    cpSync(join(ROOT, 'actions', 'train'), trainDir, { recursive: true });
    const project = logisticProject();
    expect(nodeProjectAbove(project)).toBe(false);
    const r = await runAction('train', {
      event: 'pull_request',
      payload: { number: 7, pull_request: { number: 7, head: { sha: HEAD_SHA } } },
      cwd: project,
      actionDir: trainDir,
      inputs: { 'working-directory': project, out: 'report' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.decision).toBe('promote');
    const card = readFileSync(join(project, 'report', 'README.md'), 'utf8');
    const ajv = (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', 'ajv', 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect(card).toContain(`\`ajv\` ${ajv}`);
    expect(card).not.toContain('not installed');
  }, 60_000);
});
