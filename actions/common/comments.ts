/**
 * One living comment per pull request: find the comment carrying the hidden marker by
 * walking the pages of the issue's comments until it turns up (CML's driver reads only
 * the first page and so piles up duplicates on busy PRs; reading on after the marker
 * would only cost time), then update it in place, or create it once.
 */
import { getOctokit } from '@actions/github';
import { MlopsError } from '../../pipeline/core/index.ts';

type Octokit = ReturnType<typeof getOctokit>;

export interface UpsertResult {
  action: 'created' | 'updated';
  id: number;
  url: string;
  /** Comments looked at before deciding (up to the marked one, or all when there is none). */
  scanned: number;
}

export interface UpsertOptions {
  owner: string;
  repo: string;
  issue: number;
  body: string;
  marker: string;
  /** Only comments by this login are ours to edit (a user quoting the marker is not). */
  author: string;
}

export async function upsertComment(octokit: Octokit, o: UpsertOptions): Promise<UpsertResult> {
  let existing: { id: number } | null = null;
  let scanned = 0;
  try {
    const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
      owner: o.owner,
      repo: o.repo,
      issue_number: o.issue,
      per_page: 100,
    });
    scan: for await (const page of pages) {
      for (const c of page.data) {
        scanned++;
        if (c.body?.includes(o.marker) && c.user?.login === o.author) {
          existing = { id: c.id };
          break scan;
        }
      }
    }
  } catch (e) {
    throw apiError(e, `list the comments of pull request #${o.issue}`, 'pull-requests: read');
  }
  if (existing) {
    try {
      const r = await octokit.rest.issues.updateComment({
        owner: o.owner,
        repo: o.repo,
        comment_id: existing.id,
        body: o.body,
      });
      return { action: 'updated', id: r.data.id, url: r.data.html_url, scanned };
    } catch (e) {
      throw apiError(e, `update comment ${existing.id} on pull request #${o.issue}`, 'pull-requests: write');
    }
  }
  try {
    const r = await octokit.rest.issues.createComment({
      owner: o.owner,
      repo: o.repo,
      issue_number: o.issue,
      body: o.body,
    });
    return { action: 'created', id: r.data.id, url: r.data.html_url, scanned };
  } catch (e) {
    throw apiError(e, `comment on pull request #${o.issue}`, 'pull-requests: write');
  }
}

/** Turns an Octokit error into a message that says what to change in the workflow. */
export function apiError(e: unknown, what: string, permission: string): MlopsError {
  const status = (e as { status?: number }).status;
  const msg = (e as Error).message ?? String(e);
  if (status === 403 || status === 401) {
    return new MlopsError(
      'state',
      `GitHub refused to ${what} (HTTP ${status}: ${msg}). The token lacks the \`${permission}\` permission: grant it to this job ` +
        `(\`permissions: { ${permission} }\`), check Settings → Actions → General → Workflow permissions, ` +
        'and for pull requests from forks post the comment from a workflow_run workflow (see .github/workflows/pr-comment.yml).',
    );
  }
  if (status === 404)
    return new MlopsError(
      'state',
      `GitHub could not find what was needed to ${what} (HTTP 404: ${msg}); check the repository and pull request number`,
    );
  return new MlopsError('state', `GitHub API call failed to ${what}${status ? ` (HTTP ${status})` : ''}: ${msg}`);
}
