/**
 * Every fenced shell command of README.md and docs/*.md that runs `mlops` is run as written
 * against a fresh clone of the committed tree, one clone per document, its commands in the
 * order the document gives them (later commands use what earlier ones made). Placeholders
 * are filled from FIXTURES. What is not run is decided by SKIP, an explicit list of rules.
 *
 * Not yet in the default suite: it takes minutes on a loaded 2-core machine, and three
 * documented sequences still fail as written (monitoring.md's drift before any ingested row,
 * registry.md's rollback with a single version, tracking.md's compare with the champion before
 * any promotion). Run it with MLOPS_DOCS_COMMANDS=1 until those are fixed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

/** Commands not run here, each with why. */
const SKIP: { rule: RegExp; why: string }[] = [
  { rule: /\bmlops (release|deploy)\b/, why: 'needs an OCI registry, docker or a Kubernetes cluster' },
  { rule: /\bmlops serve\b/, why: 'starts a server that runs until stopped (test/service covers it)' },
  { rule: /\bmlops runs (mlflow|mirror)\b/, why: 'needs an MLflow server (test/tracking covers it against a double)' },
  { rule: /--push\b/, why: 'pushes to a git remote (test/registry covers it against a bare repository)' },
  { rule: /--deps\b/, why: 'asks the npm registry (network)' },
  { rule: /\bmlops tune\b/, why: 'a long search benchmark (test/tune covers it on small data)' },
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

/** Files the docs' examples read: a loan file of another shape, new applicants with an ID. */
function writeFixtureFiles(project: string): void {
  const lines = readFileSync(join(project, 'data/credit_data/test.csv'), 'utf8').trim().split('\n');
  const [header, ...rows] = lines;
  writeFileSync(
    join(project, 'loans.csv'),
    [`loan_id,${header.replace(/^Status/, 'default_flag')}`, ...rows.map((r, i) => `L${i},${r.replace(/^bad/, 'yes').replace(/^good/, 'no')}`)].join('\n') + '\n',
  );
  const features = header.split(',').slice(1).join(',');
  writeFileSync(
    join(project, 'new_applicants.csv'),
    [`customer_id,${features}`, ...rows.map((r, i) => `C${i},${r.split(',').slice(1).join(',')}`)].join('\n') + '\n',
  );
  writeFileSync(join(project, 'labelled.csv'), lines.join('\n') + '\n');
  // New rows waiting in data/incoming/, for the monitoring docs' ingest and drift.
  writeFileSync(join(project, 'data/incoming/new-applications.csv'), [header, ...rows.slice(0, 200)].join('\n') + '\n');
  writeFileSync(join(project, 'october.csv'), lines.join('\n') + '\n');
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

/** `[--json]`-style optional parts are left out; `a|b` alternatives take the first. */
function asRun(cmd: string, project: string): string {
  let c = cmd.replace(/^npm install && /, '').replace(/\s*\[[^\]]*\]/g, '');
  for (const [re, value] of FIXTURES) c = c.replace(re, () => value(project));
  return c.replace(/^(npx )?mlops\b/, `node ${join(project, 'bin/mlops.mjs')}`);
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

describe.skipIf(!process.env.MLOPS_DOCS_COMMANDS).concurrent('the commands in README.md and docs/*.md', () => {
  it('finds commands in the documents and skips only by the listed rules', () => {
    const all = DOCS.flatMap(docCommands);
    expect(all.length).toBeGreaterThan(40);
    for (const c of all) {
      const skip = SKIP.find((s) => s.rule.test(c.command));
      if (skip) expect(skip.why.length).toBeGreaterThan(0);
    }
  });

  for (const doc of DOCS) {
    const commands = docCommands(doc).filter((c) => !SKIP.some((s) => s.rule.test(c.command)));
    if (!commands.length) continue;
    it(`${doc}: ${commands.length} command(s) run as written in a fresh clone`, { timeout: 600_000 }, async () => {
      const project = mkdtempSync(join(tmpdir(), 'mlops-docs-'));
      const clone = spawnSync('git', ['clone', '--quiet', ROOT, project], { encoding: 'utf8' });
      expect(clone.status, clone.stderr).toBe(0);
      symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
      // A faster engine than the default forest keeps the suite short; the commands are what is tested.
      const config = JSON.parse(readFileSync(join(project, 'mlops.config.json'), 'utf8'));
      writeFileSync(join(project, 'mlops.config.json'), JSON.stringify({ ...config, engine: { name: 'logistic', params: {} } }, null, 2));
      writeFixtureFiles(project);
      // A project in use: one run already recorded, for the commands that list, show or compare runs.
      const first = await run(`node ${join(project, 'bin/mlops.mjs')} train --quiet`, project);
      expect(first.code, first.out).toBe(0);
      for (const c of commands) {
        const command = asRun(c.command, project);
        const r = await run(command, project);
        const where = `${c.file}:${c.line}: ${c.command}\n(ran: ${command})\n${r.out.slice(-2000)}`;
        if (c.mayExit1) expect([0, 1], where).toContain(r.code);
        else expect(r.code, where).toBe(0);
      }
    });
  }
});
