/**
 * End to end: a git remote on disk, fresh clones as the runner's checkout, the retrain
 * action's entry point run as a child process the way the runner runs it, and a GitHub
 * REST double on 127.0.0.1 that records every request.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ROOT } from '../helpers/cli.ts';

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | null;
}

/** The slice of the pulls API the action uses; open pull requests live in memory. */
function githubDouble(): Promise<{
  server: Server;
  url: string;
  requests: Recorded[];
  pulls: Map<number, { number: number; head: string; base: string; title: string; body: string }>;
}> {
  const requests: Recorded[] = [];
  const pulls = new Map<number, { number: number; head: string; base: string; title: string; body: string }>();
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
      requests.push({ method: req.method ?? '', path: u.pathname, query: Object.fromEntries(u.searchParams), body });
      const send = (status: number, data: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(data));
      };
      const view = (p: { number: number; head: string; base: string; title: string; body: string }): unknown => ({
        number: p.number,
        title: p.title,
        body: p.body,
        html_url: `https://github.example/acme/credit/pull/${p.number}`,
        head: { ref: p.head },
        base: { ref: p.base },
      });
      if (u.pathname === '/repos/acme/credit/pulls' && req.method === 'GET') {
        const head = u.searchParams.get('head');
        return send(200, [...pulls.values()].filter((p) => `acme:${p.head}` === head).map(view));
      }
      if (u.pathname === '/repos/acme/credit/pulls' && req.method === 'POST') {
        const p = {
          number: pulls.size + 1,
          head: String(body!.head),
          base: String(body!.base),
          title: String(body!.title),
          body: String(body!.body),
        };
        pulls.set(p.number, p);
        return send(201, view(p));
      }
      const m = /^\/repos\/acme\/credit\/pulls\/(\d+)$/.exec(u.pathname);
      if (m && req.method === 'PATCH' && pulls.has(Number(m[1]))) {
        const p = pulls.get(Number(m[1]))!;
        Object.assign(p, { title: String(body!.title), body: String(body!.body) });
        return send(200, view(p));
      }
      send(404, { message: 'Not Found' });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, pulls }),
    ),
  );
}

const GIT_ID = ['-c', 'user.name=Data Owner', '-c', 'user.email=data@example.com'];
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', [...GIT_ID, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** New labelled applications: rows of the embedded data with higher incomes and unique amounts. */
function newApplications(count: number, offset: number): string {
  const rows = parse(readFileSync(join(ROOT, 'data', 'credit_data.csv'), 'utf8'), { columns: true }) as Record<
    string,
    string
  >[];
  const out = rows.slice(offset, offset + count).map((r, i) => ({
    ...r,
    Amount: String(Number(r.Amount) + 3 + (i % 5)),
    Income: r.Income === '' ? '' : String(Math.round(Number(r.Income) * 1.7)),
  }));
  return stringify(out, { header: true });
}

