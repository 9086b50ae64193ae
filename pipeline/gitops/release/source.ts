/**
 * Where a version's image is built from: the tree of the registry commit that made it
 * champion (the first commit whose models/registry.json names it champion), checked out
 * in a temporary git worktree. Tags, the revision label and the image's contents then
 * agree, whatever happened on the branch since.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { MlopsError } from '../../core/index.ts';
import { git, gitOk } from '../git/run.ts';

/** The git checkout holding `dir`. */
export async function checkoutRoot(dir: string): Promise<string> {
  const r = await git(['rev-parse', '--show-toplevel'], dir);
  if (r.code !== 0)
    throw new MlopsError('state', `${dir} is not inside a git checkout; a release builds from registry commits`);
  return r.stdout.trim();
}

/**
 * For each version, the first commit (oldest first along HEAD's history) whose
 * registry.json makes it the champion of `model`.
 */
export async function promotionCommits(
  root: string,
  registryDir: string,
  model: string,
  versions: number[],
): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  if (versions.length === 0) return found;
  if ((await gitOk(['rev-parse', '--is-shallow-repository'], root)) === 'true')
    throw new MlopsError(
      'state',
      `${root} is a shallow clone: fetch the whole history (actions/checkout with fetch-depth: 0) so each image is built from the commit that promoted its version`,
    );
  const file = join(relative(root, registryDir) || '.', 'registry.json');
  const commits = (await gitOk(['log', '--reverse', '--format=%H', 'HEAD', '--', file], root)).split('\n');
  const wanted = new Set(versions);
  for (const c of commits) {
    if (!c || wanted.size === 0) break;
    const r = await git(['show', `${c}:${file}`], root);
    if (r.code !== 0) continue;
    let champion: unknown;
    try {
      champion = (JSON.parse(r.stdout) as { models?: Record<string, { aliases?: { champion?: unknown } }> }).models?.[
        model
      ]?.aliases?.champion;
    } catch {
      continue;
    }
    if (typeof champion === 'number' && wanted.has(champion)) {
      found.set(champion, c);
      wanted.delete(champion);
    }
  }
  if (wanted.size > 0) {
    const v = [...wanted].map((n) => `v${n}`).join(', ');
    throw new MlopsError(
      'state',
      `no commit on HEAD makes ${model} ${v} champion in ${file}: commit (and push) the registry change first, then publish`,
    );
  }
  return found;
}

/**
 * Runs `fn` in a temporary worktree of `commit` whose node_modules is this checkout's
 * when the lockfiles agree (else installed there with npm ci), and removes it after.
 */
export async function withWorktree<T>(root: string, commit: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const parent = mkdtempSync(join(tmpdir(), 'mlops-release-'));
  const dir = join(parent, 'tree');
  await gitOk(['worktree', 'add', '--detach', '--quiet', dir, commit], root);
  try {
    const lock = (d: string): string | null =>
      existsSync(join(d, 'package-lock.json')) ? readFileSync(join(d, 'package-lock.json'), 'utf8') : null;
    if (existsSync(join(root, 'node_modules')) && lock(root) === lock(dir))
      symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    else await npm(['ci', '--no-audit', '--no-fund'], dir);
    return await fn(dir);
  } finally {
    await git(['worktree', 'remove', '--force', dir], root);
    rmSync(parent, { recursive: true, force: true });
    await git(['worktree', 'prune'], root);
  }
}

/** Runs npm in `cwd`; on failure the error carries the end of its output. */
export function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => reject(new MlopsError('state', `npm ${args.join(' ')} could not start: ${e.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new MlopsError(
              'state',
              `npm ${args.join(' ')} failed in ${cwd} (exit ${code}):\n${out.trim().split('\n').slice(-15).join('\n')}`,
            ),
          ),
    );
  });
}
