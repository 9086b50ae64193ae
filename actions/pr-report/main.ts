/**
 * pr-report action: builds the PR comment from a downloaded report artifact and creates
 * or updates the single comment that carries the marker. Meant for a privileged
 * workflow_run job, so the artifact — including the PR number in it — is treated as
 * untrusted: it is schema-validated, and the PR's current head must be the commit the
 * artifact says it was built from before anything is posted.
 */
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { context, getOctokit } from '@actions/github';
import { buildPrComment, COMMENT_MARKER } from './comment.ts';
import { readChecksResults, readReportArtifact, type ReportArtifact } from '../common/report-artifact.ts';
import { MlopsError, usageError } from '../../pipeline/core/index.ts';
import { choiceInput, integerInput, optionalInput, requiredInput, stringInput } from '../common/inputs.ts';
import { runAction } from '../common/run.ts';
import { repository, runUrl } from '../common/context.ts';
import { apiError, upsertComment } from '../common/comments.ts';
import { checksRun } from './checks-run.ts';

interface Settings {
  reportDir: string;
  mode: 'comment' | 'summary';
  token: string | null;
  artifactUrl: string | null;
  commentAuthor: string;
  checksRunId: number | null;
  checksDir: string | null;
}

function readSettings(): Settings {
  const mode = choiceInput('mode', ['comment', 'summary'] as const, 'comment');
  const token = optionalInput('github-token');
  if (mode === 'comment' && !token)
    throw usageError('input "github-token" is required in mode "comment" (use `github-token: ${{ github.token }}`)');
  const artifactUrl = optionalInput('artifact-url');
  if (artifactUrl && !/^https:\/\/\S+$/.test(artifactUrl))
    throw usageError(`input "artifact-url" must be an https URL (got ${JSON.stringify(artifactUrl)})`);
  const checksRunId = integerInput('checks-run-id', 1, Number.MAX_SAFE_INTEGER);
  if (checksRunId !== null && !token)
    throw usageError('input "github-token" is required with "checks-run-id" (the run is read through the API)');
  const checksDir = optionalInput('checks-dir');
  return {
    reportDir: resolve(requiredInput('report-dir')),
    mode,
    token,
    artifactUrl,
    commentAuthor: stringInput('comment-author', 'github-actions[bot]'),
    checksRunId,
    checksDir: checksDir === null ? null : resolve(checksDir),
  };
}

/** The run that produced the artifact: from a workflow_run event, else this run. */
function producingRun(): { id: number; headSha: string | null } {
  const wr = context.payload.workflow_run as { id?: number; head_sha?: string } | undefined;
  if (context.eventName === 'workflow_run' && wr && typeof wr.id === 'number')
    return { id: wr.id, headSha: wr.head_sha ?? null };
  return { id: context.runId, headSha: null };
}

async function main(): Promise<void> {
  const s = readSettings();
  let artifact: ReportArtifact = readReportArtifact(s.reportDir);
  const { owner, repo } = repository();
  if (artifact.context.repository.toLowerCase() !== `${owner}/${repo}`.toLowerCase()) {
    throw new MlopsError(
      'input',
      `report artifact context.json is for ${artifact.context.repository}, not this repository (${owner}/${repo})`,
    );
  }
  const run = producingRun();
  if (run.headSha && run.headSha !== artifact.context.head_sha) {
    throw new MlopsError(
      'input',
      `report artifact context.json says head ${artifact.context.head_sha} but the workflow run that uploaded it built ${run.headSha}`,
    );
  }
  if (s.checksRunId !== null) {
    // Typecheck, tests and lint score run in their own workflow: report where they stand.
    const checks = await checksRun(getOctokit(s.token!), {
      owner,
      repo,
      runId: s.checksRunId,
      headSha: artifact.context.head_sha,
    });
    const results =
      checks.running || s.checksDir === null ? { lint: null, tests: null } : readChecksResults(s.checksDir);
    artifact = { ...artifact, ...results, checks };
  }
  const artifactUrl = s.artifactUrl ?? runUrl(run.id);
  const body = buildPrComment(artifact, { artifactUrl });
  core.setOutput('body-length', String(body.length));
  core.setOutput('decision', artifact.verdict.decision);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(body).write();

  const pr = artifact.context.pull_request;
  if (s.mode === 'summary' || pr === null) {
    core.info(
      pr === null ? 'the report is not for a pull request: job summary only' : 'mode "summary": job summary only',
    );
    core.setOutput('comment-action', 'skipped');
    return;
  }
  const octokit = getOctokit(s.token!);
  // The PR number came from the artifact: only comment if that PR's head is the commit it was built from.
  let headSha: string;
  try {
    const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: pr });
    headSha = data.head.sha;
  } catch (e) {
    throw apiError(e, `read pull request #${pr}`, 'pull-requests: read');
  }
  if (headSha !== artifact.context.head_sha) {
    core.warning(
      `pull request #${pr} has moved on to ${headSha.slice(0, 7)}; not posting the report for ${artifact.context.head_sha.slice(0, 7)} (the newer run will)`,
    );
    core.setOutput('comment-action', 'skipped');
    return;
  }
  const r = await upsertComment(octokit, {
    owner,
    repo,
    issue: pr,
    body,
    marker: COMMENT_MARKER,
    author: s.commentAuthor,
  });
  core.info(`${r.action} comment ${r.id} on #${pr} after scanning ${r.scanned} comments: ${r.url}`);
  core.setOutput('comment-action', r.action);
  core.setOutput('comment-id', String(r.id));
  core.setOutput('comment-url', r.url);
}

/** The entry point (dist/index.js runs it; `npx local-action` calls it too). */
export const run = (): Promise<void> => runAction(main);
