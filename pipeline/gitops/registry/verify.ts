/**
 * `mlops registry verify name@vN`: does the lineage record really reproduce the bundle?
 * Checks out the recorded code commit in a temporary `git worktree`, retrains with that
 * commit's own code, the recorded config and the recorded data (checked by sha256), and
 * compares the new bundle's digest with the registered one. When it differs, the
 * differing top-level fields say why (e.g. `provenance.git.dirty` for a model trained
 * from a checkout with uncommitted edits).
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  canonicalJson,
  sha256Hex,
  readBundle,
  readPointer,
  parseSourceUri,
  defaultConfig,
  type Bundle,
  type DataSource,
  type MlopsConfig,
  MlopsError,
  PROJECT_ROOT,
} from '../../core/index.ts';
import { checkRecordedData } from '../data/data-check.ts';
import { git } from '../git/run.ts';
import { withWorktree } from '../git/worktree.ts';
import { existingAncestor } from './promote.ts';
import { loadRegistry, loadVersionBundle, resolveRef } from './store.ts';

export interface VerifyOptions {
  /** Registry folder (`models/`). */
  dir: string;
  /** `name@vN`, `name@champion`, `vN`… */
  ref: string;
  defaultName: string;
  /** node_modules to lend the worktree (default: this installation's). */
  nodeModules?: string;
  /** Give up after this many ms (default 30 min). */
  timeoutMs?: number;
  /** The current config and its folder: where snapshots are kept and relative sources resolve. */
  config?: MlopsConfig;
  baseDir?: string;
}

export interface VerifyResult {
  name: string;
  version: number;
  commit: string;
  expected: string;
  actual: string;
  reproduced: boolean;
  /** Top-level bundle fields (and provenance sub-fields) that differ. */
  differences: string[];
  notes: string[];
}

