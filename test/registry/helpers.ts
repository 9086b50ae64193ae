/** Shared fixtures for the registry tests: trained run folders and real git repositories. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../pipeline/core/training/train.ts';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';
import { resolveConfig } from '../../pipeline/core/config/load.ts';
import type { MlopsConfig } from '../../pipeline/core/config/types.ts';
import { buildRunRecord, newRunId, writeRunFolder } from '../../pipeline/gitops/run/run-folder.ts';
import { checkoutState } from '../../pipeline/gitops/git/checkout.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

const created: string[] = [];

export function tmp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mlops-registry-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Removes every temporary folder this test file made (call from afterAll). */
export function removeTemporaryFolders(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The project's config with the fast logistic engine, plus overrides. */
export function testConfig(over: (c: MlopsConfig) => void = () => {}): MlopsConfig {
  const c = defaultConfig();
  c.engine = { name: 'logistic', params: {} };
  over(c);
  return resolveConfig(structuredClone(c));
}

/** A project folder with data/credit_data.csv and mlops.config.json (logistic engine). */
export function projectDir(dir = tmp('project'), config: MlopsConfig = testConfig()): string {
  mkdirSync(join(dir, 'data'), { recursive: true });
  cpSync(join(ROOT, 'data', 'credit_data.csv'), join(dir, 'data', 'credit_data.csv'));
  const { model_name, data, split, seed, engine, costs, promotion, registry } = config;
  writeFileSync(
    join(dir, 'mlops.config.json'),
    JSON.stringify({ model_name, data, split, seed, engine, costs, promotion, registry }, null, 2) + '\n',
  );
  return dir;
}

/** Trains in `baseDir` (its git commit in the provenance) and writes a run folder at `out`. */
export async function trainRun(baseDir: string, out: string, config: MlopsConfig): Promise<string> {
  const result = await train({ config, baseDir, checkout: checkoutState(baseDir) });
  const record = buildRunRecord(result, 'test', newRunId(result.bundle.digest));
  writeRunFolder(out, result, record);
  return out;
}

/** The models used across tests: strong, a near-identical twin, and a clearly weaker one. */
export const VARIANTS = {
  strong: (c: MlopsConfig) => c,
  twin: (c: MlopsConfig) => {
    c.engine.params = { C: 0.9 };
  },
  weak: (c: MlopsConfig) => {
    c.data.drop = ['Seniority', 'Income', 'Records', 'Job', 'Amount'];
  },
};

export function sh(cwd: string, cmd: string, args: string[]): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  }).trim();
}

export const gitSync = (cwd: string, ...args: string[]): string => sh(cwd, 'git', args);

/** A bare remote whose main branch holds a project (config + data), and a way to clone it. */
export function remoteWithProject(config: MlopsConfig): { remote: string; clone: (name: string) => string } {
  const base = tmp('git');
  const remote = join(base, 'remote.git');
  gitSync(base, 'init', '-q', '--bare', '-b', 'main', remote);
  const seed = join(base, 'seed');
  gitSync(base, 'clone', '-q', remote, seed);
  configureClone(seed);
  projectDir(seed, config);
  writeFileSync(join(seed, '.gitignore'), 'runs/\nnode_modules\n');
  gitSync(seed, 'add', '.');
  gitSync(seed, 'commit', '-q', '-m', 'project');
  gitSync(seed, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  return {
    remote,
    clone: (name: string) => {
      const dir = join(base, name);
      gitSync(base, 'clone', '-q', '-b', 'main', remote, dir);
      configureClone(dir);
      return dir;
    },
  };
}

function configureClone(dir: string): void {
  gitSync(dir, 'config', 'user.name', 'Registry Test');
  gitSync(dir, 'config', 'user.email', 'registry-test@example.com');
  gitSync(dir, 'config', 'commit.gpgsign', 'false');
}
