/**
 * Replays GitHub Actions workflows on this machine from the workflow files themselves, so
 * what is replayed is what GitHub would run and a test breaks when a workflow drifts:
 *
 *   jobs                      in order of `needs:`, one at a time; `if:` with the job-level
 *                             status functions (a skipped or failed need skips the job unless
 *                             the condition says otherwise), `outputs:`, `environment:`
 *   uses: ./.github/workflows run in the same workflow run (same run id), `with:` as `inputs`
 *   actions/checkout          git fetch of the ref (or of the event's commit) from the remote,
 *                             depth and sparse checkout as written
 *   actions/setup-node        nothing: the Node that runs the actions is on PATH
 *   run:                      bash -eo pipefail with the job's and step's env (a caller may rewrite the
 *                             script, e.g. `npm ci` as a link to installed node_modules)
 *   ./actions/<name>          `node actions/<name>/dist/index.js` with INPUT_* (defaults
 *                             included) and GITHUB_* set, as the runner runs a JavaScript action
 *   upload/download-artifact  a copy into / out of a local artifact store
 *   a run: step calling `gh`  answered by the caller (it asks GitHub about runs)
 *
 * `if:`, `with:`, `env:` and `outputs:` expressions are evaluated with GitHub's own
 * expression library (@actions/expressions). A run can be cancelled while a step runs: its
 * processes are killed (the whole process group, as a runner's cancellation ends them) and
 * the rest of the run does not start.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import YAML from 'yaml';
import { gitOk } from '../../pipeline/gitops/git/run.ts';
import type { GitHubDouble } from '../actions/github-double.ts';
import { parseOutputFile } from '../actions/run-action.ts';

export type Step = {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: unknown;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'continue-on-error'?: boolean;
};
export type Job = {
  name?: string;
  if?: unknown;
  uses?: string;
  with?: Record<string, unknown>;
  needs?: string | string[];
  environment?: unknown;
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  steps?: Step[];
};
export type Workflow = { name?: string; jobs: Record<string, Job> };

export type Outcome = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface StepResult {
  name: string;
  seconds: number;
  outcome: Outcome;
  note?: string;
  /** The step's log (stdout and stderr), for actions and run: steps. */
  log?: string;
}

export interface JobResult {
  label: string;
  id: string;
  name: string;
  steps: StepResult[];
  seconds: number;
  result: Outcome;
  outputs: Record<string, string>;
  environment: string | null;
}

export interface WorkflowResult {
  runId: number;
  jobs: Record<string, JobResult>;
  conclusion: 'success' | 'failure' | 'cancelled';
}

/** The event a run replays: `github.event_name`, `github.ref`, `github.sha`, the payload. */
export interface ReplayEvent {
  event_name: string;
  ref: string;
  sha: string;
  event: Record<string, unknown>;
  base_ref?: string;
  head_ref?: string;
  actor?: string;
  inputs?: Record<string, unknown>;
}

export interface ReplayOptions {
  /** Folder for the jobs' workspaces and the artifact store. */
  work: string;
  /** The node binary that runs JavaScript actions (the runner's Node 24). */
  node: string;
  gh: GitHubDouble;
  /** owner/name. */
  repository: string;
  /** What actions/checkout fetches from: a path or file:// URL of a git repository. */
  remote: string;
  /** Where the workflow files are (.github/workflows of the replayed tree). */
  workflows: string;
  /** Added to every step's environment (the runner's own tools: PATH, DOCKER_HOST, …). */
  env?: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** Rewrites a run: script before it runs; return it unchanged to run it as written. */
  script?: (run: string) => string;
  /** Answers a run: step that calls the gh CLI with that step's outputs. */
  ghStep?: (step: Step) => Record<string, string>;
  /** Called before a job starts (e.g. a reviewer's decision on its environment); 'reject' fails it unstarted. */
  beforeJob?: (job: { workflow: string; id: string; runId: number; environment: string | null }) => 'reject' | void;
  /** Polled while a step runs; true cancels the workflow run there. */
  cancel?: (job: string, step: string) => boolean;
  /** First run id handed out. */
  firstRunId?: number;
}

