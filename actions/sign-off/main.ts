/**
 * sign-off action: the release job's GitHub Environment reviews (GET
 * /repos/{owner}/{repo}/actions/runs/{run_id}/approvals) recorded as a signed_off event in
 * the registry history, committed and pushed. The recording itself is the GitOps layer's.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { context, getOctokit } from '@actions/github';
import { MlopsError, loadConfig, usageError } from '../../pipeline/core/index.ts';
import { ciRunUrl, recordSignOffAndCommit, registryDir, type EnvironmentReview } from '../../pipeline/gitops/index.ts';
import { apiError } from '../common/comments.ts';
import { repository } from '../common/context.ts';
import { booleanInput, optionalInput, requiredInput, stringInput } from '../common/inputs.ts';
import { runAction } from '../common/run.ts';

interface Settings {
  token: string;
  environment: string;
  runId: number;
  required: boolean;
  workingDirectory: string;
  config: string | null;
  push: boolean;
  branch: string | null;
}

function readSettings(): Settings {
  const workingDirectory = resolve(stringInput('working-directory', '.'));
  if (!existsSync(workingDirectory))
    throw usageError(`input "working-directory": folder ${workingDirectory} does not exist`);
  const environment = stringInput('environment', 'production');
  if (!/^[^\s/][^/]{0,254}$/.test(environment))
    throw usageError(`input "environment" must be a GitHub Environment name (got ${JSON.stringify(environment)})`);
  const runText = stringInput('run-id', String(context.runId ?? ''));
  if (!/^[1-9]\d*$/.test(runText))
    throw usageError(`input "run-id" must be a workflow run id (got ${JSON.stringify(runText)})`);
  const branch = optionalInput('branch');
  if (branch !== null && !/^[A-Za-z0-9._/-]+$/.test(branch))
    throw usageError(`input "branch" must be a branch name (got ${JSON.stringify(branch)})`);
  return {
    token: requiredInput('github-token'),
    environment,
    runId: Number(runText),
    required: booleanInput('required', false),
    workingDirectory,
    config: optionalInput('config'),
    push: booleanInput('push', true),
    branch,
  };
}

async function main(): Promise<void> {
  const s = readSettings();
  const { owner, repo } = repository();
  const octokit = getOctokit(s.token);
  let reviews: EnvironmentReview[];
  try {
    const r = await octokit.rest.actions.getReviewsForRun({ owner, repo, run_id: s.runId });
    reviews = r.data.map((a) => ({
      login: a.user.login,
      state: a.state,
      comment: a.comment || null,
      environments: a.environments.map((e) => e.name ?? ''),
    }));
  } catch (e) {
    throw apiError(e, `read the deployment reviews of run ${s.runId}`, 'actions: read');
  }
  const loaded = loadConfig(s.config, s.workingDirectory);
  const r = await recordSignOffAndCommit({
    dir: registryDir(loaded.config, loaded.baseDir),
    name: loaded.config.model_name,
    environment: s.environment,
    reviews,
    runId: s.runId,
    actor: process.env.GITHUB_ACTOR || 'github-actions[bot]',
    ciRunUrl: ciRunUrl(process.env.GITHUB_SERVER_URL, process.env.GITHUB_REPOSITORY, String(s.runId)),
    push: s.push,
    branch: s.branch,
  });
  const reviewers = r.event?.sign_off?.reviewers.map((x) => x.login) ?? [];
  core.setOutput('state', r.state);
  core.setOutput('version', String(r.version));
  core.setOutput('reviewers', reviewers.join(','));
  core.setOutput('recorded', String(r.recorded));
  core.setOutput('commit', r.commit?.commit ?? '');
  const what = `${loaded.config.model_name} v${r.version}`;
  const line =
    r.state === 'none'
      ? `no review of environment "${s.environment}" in run ${s.runId}: nothing to record for ${what}`
      : `${what}: ${r.event!.reason}${r.recorded ? ` (recorded in ${r.commit!.commit.slice(0, 7)}${r.commit!.pushed ? ', pushed' : ''})` : ' (already recorded)'}`;
  core.info(line);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(`### Sign-off\n\n${line}\n`).write();
  if (s.required && r.state !== 'approved')
    throw new MlopsError(
      'state',
      r.state === 'rejected'
        ? `the release of ${what} was rejected in environment "${s.environment}": ${r.event!.reason}`
        : `the release of ${what} has no approval in environment "${s.environment}" (run ${s.runId}): add required reviewers to it (Settings → Environments → ${s.environment}) and run the job in that environment`,
    );
}

/** The entry point (dist/index.js runs it; `npx local-action` calls it too). */
export const run = (): Promise<void> => runAction(main);
