/**
 * One living retraining pull request: the bot's branch always has at most one open PR
 * into the base branch. Find it (GitHub filters by `owner:branch`) and update its title
 * and body, or open it.
 */
import type { getOctokit } from '@actions/github';
import { apiError } from '../common/comments.ts';

type Octokit = ReturnType<typeof getOctokit>;

export interface PullRequestResult {
  action: 'created' | 'updated';
  number: number;
  url: string;
}

export async function upsertPullRequest(
  octokit: Octokit,
  o: { owner: string; repo: string; head: string; base: string; title: string; body: string },
): Promise<PullRequestResult> {
  let existing: { number: number } | undefined;
  try {
    const r = await octokit.rest.pulls.list({
      owner: o.owner,
      repo: o.repo,
      head: `${o.owner}:${o.head}`,
      base: o.base,
      state: 'open',
      per_page: 10,
    });
    existing = r.data.find((p) => p.head.ref === o.head);
  } catch (e) {
    throw apiError(e, `list the open pull requests from ${o.head}`, 'pull-requests: read');
  }
  if (existing) {
    try {
      const r = await octokit.rest.pulls.update({
        owner: o.owner,
        repo: o.repo,
        pull_number: existing.number,
        title: o.title,
        body: o.body,
      });
      return { action: 'updated', number: r.data.number, url: r.data.html_url };
    } catch (e) {
      throw apiError(e, `update pull request #${existing.number}`, 'pull-requests: write');
    }
  }
  try {
    const r = await octokit.rest.pulls.create({
      owner: o.owner,
      repo: o.repo,
      head: o.head,
      base: o.base,
      title: o.title,
      body: o.body,
      maintainer_can_modify: true,
    });
    return { action: 'created', number: r.data.number, url: r.data.html_url };
  } catch (e) {
    throw apiError(e, `open a pull request from ${o.head} into ${o.base}`, 'pull-requests: write');
  }
}
