/**
 * Runs an action the way the runner does: a child process (`node actions/<name>/dist/index.js`,
 * the committed bundle that action.yml names) with GITHUB_* variables, INPUT_* variables
 * (runner mangling: spaces → `_`, upper-cased, hyphens kept), an event payload file and
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files. A child process is needed anyway:
 * @actions/github reads GITHUB_API_URL and the event once, at import.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** `::error::` / `::warning::` workflow commands the action printed. */
  errors: string[];
  warnings: string[];
}

export interface ActionEnv {
  event: string;
  payload: object;
  inputs?: Record<string, string>;
  apiUrl?: string;
  repository?: string;
  sha?: string;
  ref?: string;
  runId?: number;
  cwd?: string;
  /** Where the action's folder is (default actions/<name>): a copy stands for `_actions/<owner>/<repo>/<ref>/…`. */
  actionDir?: string;
  extraEnv?: Record<string, string>;
}

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Parses the GITHUB_OUTPUT file format (`name<<delimiter` … `delimiter`). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^([^<=]+)<<(.+)$/);
    if (m) {
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== m[2]) value.push(lines[i++]);
      out[m[1]] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const k = lines[i].indexOf('=');
      out[lines[i].slice(0, k)] = lines[i].slice(k + 1);
    }
  }
  return out;
}

export async function runAction(name: string, env: ActionEnv): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), `action-${name}-`));
  const eventPath = join(dir, 'event.json');
  const outputPath = join(dir, 'output.txt');
  const summaryPath = join(dir, 'summary.md');
  writeFileSync(eventPath, JSON.stringify(env.payload));
  writeFileSync(outputPath, '');
  writeFileSync(summaryPath, '');
  const repository = env.repository ?? 'acme/credit-model';
  const vars: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    // Loopback only: make sure no proxy from the machine gets in the way.
    NO_PROXY: '127.0.0.1,localhost',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: env.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: repository.split('/')[0],
    GITHUB_SHA: env.sha ?? 'a'.repeat(40),
    GITHUB_REF: env.ref ?? 'refs/heads/main',
    GITHUB_RUN_ID: String(env.runId ?? 4242),
    GITHUB_RUN_NUMBER: '7',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'octocat',
    GITHUB_WORKFLOW: 'ci',
    GITHUB_JOB: 'test',
    GITHUB_SERVER_URL: 'https://github.test',
    GITHUB_API_URL: env.apiUrl ?? 'http://127.0.0.1:9',
    GITHUB_GRAPHQL_URL: `${env.apiUrl ?? 'http://127.0.0.1:9'}/graphql`,
    GITHUB_WORKSPACE: env.cwd ?? ROOT,
    GITHUB_ACTION_PATH: env.actionDir ?? join(ROOT, 'actions', name),
    RUNNER_TEMP: dir,
    ...env.extraEnv,
  };
  for (const [k, v] of Object.entries(env.inputs ?? {})) vars[inputEnvName(k)] = v;
  const child = spawn(process.execPath, [join(env.actionDir ?? join(ROOT, 'actions', name), 'dist', 'index.js')], {
    cwd: env.cwd ?? ROOT,
    env: vars,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((ok) => child.on('close', (c) => ok(c ?? 1)));
  const commands = (kind: string): string[] =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith(`::${kind}`))
      .map((l) => decodeURIComponent(l.slice(l.indexOf('::', 2) + 2)));
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputPath, 'utf8')),
    summary: existsSync(summaryPath) ? readFileSync(summaryPath, 'utf8') : '',
    errors: commands('error'),
    warnings: commands('warning'),
  };
}
