/**
 * The slice of the GitHub event a report needs, read from `github.context` (which reads
 * GITHUB_EVENT_PATH, GITHUB_SHA, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_SERVER_URL).
 */
import { context } from '@actions/github';
import { CONTEXT_FORMAT, type ReportContext } from './report-artifact.ts';
import { usageError } from '../../pipeline/core/index.ts';

export function repository(): { owner: string; repo: string } {
  if (!process.env.GITHUB_REPOSITORY)
    throw usageError('GITHUB_REPOSITORY is not set; run this action inside GitHub Actions');
  return context.repo;
}

export function runUrl(runId: number = context.runId): string {
  const { owner, repo } = repository();
  return `${context.serverUrl}/${owner}/${repo}/actions/runs/${runId}`;
}

/** Pull request number and head commit of the event, whatever its kind. */
export function eventPullRequest(): { number: number | null; headSha: string } {
  const p = context.payload;
  if (p.pull_request && typeof p.pull_request.number === 'number') {
    const head = (p.pull_request as { head?: { sha?: string } }).head?.sha;
    // On pull_request events GITHUB_SHA is the merge commit; the PR's head is what a reviewer pushed.
    return { number: p.pull_request.number, headSha: head ?? context.sha };
  }
  return { number: null, headSha: context.sha };
}

export function reportContext(dryRun: boolean): ReportContext {
  const { owner, repo } = repository();
  const pr = eventPullRequest();
  return {
    format: CONTEXT_FORMAT,
    repository: `${owner}/${repo}`,
    event: context.eventName,
    pull_request: pr.number,
    head_sha: pr.headSha,
    ref: context.ref ?? '',
    run_id: context.runId,
    run_url: runUrl(),
    dry_run: dryRun,
  };
}
