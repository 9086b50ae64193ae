/**
 * `npm run bench:ci`: what a pull request waits for, replayed on this machine. Each job that
 * a pull_request push starts (ci.yml's train, checks.yml's typecheck, test and lint) and
 * the pr-comment.yml job after each of the two workflows is replayed step by step from the
 * workflow files, one job at a time (each alone on the machine's 2 cores, as on its own
 * 2-core runner), each in a fresh clone of the committed HEAD:
 *
 *   actions/checkout          git clone of the repository (depth and sparse checkout as written)
 *   actions/setup-node        nothing: Node 24 (scripts/node24.sh) is first on PATH, npm's cache is
 *                             warm as `cache: npm` restores it (restoring takes GitHub a few seconds)
 *   run:                      bash -eo pipefail with the step's env, `npm ci` included
 *   ./actions/<name>          node24 actions/<name>/dist/index.js with INPUT_* and GITHUB_* set
 *   upload/download-artifact  a copy into / out of a local artifact store
 *   a run: step calling `gh`  answered by the replay (it asks GitHub which runs the commit has)
 *
 * `if:`, `with:` and `env:` expressions are evaluated with GitHub's own expression library
 * (@actions/expressions); the pr-report action talks to the REST double of the tests. It prints
 * every job's step times and the critical paths: push → first comment (train job + comment
 * job) and push → complete comment (slowest checks job + comment job). GitHub's queueing,
 * runner start-up and workflow_run dispatch are not in these figures.
 *
 *   npm run bench:ci [-- --keep]     (--keep leaves the work folder for inspection)
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  openSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { truthy } from '@actions/expressions/result';
import YAML from 'yaml';
import { gitOk } from '../pipeline/gitops/git/run.ts';
import { GitHubDouble } from '../test/actions/github-double.ts';
import { parseOutputFile } from '../test/actions/run-action.ts';

const ROOT = join(import.meta.dirname, '..');
const REPOSITORY = 'acme/credit-model';
const PR = 7;

type Step = {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: unknown;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'continue-on-error'?: boolean;
};
type Job = { name?: string; if?: unknown; uses?: string; steps?: Step[] };
type Workflow = { jobs: Record<string, Job> };

interface StepResult {
  name: string;
  seconds: number;
  outcome: 'success' | 'failure' | 'skipped';
  note?: string;
}
interface JobResult {
  label: string;
  name: string;
  steps: StepResult[];
  seconds: number;
  conclusion: 'success' | 'failure';
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

/** Evaluates one expression (without the `${{ }}`) as the runner does. */
function evaluate(expr: string, ctx: Record<string, unknown>, jobFailed: boolean): data.ExpressionData {
  const ast = new Parser(
    new Lexer(expr).lex().tokens,
    CONTEXTS,
    STATUS_FUNCTIONS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  ).parse();
  const status = (name: string): boolean =>
    name === 'always' || (name === 'success' && !jobFailed) || (name === 'failure' && jobFailed);
  const functions = new Map(
    STATUS_FUNCTIONS.map((name) => [
      name,
      { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(status(name)) },
    ]),
  );
  const dict = JSON.parse(JSON.stringify(ctx), data.reviver) as data.Dictionary;
  return new Evaluator(ast, dict, functions).evaluate();
}

/** A `with:`/`env:` value with every `${{ … }}` replaced by its value. */
function interpolate(value: unknown, ctx: Record<string, unknown>): string {
  if (typeof value !== 'string') return value === undefined || value === null ? '' : String(value);
  return value.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => evaluate(e, ctx, false).coerceString());
}

/** An `if:` as the runner reads it: an implicit success() unless the condition calls a status function. */
function condition(value: unknown, ctx: Record<string, unknown>, jobFailed: boolean): boolean {
  if (value === undefined) return !jobFailed;
  if (typeof value === 'boolean') return value && !jobFailed;
  const expr = String(value)
    .trim()
    .replace(/^\$\{\{([\s\S]*)\}\}$/, '$1');
  const withStatus = /\b(success|failure|cancelled|always)\(\)/.test(expr) ? expr : `success() && (${expr})`;
  return truthy(evaluate(withStatus, ctx, jobFailed));
}

interface RunState {
  id: number;
  status: 'queued' | 'in_progress' | 'completed';
  jobs: { name: string; status: string; conclusion: string | null }[];
}

class Replay {
  private nextRun = 9000;
  readonly runs = new Map<string, RunState>();

  constructor(
    private readonly work: string,
    private readonly node24: string,
    private readonly gh: GitHubDouble,
    private readonly head: { sha: string; branch: string },
  ) {}

