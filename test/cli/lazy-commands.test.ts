/**
 * `mlops` loads a command's module, and what it imports, only when that command runs or
 * shows its own help: `mlops --help` and `mlops --version` load no command and not the
 * core's entry module, and one command never loads another's. What is loaded is asserted,
 * never how long it takes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { COMMANDS } from '../../cli/commands/index.ts';

/** The project's own modules (paths from the root) a run of `mlops ARGS` loaded, and its output. */
function loaded(args: string[]): { files: Set<string>; out: string; status: number | null } {
  const log = join(mkdtempSync(join(tmpdir(), 'mlops-imports-')), 'imports.txt');
  const r = spawnSync(
    process.execPath,
    ['--import', join(ROOT, 'test', 'helpers', 'record-imports.mjs'), join(ROOT, 'bin', 'mlops.mjs'), ...args],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, RECORD_IMPORTS: log } },
  );
  const prefix = new URL(`file://${ROOT}/`).href;
  const files = new Set(
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith(prefix) && !u.includes('/node_modules/'))
      .map((u) => u.slice(prefix.length)),
  );
  return { files, out: r.stdout, status: r.status };
}

const commandModules = (files: Set<string>): string[] =>
  [...files].filter((f) => f.startsWith('cli/commands/') && f !== 'cli/commands/index.ts').sort();

describe('mlops loads commands lazily', () => {
  it('--help lists every command without loading one, or the core', () => {
    const r = loaded(['--help']);
    expect(r.status).toBe(0);
    const width = COMMANDS.reduce((w, c) => Math.max(w, c.name.length), 0);
    for (const c of COMMANDS) expect(r.out).toContain(`  ${c.name.padEnd(width)}  ${c.summary}\n`);
    expect(commandModules(r.files)).toEqual([]);
    expect([...r.files].filter((f) => f.startsWith('pipeline/'))).toEqual([]);
  }, 30_000);

  it('--version loads no command and not the core entry module', () => {
    const r = loaded(['--version']);
    expect(r.status).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(commandModules(r.files)).toEqual([]);
    expect(r.files.has('pipeline/core/index.ts')).toBe(false);
  }, 30_000);

  it('a command loads its own module only; predict does not load the GitOps layer', () => {
    const r = loaded(['predict', '--help']);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^Usage: mlops predict/);
    expect(commandModules(r.files)).toEqual(['cli/commands/predict.ts']);
    expect(r.files.has('pipeline/gitops/index.ts')).toBe(false);
  }, 30_000);
});
