/**
 * Where the checks workflow (typecheck, tests, lint score) of the commit stands, read from
 * GitHub rather than from an artifact: the run's status and each job's conclusion. The
 * run must be for the commit the report artifact was built from.
 */
import { getOctokit } from '@actions/github';
import { MlopsError } from '../../pipeline/core/index.ts';
import type { ChecksRun } from '../common/report-artifact.ts';
import { apiError } from '../common/comments.ts';

type Octokit = ReturnType<typeof getOctokit>;

export async function checksRun(
  octokit: Octokit,
  o: { owner: string; repo: string; runId: number; headSha: string },
): Promise<ChecksRun> {
  try {
    const { data: run } = await octokit.rest.actions.getWorkflowRun({ owner: o.owner, repo: o.repo, run_id: o.runId });
    if (run.head_sha !== o.headSha)
      throw new MlopsError(
        'input',
        `input "checks-run-id": run ${o.runId} built ${run.head_sha}, not the commit of the report (${o.headSha})`,
      );
    const { data } = await octokit.rest.actions.listJobsForWorkflowRun({
      owner: o.owner,
      repo: o.repo,
      run_id: o.runId,
      per_page: 100,
    });
    return {
      running: run.status !== 'completed',
      url: run.html_url,
      jobs: data.jobs.map((j) => ({ name: j.name, status: j.status, conclusion: j.conclusion })),
    };
  } catch (e) {
    if (e instanceof MlopsError) throw e;
    throw apiError(e, `read the checks run ${o.runId}`, 'actions: read');
  }
}
