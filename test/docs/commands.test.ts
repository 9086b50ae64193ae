/**
 * Every fenced shell command of README.md and docs/*.md that runs `mlops` is run as written
 * against a fresh clone of the committed tree (so commit before running it), each document's
 * commands in the order the document gives them (later commands use what earlier ones made),
 * and the test fails on the first one that fails. Placeholders are filled from FIXTURES; what
 * is not run is decided by SKIP, an explicit list of rules, each with its reason.
 *
 * Kept fast enough for the default suite: one prepared clone (fast engine, fixture files, one
 * recorded run) is made once; documents that begin with the same commands run them once and
 * the project is copied where they part (runFrom), and documents run concurrently.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvFile, writeParquet } from '../../pipeline/core/index.ts';
import { ROOT } from '../helpers/cli.ts';

/** Commands not run here, each with why. */
const SKIP: { rule: RegExp; why: string }[] = [
  { rule: /\bmlops (release|deploy)\b/, why: 'needs an OCI registry, docker or a Kubernetes cluster' },
  { rule: /\bmlops serve\b/, why: 'starts a server that runs until stopped (test/service covers it)' },
  { rule: /\bmlops runs (mlflow|mirror)\b/, why: 'needs an MLflow server (test/tracking covers it against a double)' },
  { rule: /--push\b/, why: 'pushes to a git remote (test/registry covers it against a bare repository)' },
  { rule: /--deps\b/, why: 'asks the npm registry (network)' },
  { rule: /--source postgres\b/, why: 'needs a PostgreSQL server (test/sources covers it against a throwaway cluster)' },
  { rule: /\bmlops tune\b/, why: 'a long search benchmark (test/tune covers it on small data)' },
  {
    rule: /--selection\b/,
    why: 'trains from the selection.json of mlops tune --engine auto, not run here (test/tune/auto-shards.test.ts covers it)',
  },
  { rule: /scoring[-.\w/]*\.jsonl/, why: "reads a running service's scoring log" },
  { rule: /<your checkout>/, why: 'names a folder of the reader' },
];

/** Placeholders and example names of the docs, and what stands for them here. */
const FIXTURES: [RegExp, (project: string) => string][] = [
  [/<run id>|<id>|\b20261122T0411\b/g, (p) => runIds(p)[0]],
  [/\b20261122T0432\b/g, (p) => runIds(p)[1] ?? runIds(p)[0]],
  [/\b20261122T0457\b/g, (p) => runIds(p)[2] ?? runIds(p)[0]],
  [/\b5e2bf3\b/g, (p) => sha256Prefix(p)],
  [/<sha>/g, () => 'HEAD'],
];

function runIds(project: string): string[] {
  const dir = join(project, 'runs');
  if (!existsSync(dir)) return ['no-run-yet'];
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'run.json')))
    .sort((a, b) => statSync(join(dir, b, 'run.json')).mtimeMs - statSync(join(dir, a, 'run.json')).mtimeMs);
}

function sha256Prefix(project: string): string {
  const out = spawnSync('sha256sum', [join(project, 'data/credit_data.csv')], { encoding: 'utf8' });
  return out.stdout.slice(0, 6);
}

