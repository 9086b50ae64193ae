/**
 * lint-score action: ESLint → a pylint-style score out of 10, counts per rule and the
 * delta against the base branch. Never fails the job: problems become warnings, and a
 * dropping score becomes a warning annotation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as core from '@actions/core';
import { markdownTable } from 'markdown-table';
import { describeScore, scoreDelta, type LintScore } from './score.ts';
import { writeJsonAtomic, usageError } from '../../pipeline/core/index.ts';
import type { LintScoreFile } from '../common/report-artifact.ts';
import { validateArtifactFile } from '../common/report-artifact.ts';
import { optionalInput, stringInput } from '../common/inputs.ts';
import { scoreFolder, scoreRef } from './eslint-runner.ts';

interface Settings {
  workingDirectory: string;
  patterns: string[];
  output: string;
  baseRef: string | null;
  baseScoreFile: string | null;
}

function readSettings(): Settings {
  const workingDirectory = resolve(stringInput('working-directory', '.'));
  if (!existsSync(workingDirectory))
    throw usageError(`input "working-directory": folder ${workingDirectory} does not exist`);
  const patterns = stringInput('patterns', '.')
    .split(/[\s,]+/)
    .filter(Boolean);
  if (!patterns.length) throw usageError('input "patterns" must name at least one file, folder or glob');
  return {
    workingDirectory,
    patterns,
    output: resolve(workingDirectory, stringInput('output', 'lint-score.json')),
    baseRef: optionalInput('base-ref'),
    baseScoreFile: optionalInput('base-score-file'),
  };
}

async function baseScore(s: Settings): Promise<number | null> {
  if (s.baseScoreFile) {
    const file = resolve(s.workingDirectory, s.baseScoreFile);
    if (!existsSync(file)) {
      core.info(`no base score at ${file}; reporting without a delta`);
      return null;
    }
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    validateArtifactFile('lint', value, `input "base-score-file" (${file})`);
    return (value as LintScoreFile).score;
  }
  if (s.baseRef) return (await scoreRef(s.workingDirectory, s.baseRef, s.patterns)).score;
  return null;
}

function summary(head: LintScore, file: LintScoreFile): string {
  const rows = head.rules.slice(0, 15).map((r) => [`\`${r.rule}\``, String(r.errors), String(r.warnings)]);
  return [
    `### Lint score: ${describeScore(head.score, file.delta)}`,
    '',
    `${head.errors} errors, ${head.warnings} warnings in ${head.statements} statements (${head.files} files); score = max(0, 10 − 10 × (5·errors + warnings) / statements).`,
    '',
    rows.length
      ? markdownTable([['Rule', 'Errors', 'Warnings'], ...rows], { align: ['l', 'r', 'r'] })
      : 'No problems found.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let settings: Settings;
  try {
    settings = readSettings();
  } catch (e) {
    // Even bad inputs must not fail the job (the score is advisory); say what to fix.
    core.warning(`lint-score: ${(e as Error).message}`);
    return;
  }
  try {
    const head = await scoreFolder(settings.workingDirectory, settings.patterns);
    let base: number | null = null;
    try {
      base = await baseScore(settings);
    } catch (e) {
      core.warning(`lint-score: could not score the base (${(e as Error).message}); reporting without a delta`);
    }
    const file: LintScoreFile = { ...head, delta: scoreDelta(head.score, base) };
    writeJsonAtomic(settings.output, file);
    core.setOutput('score', head.score.toFixed(2));
    core.setOutput('base-score', base === null ? '' : base.toFixed(2));
    core.setOutput('delta', file.delta.delta === null ? '' : file.delta.delta.toFixed(2));
    core.setOutput('errors', String(head.errors));
    core.setOutput('warnings', String(head.warnings));
    core.setOutput('statements', String(head.statements));
    core.setOutput('file', settings.output);
    core.info(`lint score ${describeScore(head.score, file.delta)}`);
    if (file.delta.dropped) {
      core.warning(
        `Lint score dropped from ${base!.toFixed(2)} to ${head.score.toFixed(2)} (${file.delta.delta!.toFixed(2)}): ${head.errors} errors, ${head.warnings} warnings`,
        {
          title: 'Lint score dropped',
        },
      );
    }
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summary(head, file)).write();
  } catch (e) {
    core.warning(`lint-score could not score the code: ${(e as Error).message}`);
  }
}

/** The entry point (dist/index.js runs it; `npx local-action` calls it too). */
export const run = main;
