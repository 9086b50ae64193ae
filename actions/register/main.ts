/**
 * register action: promotes a trained run into the git-native registry and commits and
 * pushes it with the registry's race-safe retry (re-applied as data on a moved branch,
 * never merged as text). Outputs the new version; reconcile publishes its image.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { loadConfig, type LoadedConfig, usageError } from '../../pipeline/core/index.ts';
import { ciRunUrl, promoteAndCommit, registryDir, writeVersionCard } from '../../pipeline/gitops/index.ts';
import { booleanInput, integerInput, optionalInput, requiredInput, stringInput } from '../common/inputs.ts';
import { runAction } from '../common/run.ts';

interface Settings {
  workingDirectory: string;
  config: string | null;
  runDir: string;
  force: { reason: string } | null;
  push: boolean;
  remote: string;
  branch: string | null;
  actor: string;
  maxAttempts: number;
  /** Write and commit reports/<model>/v<N>/ for a promoted version. */
  report: boolean;
}

function readSettings(): Settings {
  const workingDirectory = resolve(stringInput('working-directory', '.'));
  if (!existsSync(workingDirectory))
    throw usageError(`input "working-directory": folder ${workingDirectory} does not exist`);
  const runDir = resolve(workingDirectory, requiredInput('run-dir'));
  if (!existsSync(join(runDir, 'model.json')))
    throw usageError(
      `input "run-dir": ${runDir} is not a run folder (no model.json); pass the train action's run-dir output`,
    );
  const forcePromote = booleanInput('force-promote', false);
  const reason = optionalInput('reason')?.trim() ?? '';
  if (forcePromote && !reason) throw usageError('input "reason" is required when "force-promote" is true');
  const remote = stringInput('remote', 'origin');
  if (!/^[A-Za-z0-9._-]+$/.test(remote))
    throw usageError(`input "remote" must be a git remote name (got ${JSON.stringify(remote)})`);
  const branch = optionalInput('branch');
  if (branch !== null && !/^[A-Za-z0-9._/-]+$/.test(branch))
    throw usageError(`input "branch" must be a branch name (got ${JSON.stringify(branch)})`);
  return {
    workingDirectory,
    config: optionalInput('config'),
    runDir,
    force: forcePromote ? { reason } : null,
    push: booleanInput('push', true),
    remote,
    branch,
    actor: stringInput('actor', process.env.GITHUB_ACTOR || 'github-actions[bot]'),
    maxAttempts: integerInput('max-attempts', 1, 20) ?? 5,
    report: booleanInput('report', true),
  };
}

async function main(): Promise<void> {
  const s = readSettings();
  const loaded = loadConfig(s.config, s.workingDirectory);
  const r = await promoteAndCommit({
    dir: registryDir(loaded.config, loaded.baseDir),
    config: loaded.config,
    baseDir: loaded.baseDir,
    challenger: s.runDir,
    force: s.force,
    actor: s.actor,
    ciRunUrl: ciRunUrl(process.env.GITHUB_SERVER_URL, process.env.GITHUB_REPOSITORY, process.env.GITHUB_RUN_ID),
    push: s.push,
    remote: s.remote,
    branch: s.branch,
    maxAttempts: s.maxAttempts,
    onAttempt: (a) =>
      core.info(`attempt ${a.attempt}: ${a.phase} ${a.commit.slice(0, 7)}${a.detail ? ` (${a.detail})` : ''}`),
  });
  core.setOutput('decision', r.decision);
  core.setOutput('version', r.version === null ? '' : String(r.version));
  core.setOutput('champion-version', r.champion === null ? '' : String(r.champion));
  core.setOutput('commit', r.commit);
  core.setOutput('pushed', String(r.pushed));
  core.setOutput('attempts', String(r.attempts));
  const promoted = r.decision === 'promote' && r.version !== null;
  core.setOutput('promoted', String(promoted));
  if (promoted && s.report) await commitVersionReport(s, loaded, r.version!);
  const line = promoted
    ? `registered and promoted ${r.verdict.model} v${r.version} in ${r.commit.slice(0, 7)}${r.pushed ? ' (pushed)' : ''} after ${r.attempts} attempt(s)`
    : `the gate kept champion v${r.champion ?? '—'} at the current registry tip: ${r.verdict.summary}`;
  core.info(line);
  if (process.env.GITHUB_STEP_SUMMARY) {
    await core.summary
      .addRaw(
        `### Registry\n\n${promoted ? '✅' : '⏸️'} ${line}\n\n${promoted ? `Its image \`v${r.version}\` is published by reconcile.\n` : 'No image is published.\n'}`,
      )
      .write();
  }
}

/**
 * The promoted version's report.html and charts under reports/<model>/v<N>/ and its full
 * model card (the version's card.md), committed and pushed after the registry commit. The promotion has already landed, so a
 * failure here is a warning, not a failed job.
 */
async function commitVersionReport(s: Settings, loaded: LoadedConfig, version: number): Promise<void> {
  try {
    const card = await writeVersionCard(loaded, s.runDir, version, {
      push: s.push,
      remote: s.remote,
      branch: s.branch,
      maxAttempts: s.maxAttempts,
    });
    core.info(
      `model card of v${version}: ${card.files.length} files in ${card.commit!.commit.slice(0, 7)}${card.commit!.pushed ? ' (pushed)' : ''}`,
    );
  } catch (e) {
    core.warning(`the promotion stands, but the model card of v${version} was not committed: ${(e as Error).message}`);
  }
}

/** The entry point (dist/index.js runs it; `npx local-action` calls it too). */
export const run = (): Promise<void> => runAction(main);