/** Files the docs' examples read: a loan file of another shape, new applicants with an ID, Parquet. */
async function writeFixtureFiles(project: string): Promise<void> {
  const lines = readFileSync(join(project, 'data/credit_data/test.csv'), 'utf8').trim().split('\n');
  const [header, ...rows] = lines;
  writeFileSync(
    join(project, 'loans.csv'),
    [
      `loan_id,${header.replace(/^Status/, 'default_flag')}`,
      ...rows.map((r, i) => `L${i},${r.replace(/^bad/, 'yes').replace(/^good/, 'no')}`),
    ].join('\n') + '\n',
  );
  const features = header.split(',').slice(1).join(',');
  writeFileSync(
    join(project, 'new_applicants.csv'),
    [`customer_id,${features}`, ...rows.map((r, i) => `C${i},${r.split(',').slice(1).join(',')}`)].join('\n') + '\n',
  );
  writeFileSync(join(project, 'labelled.csv'), lines.join('\n') + '\n');
  // Applications waiting in data/incoming/ for the monitoring docs' ingest and drift. They must
  // be new: every row of test.csv is also in credit_data.csv, and ingest skips duplicates.
  const amount = header.split(',').indexOf('Amount');
  const fresh = rows.slice(0, 200).map((r) => {
    const fields = r.split(',');
    fields[amount] = String(Number(fields[amount]) + 7);
    return fields.join(',');
  });
  writeFileSync(join(project, 'data/incoming/new-applications.csv'), [header, ...fresh].join('\n') + '\n');
  writeFileSync(join(project, 'october.csv'), lines.join('\n') + '\n');
  // The embedded data set as Parquet, for the docs' `--data loans.parquet`.
  const table = readCsvFile(join(project, 'data/credit_data.csv'));
  await writeParquet(join(project, 'loans.parquet'), table);
  await writeParquet(join(project, 'data/loans.parquet'), table);
}

interface DocCommand {
  file: string;
  line: number;
  command: string;
  /** It may exit 1 by design: its comment says so, or it is a gate decision (promote: exit 1 on a rejection). */
  mayExit1: boolean;
}

/** The `mlops` commands of a Markdown file's sh/bash/shell/console blocks, in order. */
export function docCommands(file: string): DocCommand[] {
  const text = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const out: DocCommand[] = [];
  let fence = false;
  for (let i = 0; i < text.length; i++) {
    const l = text[i];
    if (/^```/.test(l)) {
      fence = !fence && /^```(sh|bash|shell|console)\s*$/.test(l);
      continue;
    }
    if (!fence) continue;
    let cmd = l.replace(/^\$ /, '');
    while (cmd.endsWith('\\') && i + 1 < text.length) cmd = cmd.slice(0, -1) + text[++i];
    const comment = /\s{2,}#\s.*$/.exec(cmd)?.[0] ?? '';
    cmd = cmd.slice(0, cmd.length - comment.length).trim();
    if (!/^(npx )?mlops\b/.test(cmd.replace(/^npm install && /, ''))) continue;
    out.push({ file, line: i + 1, command: cmd, mayExit1: /exit 1|--fail-on|\bmlops promote\b/.test(comment + cmd) });
  }
  return out;
}

/** The command as run: `npm install && `, `[--json]`-style optional parts and `npx ` left out. */
function normalized(cmd: string): string {
  return cmd
    .replace(/^npm install && /, '')
    .replace(/\s*\[[^\]]*\]/g, '')
    .replace(/^npx mlops\b/, 'mlops');
}

/** With the placeholders of a project filled in, and `mlops` its own bin/mlops.mjs. */
function asRun(cmd: string, project: string): string {
  let c = normalized(cmd);
  for (const [re, value] of FIXTURES) c = c.replace(re, () => value(project));
  return c.replace(/^mlops\b/, `node ${join(project, 'bin/mlops.mjs')}`);
}

function run(command: string, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Outcome {
  command: DocCommand;
  ran: string;
  code: number | null;
  out: string;
}

function passed(o: Outcome): boolean {
  return o.code === 0 || (o.command.mayExit1 && o.code === 1);
}

const projects: string[] = [];

function newProjectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-docs-'));
  projects.push(dir);
  return dir;
}