export async function verifyVersion(opts: VerifyOptions): Promise<VerifyResult> {
  const reg = loadRegistry(opts.dir);
  const { name, version: v } = resolveRef(reg, opts.ref, opts.defaultName);
  const registered = loadVersionBundle(opts.dir, v);
  const commit = v.lineage.code_commit;
  if (!commit)
    throw new MlopsError(
      'state',
      `${name}@v${v.version} records no code commit (it was trained outside a git checkout); it cannot be reproduced from the record`,
    );
  const top = await git(['rev-parse', '--show-toplevel'], existingAncestor(opts.dir));
  if (top.code !== 0)
    throw new MlopsError('state', `${opts.dir} is not inside a git checkout; verify needs the repository history`);
  const root = top.stdout.trim();
  if ((await git(['cat-file', '-e', `${commit}^{commit}`], root)).code !== 0) {
    throw new MlopsError(
      'state',
      `code commit ${commit} of ${name}@v${v.version} is not in this clone; fetch the full history (actions/checkout with fetch-depth: 0) and try again`,
    );
  }
  const notes: string[] = [];
  const cfg = structuredClone(v.lineage.config) as {
    data: { path: string; test_path: string | null; source?: DataSource };
  };
  const source = cfg.data.source;
  if (source && source.type !== 'csv') {
    // Rows that live outside git: re-read them first and say whether (and how) they changed.
    const check = await checkRecordedData(
      {
        type: source.type,
        label: v.lineage.data.path,
        source,
        digest: v.lineage.data.sha256,
        rows: v.lineage.data.rows,
        columns: [],
        order: '',
      },
      { config: opts.config ?? defaultConfig(), baseDir: opts.baseDir ?? root },
    );
    notes.push(check.summary);
    if (!check.same)
      return {
        name,
        version: v.version,
        commit,
        expected: registered.digest,
        actual: 'not retrained: the data changed',
        reproduced: false,
        differences: ['provenance.data'],
        notes,
      };
  }
  if (v.lineage.code_dirty)
    notes.push(
      'the version was trained from a checkout with uncommitted changes, so the retrained bundle (from the clean commit) is expected to differ',
    );
  const tmp = mkdtempSync(join(tmpdir(), 'mlops-verify-'));
  const wt = join(tmp, 'worktree');
  try {
    return await withWorktree(root, commit, wt, async () => {
      if (!existsSync(join(wt, 'bin', 'mlops.mjs')))
        throw new MlopsError(
          'state',
          `commit ${commit.slice(0, 7)} has no bin/mlops.mjs; cannot retrain with its code`,
        );
      const modules = opts.nodeModules ?? join(PROJECT_ROOT, 'node_modules');
      if (!existsSync(join(wt, 'node_modules'))) symlinkSync(modules, join(wt, 'node_modules'), 'dir');
      if (!source || source.type === 'csv') provideData(cfg.data.path, v.lineage.data.sha256, wt, root, notes);
      else if (source.type === 'snapshot') provideSnapshot(source.path, wt, opts.baseDir ?? root);
      const holdout = cfg.data.test_path ? parseSourceUri(cfg.data.test_path) : null;
      if (holdout?.type === 'csv' && v.lineage.test_data)
        provideData(holdout.path, v.lineage.test_data.sha256, wt, root, notes);
      const configFile = join(wt, '.mlops-verify.config.json');
      writeFileSync(
        configFile,
        JSON.stringify(
          { ...cfg, model_name: registered.name, evaluation: { risk_bands: registered.risk_bands } },
          null,
          2,
        ),
      );
      const out = join(tmp, 'run');
      await runTrain(
        join(wt, 'bin', 'mlops.mjs'),
        ['train', '--config', configFile, '--out', out, '--quiet'],
        wt,
        opts.timeoutMs ?? 30 * 60_000,
      );
      const rebuilt = readBundle(join(out, 'model.json'));
      return {
        name,
        version: v.version,
        commit,
        expected: registered.digest,
        actual: rebuilt.digest,
        reproduced: rebuilt.digest === registered.digest,
        differences: differences(registered, rebuilt),
        notes,
      };
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Makes the recorded data file available in the worktree, checked by sha256. */
function provideData(path: string, sha: string, wt: string, root: string, notes: string[]): void {
  const target = isAbsolute(path) ? path : join(wt, path);
  const hash = (p: string): string | null => (existsSync(p) ? sha256Hex(readFileSync(p)) : null);
  const have = hash(target);
  if (have === sha) return;
  if (have !== null)
    throw new MlopsError(
      'state',
      `data file ${path} at the recorded commit has sha256 ${have}, but the version was trained on ${sha}`,
    );
  const source = resolve(root, path);
  if (hash(source) !== sha)
    throw new MlopsError(
      'state',
      `data file ${path} (sha256 ${sha}) is neither in the recorded commit nor in this checkout; cannot retrain`,
    );
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
  notes.push(`${path} is not committed at that commit; used the identical file (same sha256) from this checkout`);
}

/** A snapshot pointer is committed but its Parquet file is not: link the file into the worktree. */
function provideSnapshot(pointer: string, wt: string, baseDir: string): void {
  const here = isAbsolute(pointer) ? pointer : resolve(baseDir, pointer);
  const there = isAbsolute(pointer) ? pointer : join(wt, pointer);
  const file = resolve(dirname(here), readPointer(here).path);
  const target = resolve(dirname(there), readPointer(existsSync(there) ? there : here).path);
  if (existsSync(target) || !existsSync(file)) return;
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(file, target);
}

function runTrain(script: string, args: string[], cwd: string, timeout: number): Promise<void> {
  return new Promise((ok, fail) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd, timeout, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error)
          fail(
            new MlopsError(
              'state',
              `retraining at the recorded commit failed: ${String(stderr).trim() || error.message}`,
            ),
          );
        else ok();
      },
    );
  });
}

function differences(a: Bundle, b: Bundle): string[] {
  const out: string[] = [];
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
    if (key === 'digest') continue;
    if (key === 'provenance') {
      const pa = a.provenance as unknown as Record<string, unknown>;
      const pb = b.provenance as unknown as Record<string, unknown>;
      for (const k of [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort()) {
        if (canonicalJson(pa[k]) !== canonicalJson(pb[k])) out.push(`provenance.${k}`);
      }
    } else if (canonicalJson(ra[key]) !== canonicalJson(rb[key])) out.push(key);
  }
  return out;
}