const STATUS_FUNCTIONS = ['success', 'failure', 'cancelled', 'always'];
const CONTEXTS = [
  'github',
  'inputs',
  'steps',
  'runner',
  'env',
  'needs',
  'secrets',
  'matrix',
  'job',
  'vars',
  'strategy',
];

interface Status {
  success: boolean;
  failure: boolean;
  cancelled: boolean;
}

/** Evaluates one expression (without the `${{ }}`) as the runner does. */
export function evaluate(expr: string, ctx: Record<string, unknown>, status: Status): data.ExpressionData {
  const ast = new Parser(
    new Lexer(expr).lex().tokens,
    CONTEXTS,
    STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  ).parse();
  const value = (name: string): boolean => name === 'always' || status[name as keyof Status];
  const functions = new Map(
    STATUS_FUNCTIONS.map((name) => [
      name,
      { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value(name)) },
    ]),
  );
  const dict = JSON.parse(JSON.stringify(ctx), data.reviver) as data.Dictionary;
  return new Evaluator(ast, dict, functions).evaluate();
}

const OK: Status = { success: true, failure: false, cancelled: false };

/** A `with:`/`env:` value with every `${{ … }}` replaced by its value. */
export function interpolate(value: unknown, ctx: Record<string, unknown>): string {
  if (typeof value !== 'string') return value === undefined || value === null ? '' : String(value);
  return value.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => evaluate(e, ctx, OK).coerceString());
}

/** An `if:` as the runner reads it: an implicit success() unless the condition calls a status function. */
export function condition(value: unknown, ctx: Record<string, unknown>, status: Status): boolean {
  if (value === undefined) return status.success;
  if (typeof value === 'boolean') return value && status.success;
  const expr = String(value)
    .trim()
    .replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  const withStatus = /\b(success|failure|cancelled|always)\(\)/.test(expr) ? expr : `success() && (${expr})`;
  return truthy(evaluate(withStatus, ctx, status));
}

const tail = (text: string, lines = 25): string => text.trim().split('\n').slice(-lines).join('\n');

export class WorkflowReplay {
  private nextRun: number;
  private cancelled = false;

  constructor(private readonly o: ReplayOptions) {
    this.nextRun = o.firstRunId ?? 9000;
    mkdirSync(o.work, { recursive: true });
  }

  newRunId(): number {
    return this.nextRun++;
  }

  workflow(file: string): Workflow {
    return YAML.parse(readFileSync(join(this.o.workflows, file), 'utf8')) as Workflow;
  }

  /** Runs every job of a workflow file for an event; `stub` answers jobs that are not replayed (e.g. the test suite). */
  async run(
    file: string,
    event: ReplayEvent,
    opts: { stub?: Record<string, Outcome>; runId?: number; inputs?: Record<string, unknown>; called?: boolean } = {},
  ): Promise<WorkflowResult> {
    const runId = opts.runId ?? this.newRunId();
    const wf = this.workflow(file);
    const jobs: Record<string, JobResult> = {};
    const needsOf = (j: Job): string[] => (j.needs === undefined ? [] : ([] as string[]).concat(j.needs));
    const pending = Object.keys(wf.jobs);
    // A called workflow is part of its caller's run.
    if (!opts.called) this.cancelled = false;
    while (pending.length) {
      const i = pending.findIndex((id) => needsOf(wf.jobs[id]).every((n) => jobs[n]));
      if (i < 0) throw new Error(`${file}: jobs ${pending.join(', ')} need jobs that never run`);
      const [id] = pending.splice(i, 1);
      const job = wf.jobs[id];
      const needs = Object.fromEntries(
        needsOf(job).map((n) => [n, { result: jobs[n].result, outputs: jobs[n].outputs }]),
      );
      const results = needsOf(job).map((n) => jobs[n].result);
      const status: Status = {
        success: !this.cancelled && results.every((r) => r === 'success'),
        failure: results.some((r) => r === 'failure'),
        cancelled: this.cancelled,
      };
      const inputs = opts.inputs ?? event.inputs ?? {};
      const ctx = { github: this.githubContext(event, runId), needs, vars: this.o.vars ?? {}, inputs };
      const label = `${file.replace(/\.ya?ml$/, '')}/${id}`;
      const skipped = (result: Outcome): JobResult => ({
        label,
        id,
        name: job.name ?? id,
        steps: [],
        seconds: 0,
        result,
        outputs: {},
        environment: null,
      });
      if (!condition(job.if, ctx, status)) {
        jobs[id] = skipped(this.cancelled ? 'cancelled' : 'skipped');
        continue;
      }
      if (opts.stub?.[id]) {
        jobs[id] = skipped(opts.stub[id]);
        continue;
      }
      if (job.uses) {
        if (!job.uses.startsWith('./.github/workflows/')) throw new Error(`${label}: cannot replay ${job.uses}`);
        const called = await this.run(basename(job.uses), event, {
          runId,
          called: true,
          stub: opts.stub,
          inputs: Object.fromEntries(Object.entries(job.with ?? {}).map(([k, v]) => [k, interpolate(v, ctx)])),
        });
        for (const [k, v] of Object.entries(called.jobs)) jobs[`${id}/${k}`] = v;
        jobs[id] = { ...skipped(called.conclusion), name: job.name ?? id };
        if (called.conclusion === 'cancelled') this.cancelled = true;
        continue;
      }
      const env = job.environment;
      const environment =
        env === undefined ? null : interpolate(typeof env === 'object' ? (env as { name: string }).name : env, ctx);
      if (this.o.beforeJob?.({ workflow: file, id, runId, environment }) === 'reject') {
        jobs[id] = { ...skipped('failure'), environment };
        continue;
      }
      jobs[id] = await this.job(label, id, job, runId, event, ctx, environment);
    }
    const all = Object.values(jobs).map((j) => j.result);
    const conclusion = this.cancelled
      ? 'cancelled'
      : all.some((r) => r === 'failure' || r === 'cancelled')
        ? 'failure'
        : 'success';
    return { runId, jobs, conclusion };
  }