describe('retrain.yml entry point', () => {
  let gh: Awaited<ReturnType<typeof githubDouble>>;
  let tmp: string;
  let origin: string;

  beforeAll(async () => {
    gh = await githubDouble();
    tmp = mkdtempSync(join(tmpdir(), 'mlops-retrain-'));
    origin = join(tmp, 'origin.git');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
    const seed = join(tmp, 'seed');
    execFileSync('git', ['clone', '-q', origin, seed], { stdio: 'ignore' });
    git(seed, 'checkout', '-q', '-b', 'main');
    mkdirSync(join(seed, 'data', 'incoming'), { recursive: true });
    cpSync(join(ROOT, 'data', 'credit_data.csv'), join(seed, 'data', 'credit_data.csv'));
    writeFileSync(join(seed, 'data', 'incoming', '.gitkeep'), '');
    writeFileSync(join(seed, '.gitignore'), 'runs/\n');
    writeFileSync(
      join(seed, 'mlops.config.json'),
      JSON.stringify({
        model_name: 'credit-default',
        data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
        engine: { name: 'logistic', params: {} },
        // A demanding gate, so a second retrain on a few more rows keeps the champion.
        promotion: { primary_metric: 'roc_auc', min_delta: 0.05, guardrails: [] },
      }),
    );
    git(seed, 'add', '.');
    git(seed, 'commit', '-qm', 'project');
    // A data owner drops a month of new applications into data/incoming/ on main.
    writeFileSync(join(seed, 'data', 'incoming', 'applications-2026-10.csv'), newApplications(400, 100));
    git(seed, 'add', '.');
    git(seed, 'commit', '-qm', 'data: October applications');
    git(seed, 'push', '-q', 'origin', 'main');
  });

  afterAll(() => new Promise<void>((resolve) => gh.server.close(() => resolve())));

  /** A fresh checkout of main, as actions/checkout makes one, and the action run on it. */
  async function runAction(name: string): Promise<{
    code: number;
    outputs: Record<string, string>;
    summary: string;
    stderr: string;
    stdout: string;
    clone: string;
  }> {
    const clone = join(tmp, name);
    execFileSync('git', ['clone', '-q', origin, clone], { stdio: 'ignore' });
    const outFile = join(tmp, `${name}.out`);
    const summaryFile = join(tmp, `${name}.md`);
    const eventFile = join(tmp, `${name}.event.json`);
    writeFileSync(outFile, '');
    writeFileSync(summaryFile, '');
    writeFileSync(eventFile, JSON.stringify({ schedule: '23 5 * * 1' }));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmp,
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: gh.url,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_REPOSITORY: 'acme/credit',
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_SHA: git(clone, 'rev-parse', 'HEAD'),
      GITHUB_RUN_ID: '4242',
      GITHUB_ACTOR: 'scheduler',
      GITHUB_OUTPUT: outFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      'INPUT_WORKING-DIRECTORY': clone,
      'INPUT_GITHUB-TOKEN': 'test-token',
      INPUT_PROMOTION: 'config',
      INPUT_BRANCH: '',
      INPUT_BASE: '',
      INPUT_REMOTE: 'origin',
      INPUT_FORCE: 'false',
      INPUT_ACTOR: '',
      INPUT_CONFIG: '',
    };
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'actions', 'retrain', 'dist', 'index.js')],
        { cwd: ROOT, env },
        (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        },
      );
    });
    return {
      code,
      outputs: parseOutputs(readFileSync(outFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
      stderr,
      stdout,
      clone,
    };
  }

  it('ingests, reports drift, promotes the first model and opens one pull request; a re-run updates it', async () => {
    const r = await runAction('run-1');
    expect(r.stdout + r.stderr).not.toMatch(/::error::/);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({
      status: 'promote',
      'data-changed': 'true',
      decision: 'promote',
      version: '1',
      'pull-request-number': '1',
    });
    const dataVersion = r.outputs['data-version'];
    expect(dataVersion).toMatch(/^[0-9a-f]{64}$/);

    // The REST double saw: find an open PR from the branch, then create it.
    const api = gh.requests.map((q) => `${q.method} ${q.path}`);
    expect(api).toEqual(['GET /repos/acme/credit/pulls', 'POST /repos/acme/credit/pulls']);
    expect(gh.requests[0].query).toMatchObject({ head: 'acme:mlops/retrain', base: 'main', state: 'open' });
    const created = gh.requests[1].body!;
    expect(created).toMatchObject({ head: 'mlops/retrain', base: 'main' });
    expect(String(created.title)).toMatch(/^Retrain credit-default v1 on data [0-9a-f]{12}$/);
    const body = String(created.body);
    expect(body).toContain(
      `Data set \`data/credit_data.csv\`: \`43c83a4630f1\` → \`${dataVersion.slice(0, 12)}\` (4454 → 4854 rows)`,
    );
    expect(body).toMatch(/\| applications-2026-10\.csv \| ingested \| +400 \| +400 \| +0 \| +0 \|/);
    expect(body).toContain('### Drift');
    expect(body).toMatch(/\| Income +\| numeric .*\| \*\*yes\*\* \|/);
    expect(body).toContain('### Promotion gate');
    expect(r.summary).toContain(body.split('\n')[0]);
    expect(r.summary).toContain('Opened pull request [#1](https://github.example/acme/credit/pull/1)');

    // The branch on the remote: data commit, then registry commit, on top of main.
    const log = git(origin, 'log', '--format=%an|%s', 'main..mlops/retrain').split('\n');
    expect(log).toEqual([
      'github-actions[bot]|registry: promote credit-default v1 (scheduled retraining)',
      'github-actions[bot]|data: ingest 400 rows from applications-2026-10.csv',
    ]);
    const files = git(origin, 'ls-tree', '-r', '--name-only', 'mlops/retrain').split('\n');
    expect(files).toContain('data/processed/applications-2026-10.csv');
    expect(files).not.toContain('data/incoming/applications-2026-10.csv');
    expect(files).toContain('models/registry.json');
    expect(files).toContain('reports/retrain.md');
    const ingestLog = git(origin, 'show', 'mlops/retrain:data/ingestion-log.jsonl');
    expect(JSON.parse(ingestLog)).toMatchObject({
      file: 'applications-2026-10.csv',
      rows_read: 400,
      accepted: 400,
      data: { version_after: dataVersion },
    });
    const registry = JSON.parse(git(origin, 'show', 'mlops/retrain:models/registry.json')) as {
      models: Record<string, { aliases: { champion: number }; versions: { lineage: { data: { sha256: string } } }[] }>;
    };
    expect(registry.models['credit-default'].aliases.champion).toBe(1);
    expect(registry.models['credit-default'].versions[0].lineage.data.sha256).toBe(dataVersion);

    // The next scheduled run, while the PR is still open, updates it in place.
    const again = await runAction('run-2');
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ status: 'promote', 'pull-request-number': '1', 'data-version': dataVersion });
    expect(gh.requests.slice(2).map((q) => `${q.method} ${q.path}`)).toEqual([
      'GET /repos/acme/credit/pulls',
      'PATCH /repos/acme/credit/pulls/1',
    ]);
    expect(gh.pulls.size).toBe(1);
    expect(again.summary).toContain('Updated pull request [#1]');
  }, 240_000);

  it('after the merge: nothing new ends green; a challenger that loses keeps the champion', async () => {
    // A reviewer merges the pull request.
    git(origin, 'update-ref', 'refs/heads/main', 'refs/heads/mlops/retrain');
    const before = gh.requests.length;

    const idle = await runAction('run-3');
    expect(idle.code).toBe(0);
    expect(idle.outputs).toMatchObject({ status: 'no-new-data', 'data-changed': 'false', 'run-dir': '', decision: '' });
    expect(idle.summary).toContain('no new data: the incoming folder holds no new CSV files');

    // Sixty more applications: not enough to beat the champion by the required 0.05 ROC AUC.
    const owner = join(tmp, 'owner');
    execFileSync('git', ['clone', '-q', origin, owner], { stdio: 'ignore' });
    writeFileSync(
      join(owner, 'data', 'incoming', 'applications-2026-11.csv'),
      newApplications(60, 900) + 'maybe,1,rent,60,30,married,no,freelance,73,129,0,0,800,846\n',
    );
    git(owner, 'add', '.');
    git(owner, 'commit', '-qm', 'data: November applications');
    git(owner, 'push', '-q', 'origin', 'main');
    const mainBefore = git(origin, 'rev-parse', 'main');
    const lost = await runAction('run-4');
    expect(lost.code).toBe(0);
    expect(lost.outputs).toMatchObject({
      status: 'kept-champion',
      decision: 'keep',
      version: '',
      'data-changed': 'true',
    });
    expect(lost.outputs.reason).toMatch(/^kept champion: /);
    expect(lost.summary).toContain('## Retraining: champion kept');
    expect(lost.summary).toMatch(
      /\| applications-2026-11\.csv \| ingested \| +61 \| +60 \| +1 \| +0 \| 1 × Status: unknown label \|/,
    );
    // Drift was measured against the champion's training data, found in git history.
    expect(lost.summary).toMatch(/reference: `credit_data\.csv@[0-9a-f]{12}` — 4854 rows/);
    expect(lost.summary).toMatch(/current: `rows added since [0-9a-f]{12}` — 60 rows/);
    expect(lost.summary).toContain('### Model drift (new labelled rows)');
    expect(readFileSync(join(lost.outputs['run-dir'], 'drift', 'drift-psi.svg'), 'utf8')).toMatch(/^<svg/);
    // No pull request traffic, nothing pushed.
    expect(gh.requests.length).toBe(before);
    expect(git(origin, 'rev-parse', 'main')).toBe(mainBefore);
  }, 240_000);
});

function parseOutputs(text: string): Record<string, string> {
  // GITHUB_OUTPUT uses the heredoc form: name<<delimiter / value / delimiter.
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
    out[m[1]] = value.join('\n');
  }
  return out;
}