  newRun(workflow: string, jobs: string[]): RunState {
    const run: RunState = {
      id: this.nextRun++,
      status: 'in_progress',
      jobs: jobs.map((name) => ({ name, status: 'in_progress', conclusion: null })),
    };
    this.runs.set(workflow, run);
    return run;
  }

  private artifactDir(runId: number, name: string): string {
    return join(this.work, 'artifacts', String(runId), name);
  }

  async job(label: string, workflow: Workflow, jobId: string, run: RunState, event: Record<string, unknown>) {
    const job = workflow.jobs[jobId];
    const dir = mkdtempSync(join(this.work, `${jobId}-`));
    const workspace = join(dir, 'workspace');
    const temp = join(dir, 'temp');
    mkdirSync(temp);
    const eventPath = join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(event.event));
    const github = {
      ...event,
      repository: REPOSITORY,
      repository_owner: 'acme',
      sha: this.head.sha,
      token: 'ghs_bench',
      server_url: 'https://github.test',
      api_url: this.gh.url,
      run_id: String(run.id),
      actor: 'octocat',
      workspace,
    };
    const steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }> = {};
    const ctx = (): Record<string, unknown> => ({
      github,
      inputs: {},
      steps,
      runner: { temp, os: 'Linux', arch: 'X64' },
      env: {},
      needs: {},
      secrets: { GITHUB_TOKEN: 'ghs_bench' },
      matrix: {},
      vars: {},
    });
    const baseEnv = {
      // The machine's environment (proxy and CA settings included), as a runner has its own,
      // without what this process's npm and GitHub variables would add.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|GITHUB_|INPUT_|RUNNER_)/i.test(k))),
      PATH: `${dirname(this.node24)}:${process.env.PATH}`,
      HOME: process.env.HOME ?? dir,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: String(event.event_name),
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_REPOSITORY_OWNER: 'acme',
      GITHUB_SHA: this.head.sha,
      GITHUB_REF: String(event.ref ?? ''),
      GITHUB_BASE_REF: String(event.base_ref ?? ''),
      GITHUB_HEAD_REF: String(event.head_ref ?? ''),
      GITHUB_RUN_ID: String(run.id),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_ACTOR: 'octocat',
      GITHUB_SERVER_URL: 'https://github.test',
      GITHUB_API_URL: this.gh.url,
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: temp,
      NO_PROXY: '127.0.0.1,localhost',
    };
    const results: StepResult[] = [];
    let failed = false;
    const started = performance.now();
    for (const [i, step] of (job.steps ?? []).entries()) {
      const name = step.name ?? step.uses?.split('@')[0] ?? step.run?.split('\n')[0] ?? `step ${i + 1}`;
      if (!condition(step.if, ctx(), failed)) {
        results.push({ name, seconds: 0, outcome: 'skipped' });
        if (step.id) steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        continue;
      }
      const outputFile = join(dir, `output-${i}`);
      const summaryFile = join(dir, `summary-${i}`);
      writeFileSync(outputFile, '');
      writeFileSync(summaryFile, '');
      const env: Record<string, string> = { ...baseEnv, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile };
      for (const [k, v] of Object.entries(step.env ?? {})) env[k] = interpolate(v, ctx());
      const t0 = performance.now();
      let ok = true;
      let note: string | undefined;
      let outputs: Record<string, string> = {};
      const w = (k: string): string => interpolate(step.with?.[k], ctx());
      try {
        if (step.uses?.startsWith('actions/checkout@')) {
          const depth = step.with?.['fetch-depth'] === undefined ? '1' : w('fetch-depth');
          const sparse = w('sparse-checkout');
          await gitOk(
            [
              'clone',
              '--quiet',
              '--no-local',
              ...(depth === '0' ? [] : ['--depth', depth]),
              // actions/checkout fetches no file contents beyond the sparse cone (a blob:none partial clone).
              ...(sparse
                ? ['--sparse', '--filter=blob:none', '--upload-pack', 'git -c uploadpack.allowFilter=true upload-pack']
                : []),
              '--branch',
              this.head.branch,
              `file://${ROOT}`,
              workspace,
            ],
            ROOT,
          );
          if (sparse) await gitOk(['sparse-checkout', 'set', sparse], workspace);
        } else if (step.uses?.startsWith('actions/setup-node@')) {
          note = 'Node 24 already installed; npm cache warm';
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
          ok = await this.exec(
            this.node24,
            [join(actionDir, 'dist', 'index.js')],
            workspace,
            env,
            join(dir, `log-${i}`),
          );
          outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
        } else if (step.uses?.startsWith('actions/upload-artifact@')) {
          // A folder uploads its contents, a file itself; downloading puts them under `path`.
          const from = resolve(workspace, w('path'));
          const to = this.artifactDir(run.id, w('name'));
          if (!existsSync(from)) ok = w('if-no-files-found') === 'ignore';
          else if (statSync(from).isDirectory()) cpSync(from, to, { recursive: true });
          else cpSync(from, join(to, basename(from)));
        } else if (step.uses?.startsWith('actions/download-artifact@')) {
          const runId = Number(w('run-id') || run.id);
          const store = join(this.work, 'artifacts', String(runId));
          const pattern = w('pattern');
          const names = existsSync(store)
            ? readdirSync(store).filter((n) =>
                pattern ? new RegExp(`^${pattern.replace(/\*/g, '.*')}$`).test(n) : n === w('name'),
              )
            : [];
          ok = names.length > 0;
          for (const n of names) cpSync(join(store, n), resolve(workspace, w('path')), { recursive: true });
        } else if (step.run && /\bgh\b/.test(step.run)) {
          // It asks GitHub for the commit's runs; the replay knows them.
          note = 'GitHub API lookup, answered by the replay';
          for (const [wf, r] of this.runs) outputs[`${wf}-id`] = String(r.id);
          for (const [wf, r] of this.runs) outputs[`${wf}-status`] = r.status;
        } else if (step.run) {
          ok = await this.exec(
            'bash',
            ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run],
            workspace,
            env,
            join(dir, `log-${i}`),
          );
        } else {
          throw new Error(`bench:ci cannot replay step "${name}" (${step.uses})`);
        }
      } catch (e) {
        if ((e as Error).message.startsWith('bench:ci cannot')) throw e;
        ok = false;
        note = (e as Error).message.split('\n')[0];
      }
      const seconds = (performance.now() - t0) / 1000;
      const outcome = ok ? 'success' : 'failure';
      const tolerated = !ok && step['continue-on-error'] === true;
      if (step.id) steps[step.id] = { outputs, outcome, conclusion: ok || tolerated ? 'success' : 'failure' };
      results.push({ name, seconds, outcome, note: tolerated ? `${note ?? 'failed'} (continue-on-error)` : note });
      if (!ok && !tolerated) failed = true;
    }
    const result: JobResult = {
      label,
      name: job.name ?? jobId,
      steps: results,
      seconds: (performance.now() - started) / 1000,
      conclusion: failed ? 'failure' : 'success',
    };
    return result;
  }

  /** Runs a step's process; asynchronously, so the REST double in this process keeps answering. */
  private async exec(
    cmd: string,
    args: string[],
    cwd: string,
    env: Record<string, string>,
    log: string,
  ): Promise<boolean> {
    const out = openSync(log, 'w');
    try {
      const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, out] });
      return await new Promise<boolean>((ok) => {
        child.on('error', () => ok(false));
        child.on('close', (code) => ok(code === 0));
      });
    } finally {
      closeSync(out);
    }
  }
}

