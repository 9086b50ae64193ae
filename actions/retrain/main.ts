/**
 * retrain action: scheduled retraining. Runs the pipeline (ingest → drift → train →
 * gate), then publishes a winner — a pull request from the bot's branch (default) or a
 * direct push to the base branch — and writes the reason to the job summary either way.
 * Nothing new and a losing challenger are normal outcomes: the step stays green.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { loadConfig, usageError } from '../../pipeline/core/index.ts';
import { ciRunUrl, DEFAULT_AUTHOR, publishRetrain, retrain } from '../../pipeline/gitops/index.ts';
import { booleanInput, choiceInput, optionalInput, stringInput } from '../common/inputs.ts';
import { runAction } from '../common/run.ts';
import { repository } from '../common/context.ts';
import { upsertPullRequest } from './pull-request.ts';

const REF = /^[A-Za-z0-9._/-]+$/;

function refInput(name: string, fallback: string): string {
  const v = stringInput(name, fallback);
  if (!REF.test(v) || v.includes('..'))
    throw usageError(`input "${name}" must be a branch name (got ${JSON.stringify(v)})`);
  return v;
}

async function main(): Promise<void> {
  const workingDirectory = resolve(stringInput('working-directory', '.'));
  if (!existsSync(workingDirectory))
    throw usageError(`input "working-directory": folder ${workingDirectory} does not exist`);
  const loaded = loadConfig(optionalInput('config'), workingDirectory);
  const { config } = loaded;
  const promotion = choiceInput('promotion', ['config', 'pull-request', 'direct'] as const, 'config');
  const mode = promotion === 'config' ? config.retrain.promotion : promotion;
  const branch = refInput('branch', config.retrain.branch);
  const base = refInput('base', process.env.GITHUB_REF_NAME || 'main');
  const remote = stringInput('remote', 'origin');
  if (!/^[A-Za-z0-9._-]+$/.test(remote))
    throw usageError(`input "remote" must be a git remote name (got ${JSON.stringify(remote)})`);
  const token = optionalInput('github-token');
  if (mode === 'pull-request' && !token)
    throw usageError(
      'input "github-token" is required to open the pull request (use `github-token: ${{ github.token }}`)',
    );
  if (mode === 'pull-request' && branch === base)
    throw usageError(`input "branch" (${branch}) must differ from the base branch in pull-request mode`);

  const options = {
    loaded,
    actor: stringInput('actor', process.env.GITHUB_ACTOR || 'github-actions[bot]'),
    ciRunUrl: ciRunUrl(process.env.GITHUB_SERVER_URL, process.env.GITHUB_REPOSITORY, process.env.GITHUB_RUN_ID),
    author: DEFAULT_AUTHOR,
    force: booleanInput('force', false),
    onStage: (s: string) => core.info(`• ${s}`),
    onWarning: (w: string) => core.warning(w),
  };
  let outcome = await retrain(options);
  let published = '';
  const publish = outcome.status === 'promote';
  if (publish) {
    // A moved branch is fetched and the promotion re-applied on its tip before the outputs are set.
    outcome = await publishRetrain(options, outcome, {
      remote,
      branch: mode === 'direct' ? base : branch,
      force: mode !== 'direct',
    });
  }

  core.setOutput('status', outcome.status);
  core.setOutput('reason', outcome.reason);
  core.setOutput('data-version', outcome.ingest.version_after);
  core.setOutput('data-changed', String(outcome.ingest.version_after !== outcome.ingest.version_before));
  core.setOutput('run-dir', outcome.run?.dir ?? '');
  core.setOutput('decision', outcome.verdict?.decision ?? '');
  core.setOutput('version', outcome.promotion?.version == null ? '' : String(outcome.promotion.version));
  core.setOutput('dataset-drift', outcome.drift ? String(outcome.drift.dataset_drift) : '');

  if (publish) {
    if (mode === 'direct') {
      published = `Pushed the new data version and the registry change to \`${base}\` directly (retrain.promotion = direct).`;
    } else {
      const { owner, repo } = repository();
      const pr = await upsertPullRequest(getOctokit(token!), {
        owner,
        repo,
        head: branch,
        base,
        title: outcome.title,
        body: outcome.report,
      });
      core.setOutput('pull-request-number', String(pr.number));
      core.setOutput('pull-request-url', pr.url);
      published = `${pr.action === 'created' ? 'Opened' : 'Updated'} pull request [#${pr.number}](${pr.url}) from \`${branch}\`: merge it to promote.`;
    }
    core.info(published);
  }
  core.info(outcome.reason);
  await core.summary.addRaw(outcome.report + (published ? `\n\n${published}\n` : '\n')).write();
}

/** The entry point (dist/index.js runs it; `npx local-action` calls it too). */
export const run = (): Promise<void> => runAction(main);