/** A copy of a project in its state between two commands (timestamps kept: run ids are ordered by them). */
function copyProject(from: string): string {
  const to = newProjectDir();
  const cp = spawnSync('cp', ['-a', `${from}/.`, to], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(`cp -a ${from} ${to}: ${cp.stderr}`);
  return to;
}

/**
 * A fresh clone of the committed tree with the fast engine, the fixture files and one run
 * recorded (a project in use, for the commands that list, show or compare runs).
 */
async function preparedClone(): Promise<string> {
  const project = newProjectDir();
  // --shared: the clone borrows ROOT's objects instead of copying them, so copies stay small.
  const clone = spawnSync('git', ['clone', '--quiet', '--shared', ROOT, project], { encoding: 'utf8' });
  if (clone.status !== 0) throw new Error(`git clone ${ROOT}: ${clone.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  // A faster engine than the default forest keeps the suite short; the commands are what is tested.
  const config = JSON.parse(readFileSync(join(project, 'mlops.config.json'), 'utf8'));
  writeFileSync(
    join(project, 'mlops.config.json'),
    JSON.stringify({ ...config, engine: { name: 'logistic', params: {} } }, null, 2),
  );
  await writeFixtureFiles(project);
  const first = await run(`node ${join(project, 'bin/mlops.mjs')} train --quiet`, project);
  if (first.code !== 0) throw new Error(`mlops train in the prepared clone: ${first.out}`);
  return project;
}

/**
 * Runs each document's commands in order from `step` on in `project`. Documents whose next
 * commands are the same share them: the command runs once and its project is copied for
 * each different continuation, so every document still sees exactly its own commands, in
 * its order, on a fresh clone. A document stops at its first failing command.
 */
async function runFrom(
  project: string,
  plans: { doc: string; commands: DocCommand[] }[],
  step: number,
  outcomes: Map<string, Outcome[]>,
): Promise<void> {
  const groups = new Map<string, typeof plans>();
  for (const p of plans.filter((p) => p.commands.length > step)) {
    const key = normalized(p.commands[step].command);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const branches = [...groups.values()].map((group, i) => ({ group, dir: i === 0 ? project : copyProject(project) }));
  await Promise.all(
    branches.map(async ({ group, dir }) => {
      const ran = asRun(group[0].commands[step].command, dir);
      const r = await run(ran, dir);
      const next = group.filter((p) => {
        const o = { command: p.commands[step], ran, ...r };
        outcomes.get(p.doc)?.push(o);
        return passed(o);
      });
      if (next.length) await runFrom(dir, next, step + 1, outcomes);
    }),
  );
}

const PLANS = DOCS.map((doc) => ({
  doc,
  commands: docCommands(doc).filter((c) => !SKIP.some((s) => s.rule.test(c.command))),
})).filter((p) => p.commands.length > 0);

let allRuns: Promise<Map<string, Outcome[]>> | undefined;

/** Every document's outcomes; the runs start with the first test that asks. */
function outcomesOfAll(): Promise<Map<string, Outcome[]>> {
  allRuns ??= (async () => {
    const outcomes = new Map(PLANS.map((p) => [p.doc, [] as Outcome[]]));
    await runFrom(await preparedClone(), PLANS, 0, outcomes);
    return outcomes;
  })();
  return allRuns;
}

afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('the commands in README.md and docs/*.md', () => {
  it('finds commands in the documents and skips only by the listed rules', () => {
    const all = DOCS.flatMap(docCommands);
    expect(all.length).toBeGreaterThan(40);
    for (const c of all) {
      const skip = SKIP.find((s) => s.rule.test(c.command));
      if (skip) expect(skip.why.length).toBeGreaterThan(0);
    }
  });

  for (const { doc, commands } of PLANS) {
    it(`${doc}: ${commands.length} command(s) run as written in a fresh clone`, { timeout: 900_000 }, async () => {
      const outcomes = (await outcomesOfAll()).get(doc) ?? [];
      for (const o of outcomes) {
        const where = `${o.command.file}:${o.command.line}: ${o.command.command}\n(ran: ${o.ran})\n${o.out.slice(-2000)}`;
        if (o.command.mayExit1) expect([0, 1], where).toContain(o.code);
        else expect(o.code, where).toBe(0);
      }
      expect(outcomes.map((o) => o.command)).toEqual(commands);
    });
  }
});