function table(job: JobResult): string {
  const lines = [`${job.label} — ${job.name}: ${job.seconds.toFixed(1)} s (${job.conclusion})`];
  for (const s of job.steps) {
    const time = s.outcome === 'skipped' ? '   skipped' : `${s.seconds.toFixed(1).padStart(8)} s`;
    lines.push(`  ${time}  ${s.name}${s.outcome === 'failure' ? ' [failed]' : ''}${s.note ? ` (${s.note})` : ''}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const sha = await gitOk(['rev-parse', 'HEAD'], ROOT);
  const branch = await gitOk(['rev-parse', '--abbrev-ref', 'HEAD'], ROOT);
  if (await gitOk(['status', '--porcelain', '--untracked-files=no'], ROOT))
    process.stderr.write('bench:ci replays the committed HEAD; uncommitted changes are not in it\n');
  const node24 = execFileSync('bash', [join(ROOT, 'scripts', 'node24.sh')], { encoding: 'utf8' }).trim();
  const work = mkdtempSync(join(tmpdir(), 'bench-ci-'));
  const gh = new GitHubDouble({ owner: 'acme', repo: 'credit-model' });
  await gh.start();
  gh.addPull(PR, sha);
  const replay = new Replay(work, node24, gh, { sha, branch });
  const wf = (f: string): Workflow =>
    YAML.parse(readFileSync(join(ROOT, '.github', 'workflows', f), 'utf8')) as Workflow;
  const pullRequest = {
    event_name: 'pull_request',
    ref: `refs/pull/${PR}/merge`,
    base_ref: 'main',
    head_ref: branch,
    event: { number: PR, pull_request: { number: PR, head: { sha, ref: branch }, base: { ref: 'main' } } },
  };
  process.stdout.write(
    `bench:ci: ${sha.slice(0, 7)} on ${cpus().length} cores (${cpus()[0]?.model?.trim()}), load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, Node ${execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim()}\n\n`,
  );
  const jobs: JobResult[] = [];
  const report = (j: JobResult): void => {
    jobs.push(j);
    process.stdout.write(`${table(j)}\n\n`);
  };

  const ci = wf('ci.yml');
  const checks = wf('checks.yml');
  const comment = wf('pr-comment.yml');
  const ciRun = replay.newRun('ci', ['train']);
  // GitHub lists a run's jobs by their display names.
  const checksRun = replay.newRun(
    'checks',
    Object.entries(checks.jobs).map(([id, j]) => j.name ?? id),
  );
  const syncChecks = (): void => {
    gh.runs.set(checksRun.id, {
      id: checksRun.id,
      head_sha: sha,
      status: checksRun.status,
      conclusion: checksRun.status === 'completed' ? 'success' : null,
      html_url: `https://github.test/${REPOSITORY}/actions/runs/${checksRun.id}`,
      jobs: checksRun.jobs,
    });
  };
  // A pull request runs ci.yml's jobs whose `if:` holds (train) and checks.yml's three jobs.
  for (const [id, job] of Object.entries(ci.jobs)) {
    if (job.uses || !condition(job.if, { github: pullRequest }, false)) continue;
    report(await replay.job('ci', ci, id, ciRun, pullRequest));
  }
  ciRun.status = 'completed';
  const workflowRun = (run: RunState) => ({
    event_name: 'workflow_run',
    ref: 'refs/heads/main',
    event: {
      workflow_run: {
        id: run.id,
        head_sha: sha,
        event: 'pull_request',
        conclusion: 'success',
        head_branch: branch,
        head_repository: { full_name: REPOSITORY },
      },
    },
  });
  syncChecks();
  const first = await replay.job(
    'pr-comment after ci',
    comment,
    'comment',
    replay.newRun('pr-comment', ['comment']),
    workflowRun(ciRun),
  );
  replay.runs.delete('pr-comment');
  report(first);
  const firstBody = gh.comments.get(PR)?.[0]?.body ?? '';

  for (const [id, job] of Object.entries(checks.jobs)) {
    const j = await replay.job('checks', checks, id, checksRun, pullRequest);
    report(j);
    const state = checksRun.jobs.find((x) => x.name === (job.name ?? id))!;
    state.status = 'completed';
    state.conclusion = j.conclusion;
  }
  checksRun.status = 'completed';
  syncChecks();
  const second = await replay.job(
    'pr-comment after checks',
    comment,
    'comment',
    replay.newRun('pr-comment', ['comment']),
    workflowRun(checksRun),
  );
  report(second);
  await gh.close();

  const train = jobs.find((j) => j.label === 'ci')!;
  const slowest = jobs.filter((j) => j.label === 'checks').sort((a, b) => b.seconds - a.seconds)[0];
  const trainSteps = train.steps.filter((s) => /train|report/i.test(s.name)).reduce((t, s) => t + s.seconds, 0);
  const posted = gh.comments.get(PR) ?? [];
  process.stdout.write(
    [
      'critical path (GitHub queueing, runner start-up and workflow_run dispatch not included):',
      `  push → first comment:    ${(train.seconds + first.seconds).toFixed(1)} s = train job ${train.seconds.toFixed(1)} s + comment job ${first.seconds.toFixed(1)} s` +
        ` (training and report steps ${trainSteps.toFixed(1)} s)`,
      `  push → complete comment: ${(slowest.seconds + second.seconds).toFixed(1)} s = ${slowest.name} ${slowest.seconds.toFixed(1)} s + comment job ${second.seconds.toFixed(1)} s`,
      `  comment: ${posted.length} on the pull request; first said checks were running: ${firstBody.includes('still running')}; ` +
        `updated in place: ${posted.length === 1 && gh.requestsMatching('PATCH', '/issues/comments/').length === 1}`,
      `  load at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}${keep ? `; work folder ${work}` : ''}`,
      '',
    ].join('\n'),
  );
  if (!keep) rmSync(work, { recursive: true, force: true });
}

await main();