  private githubContext(event: ReplayEvent, runId: number): Record<string, unknown> {
    const [owner] = this.o.repository.split('/');
    return {
      ...event,
      ref_name: event.ref.replace(/^refs\/(heads|tags)\//, ''),
      repository: this.o.repository,
      repository_owner: owner,
      token: 'ghs_replay',
      server_url: 'https://github.test',
      api_url: this.o.gh.url,
      run_id: String(runId),
      actor: event.actor ?? 'octocat',
    };
  }

  private artifactDir(runId: number, name: string): string {
    return join(this.o.work, 'artifacts', String(runId), name);
  }

  /** Runs one job's steps in a fresh workspace. */
  async job(
    label: string,
    jobId: string,
    job: Job,
    runId: number,
    event: ReplayEvent,
    jobCtx: Record<string, unknown>,
    environment: string | null,
  ): Promise<JobResult> {
    const dir = mkdtempSync(join(this.o.work, `${jobId}-`));
    const workspace = join(dir, 'workspace');
    const temp = join(dir, 'temp');
    mkdirSync(temp);
    const eventPath = join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(event.event));
    const github: Record<string, unknown> = { ...(jobCtx.github as Record<string, unknown>), workspace };
    const steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }> = {};
    const ctx = (): Record<string, unknown> => ({
      ...jobCtx,
      github,
      steps,
      runner: { temp, os: 'Linux', arch: 'X64' },
      env: {},
      secrets: { GITHUB_TOKEN: 'ghs_replay', ...this.o.secrets },
      matrix: {},
      job: {},
      strategy: {},
    });
    const baseEnv: Record<string, string> = {
      // The machine's environment (proxy and CA settings included), as a runner has its own,
      // without what this process's npm and GitHub variables would add.
      ...(Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !/^(npm_|GITHUB_|INPUT_|RUNNER_|VITEST|REGISTRY_)/i.test(k)),
      ) as Record<string, string>),
      PATH: `${dirname(this.o.node)}:${process.env.PATH}`,
      HOME: process.env.HOME ?? dir,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: event.event_name,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: this.o.repository,
      GITHUB_REPOSITORY_OWNER: this.o.repository.split('/')[0],
      GITHUB_SHA: event.sha,
      GITHUB_REF: event.ref,
      GITHUB_REF_NAME: String(github.ref_name),
      GITHUB_BASE_REF: event.base_ref ?? '',
      GITHUB_HEAD_REF: event.head_ref ?? '',
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_ACTOR: String(github.actor),
      GITHUB_SERVER_URL: 'https://github.test',
      GITHUB_API_URL: this.o.gh.url,
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: temp,
      NO_PROXY: '127.0.0.1,localhost',
      ...this.o.env,
    };
    const results: StepResult[] = [];
    let failed = false;
    const started = performance.now();
    for (const [i, step] of (job.steps ?? []).entries()) {
      const name = step.name ?? step.uses?.split('@')[0] ?? step.run?.split('\n')[0] ?? `step ${i + 1}`;
      const status: Status = { success: !failed && !this.cancelled, failure: failed, cancelled: this.cancelled };
      if (!condition(step.if, ctx(), status)) {
        results.push({ name, seconds: 0, outcome: 'skipped' });
        if (step.id) steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        continue;
      }
      const outputFile = join(dir, `output-${i}`);
      const summaryFile = join(dir, `summary-${i}`);
      const logFile = join(dir, `log-${i}`);
      writeFileSync(outputFile, '');
      writeFileSync(summaryFile, '');
      const env: Record<string, string> = { ...baseEnv, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile };
      for (const [k, v] of Object.entries({ ...job.env, ...step.env })) env[k] = interpolate(v, ctx());
      const t0 = performance.now();
      let outcome = 'success' as Outcome;
      let note: string | undefined;
      let outputs: Record<string, string> = {};
      const w = (k: string): string => interpolate(step.with?.[k], ctx());
      const exec = async (cmd: string, args: string[]): Promise<void> => {
        outcome = await this.exec(cmd, args, workspace, env, logFile, () => this.o.cancel?.(label, name) ?? false);
        outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
      };
      try {
        if (step.uses?.startsWith('actions/checkout@')) {
          await this.checkout(
            workspace,
            event,
            w('ref'),
            step.with?.['fetch-depth'] === undefined ? '1' : w('fetch-depth'),
            w('sparse-checkout'),
          );
        } else if (step.uses?.startsWith('actions/setup-node@')) {
          note = 'Node already installed';
        } else if (step.uses?.startsWith('./')) {
          const actionDir = join(workspace, step.uses);
          const meta = YAML.parse(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as {
            inputs?: Record<string, { default?: string }>;
          };
          // The runner passes every input, defaults included.
          for (const [input, spec] of Object.entries(meta.inputs ?? {})) {
            const given = step.with && Object.hasOwn(step.with, input) ? step.with[input] : spec.default;
            env[`INPUT_${input.replace(/ /g, '_').toUpperCase()}`] = interpolate(given, ctx());
          }
          await exec(this.o.node, [join(actionDir, 'dist', 'index.js')]);
        } else if (step.uses?.startsWith('actions/upload-artifact@')) {
          // A folder uploads its contents, a file itself; downloading puts them under `path`.
          const from = resolve(workspace, w('path'));
          const to = this.artifactDir(runId, w('name'));
          if (!existsSync(from)) outcome = w('if-no-files-found') === 'ignore' ? 'success' : 'failure';
          else if (statSync(from).isDirectory()) cpSync(from, to, { recursive: true });
          else cpSync(from, join(to, basename(from)));
        } else if (step.uses?.startsWith('actions/download-artifact@')) {
          const store = join(this.o.work, 'artifacts', String(Number(w('run-id') || runId)));
          const pattern = w('pattern');
          const names = existsSync(store)
            ? readdirSync(store).filter((n) =>
                pattern ? new RegExp(`^${pattern.replace(/\*/g, '.*')}$`).test(n) : n === w('name'),
              )
            : [];
          outcome = names.length > 0 ? 'success' : 'failure';
          for (const n of names) cpSync(join(store, n), resolve(workspace, w('path')), { recursive: true });
        } else if (step.run && /\bgh\b/.test(step.run) && this.o.ghStep) {
          note = 'GitHub API lookup, answered by the replay';
          outputs = this.o.ghStep(step);
        } else if (step.run) {
          const script = this.o.script ? this.o.script(step.run) : step.run;
          await exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script]);
        } else {
          throw new Error(`the replay cannot run step "${name}" (${step.uses})`);
        }
      } catch (e) {
        if ((e as Error).message.startsWith('the replay cannot')) throw e;
        outcome = 'failure';
        note = (e as Error).message.split('\n')[0];
      }
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : undefined;
      if (outcome === 'failure' && log) note = `${note ? `${note}\n` : ''}${tail(log)}`;
      const tolerated = outcome === 'failure' && step['continue-on-error'] === true;
      if (step.id)
        steps[step.id] = { outputs, outcome, conclusion: outcome === 'success' || tolerated ? 'success' : outcome };
      results.push({
        name,
        seconds: (performance.now() - t0) / 1000,
        outcome,
        note: tolerated ? `${note ?? 'failed'} (continue-on-error)` : note,
        log,
      });
      if (outcome === 'cancelled') this.cancelled = true;
      else if (outcome === 'failure' && !tolerated) failed = true;
    }
    const outputs = Object.fromEntries(
      Object.entries(job.outputs ?? {}).map(([k, v]) => [k, interpolate(v, { ...ctx(), steps })]),
    );
    return {
      label,
      id: jobId,
      name: job.name ?? jobId,
      steps: results,
      seconds: (performance.now() - started) / 1000,
      result: this.cancelled ? 'cancelled' : failed ? 'failure' : 'success',
      outputs,
      environment,
    };
  }

  /**
   * actions/checkout: the branch `ref`, else the event's commit — on the event's branch when
   * the event is a branch's (as actions/checkout leaves it), detached otherwise (a pull request).
   */
  private async checkout(workspace: string, event: ReplayEvent, ref: string, depth: string, sparse: string) {
    mkdirSync(workspace, { recursive: true });
    const url = /^[a-z]+:\/\//.test(this.o.remote) ? this.o.remote : `file://${this.o.remote}`;
    await gitOk(['init', '-q', '-b', 'replay', workspace], workspace);
    await gitOk(['remote', 'add', 'origin', url], workspace);
    if (sparse) await gitOk(['sparse-checkout', 'set', sparse], workspace);
    const branch = ref
      ? ref.replace(/^refs\/heads\//, '')
      : event.ref.startsWith('refs/heads/')
        ? event.ref.slice('refs/heads/'.length)
        : '';
    const what = ref ? `refs/heads/${branch}` : event.sha;
    await gitOk(
      [
        'fetch',
        '--quiet',
        '--no-tags',
        // actions/checkout fetches no file contents beyond the sparse cone (a blob:none partial clone).
        ...(sparse ? ['--filter=blob:none'] : []),
        '--upload-pack',
        'git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true upload-pack',
        ...(depth === '0' ? [] : ['--depth', depth]),
        'origin',
        branch ? `+${what}:refs/remotes/origin/${branch}` : what,
      ],
      workspace,
    );
    if (branch) await gitOk(['checkout', '-q', '-B', branch, `refs/remotes/origin/${branch}`], workspace);
    else await gitOk(['checkout', '-q', '--detach', event.sha], workspace);
  }

  /** Runs a step's process in its own process group, asynchronously (the REST double in this process keeps answering). */
  private async exec(
    cmd: string,
    args: string[],
    cwd: string,
    env: Record<string, string>,
    log: string,
    cancel: () => boolean,
  ): Promise<Outcome> {
    const out = openSync(log, 'w');
    try {
      const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, out], detached: true });
      let killed = false;
      const poll = setInterval(() => {
        if (killed || !cancel()) return;
        killed = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 50);
      return await new Promise<Outcome>((ok) => {
        child.on('error', () => ok('failure'));
        child.on('close', (code) => ok(killed ? 'cancelled' : code === 0 ? 'success' : 'failure'));
      }).finally(() => clearInterval(poll));
    } finally {
      closeSync(out);
    }
  }
}

/** A job's results as lines a person reads (step times, failures with the end of their log). */
export function jobTable(job: JobResult): string {
  const lines = [`${job.label} — ${job.name}: ${job.seconds.toFixed(1)} s (${job.result})`];
  for (const s of job.steps) {
    const time = s.outcome === 'skipped' ? '   skipped' : `${s.seconds.toFixed(1).padStart(8)} s`;
    lines.push(`  ${time}  ${s.name}${s.outcome === 'failure' ? ' [failed]' : ''}${s.note ? ` (${s.note})` : ''}`);
  }
  return lines.join('\n');
}
