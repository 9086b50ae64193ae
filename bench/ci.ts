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
 * The replay (test/helpers/workflow-replay.ts, shared with the release loop test) evaluates
 * `if:`, `with:` and `env:` expressions with GitHub's own expression library
 * (@actions/expressions); the pr-report action talks to the REST double of the tests. It prints
 * every job's step times and the critical paths: push → first comment (train job + comment
 * job) and push → complete comment (slowest checks job + comment job). GitHub's queueing,
 * runner start-up and workflow_run dispatch are not in these figures.
 *
 *   npm run bench:ci [-- --keep]     (--keep leaves the work folder for inspection)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitOk } from '../pipeline/gitops/git/run.ts';
import { GitHubDouble } from '../test/actions/github-double.ts';
import { WorkflowReplay, jobTable, type JobResult, type ReplayEvent } from '../test/helpers/workflow-replay.ts';

const ROOT = join(import.meta.dirname, '..');
const REPOSITORY = 'acme/credit-model';
const PR = 7;

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
  // What GitHub would answer about the commit's runs (the comment job's gh lookup).
  const runs = new Map<string, { id: number; status: 'in_progress' | 'completed' }>();
  const replay = new WorkflowReplay({
    work,
    node: node24,
    gh,
    repository: REPOSITORY,
    remote: `file://${ROOT}`,
    workflows: join(ROOT, '.github', 'workflows'),
    ghStep: () => {
      const outputs: Record<string, string> = {};
      for (const [wf, r] of runs) {
        outputs[`${wf}-id`] = String(r.id);
        outputs[`${wf}-status`] = r.status;
      }
      return outputs;
    },
  });
  const pullRequest: ReplayEvent = {
    event_name: 'pull_request',
    ref: `refs/pull/${PR}/merge`,
    sha,
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
    if (j.result === 'skipped') return;
    jobs.push(j);
    process.stdout.write(`${jobTable(j)}\n\n`);
  };

  const checks = replay.workflow('checks.yml');
  const ciId = replay.newRunId();
  const checksId = replay.newRunId();
  runs.set('ci', { id: ciId, status: 'in_progress' });
  runs.set('checks', { id: checksId, status: 'in_progress' });
  // GitHub lists a run's jobs by their display names.
  const checksJobs = Object.entries(checks.jobs).map(([id, j]) => ({
    name: j.name ?? id,
    status: 'in_progress',
    conclusion: null as string | null,
  }));
  const syncChecks = (): void => {
    const status = runs.get('checks')!.status;
    gh.runs.set(checksId, {
      id: checksId,
      head_sha: sha,
      status,
      conclusion: status === 'completed' ? 'success' : null,
      html_url: `https://github.test/${REPOSITORY}/actions/runs/${checksId}`,
      jobs: checksJobs,
    });
  };
  // A pull request runs ci.yml's jobs whose `if:` holds (train), and checks.yml by itself.
  const ci = await replay.run('ci.yml', pullRequest, { runId: ciId });
  Object.values(ci.jobs).forEach(report);
  runs.get('ci')!.status = 'completed';
  const workflowRun = (id: number): ReplayEvent => ({
    event_name: 'workflow_run',
    ref: 'refs/heads/main',
    sha,
    event: {
      workflow_run: {
        id,
        head_sha: sha,
        event: 'pull_request',
        conclusion: 'success',
        head_branch: branch,
        head_repository: { full_name: REPOSITORY },
      },
    },
  });
  syncChecks();
  const first = (await replay.run('pr-comment.yml', workflowRun(ciId))).jobs.comment;
  report({ ...first, label: 'pr-comment after ci' });
  const firstBody = gh.comments.get(PR)?.[0]?.body ?? '';

  const checked = await replay.run('checks.yml', pullRequest, { runId: checksId });
  for (const j of Object.values(checked.jobs)) {
    report(j);
    Object.assign(
      checksJobs.find((x) => x.name === j.name)!,
      { status: 'completed', conclusion: j.result },
    );
  }
  runs.get('checks')!.status = 'completed';
  syncChecks();
  const second = (await replay.run('pr-comment.yml', workflowRun(checksId))).jobs.comment;
  report({ ...second, label: 'pr-comment after checks' });
  await gh.close();

  const train = jobs.find((j) => j.label === 'ci/train')!;
  const slowest = jobs.filter((j) => j.label.startsWith('checks/')).sort((a, b) => b.seconds - a.seconds)[0];
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
