/**
 * The one push-rejection rule (pipeline/gitops/git/push.ts) against a real bare remote:
 * two clones pushing at once, a server that loses its ref-lock race once, a policy
 * refusal, and a change that cannot be re-applied.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authorEnv, DEFAULT_AUTHOR, parseAuthor } from '../../pipeline/gitops/git/identity.ts';
import {
  isRetryablePushRejection,
  pushWithRetry,
  rebaseOnto,
  type PushAttempt,
} from '../../pipeline/gitops/git/push.ts';

const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  }).trim();
const ENV = authorEnv({ name: 'Push Test', email: 'push-test@example.com' });

function remote(): { bare: string; clone: (name: string) => string } {
  const base = mkdtempSync(join(tmpdir(), 'mlops-push-'));
  folders.push(base);
  const bare = join(base, 'remote.git');
  git(base, 'init', '-q', '--bare', '-b', 'main', bare);
  const clone = (name: string): string => {
    const dir = join(base, name);
    git(base, 'clone', '-q', bare, dir);
    git(dir, 'config', 'user.name', 'Push Test');
    git(dir, 'config', 'user.email', 'push-test@example.com');
    git(dir, 'config', 'commit.gpgsign', 'false');
    return dir;
  };
  const seed = clone('seed');
  git(seed, 'checkout', '-q', '-b', 'main');
  writeFileSync(join(seed, 'shared.txt'), 'one\n');
  git(seed, 'add', '.');
  git(seed, 'commit', '-qm', 'seed');
  git(seed, 'push', '-q', 'origin', 'main');
  return { bare, clone };
}

function commitFile(dir: string, file: string, text: string): string {
  writeFileSync(join(dir, file), text);
  git(dir, 'add', file);
  git(dir, 'commit', '-qm', `write ${file}`);
  return git(dir, 'rev-parse', 'HEAD');
}

/** pushWithRetry re-applying by rebase, as derived-file commits do. */
function push(dir: string, extra: Partial<Parameters<typeof pushWithRetry>[0]> = {}) {
  return pushWithRetry({
    root: dir,
    remote: 'origin',
    branch: 'main',
    backoffMs: 5,
    what: 'the test commit',
    reapply: (tip) => rebaseOnto(dir, tip, ENV),
    restore: async () => 'the clone keeps its commit',
    ...extra,
  });
}

describe('push rejections', () => {
  it('classifies both kinds of "another writer moved the branch" as retryable, and nothing else', () => {
    expect(
      isRetryablePushRejection(' ! [rejected]        main -> main (fetch first)\nerror: failed to push some refs'),
    ).toBe(true);
    expect(isRetryablePushRejection('!\tHEAD:refs/heads/main\t[rejected] (non-fast-forward)')).toBe(true);
    expect(isRetryablePushRejection(' ! [remote rejected] main -> main (failed to update ref)')).toBe(true);
    expect(
      isRetryablePushRejection(
        "remote: error: cannot lock ref 'refs/heads/main': is at 1a2b but expected 3c4d\n ! [remote rejected] main -> main (pre-receive hook declined)",
      ),
    ).toBe(true);
    expect(isRetryablePushRejection(' ! [remote rejected] main -> main (protected branch hook declined)')).toBe(false);
    expect(
      isRetryablePushRejection(
        "remote: Permission to acme/credit.git denied to bot.\nfatal: unable to access 'https://github.com/acme/credit.git/': The requested URL returned error: 403",
      ),
    ).toBe(false);
  });

  it('two clones pushing at once both land: the loser fetches, re-applies on the new tip and retries', async () => {
    const { bare, clone } = remote();
    const a = clone('a');
    const b = clone('b');
    commitFile(a, 'a.txt', 'from a\n');
    commitFile(b, 'b.txt', 'from b\n');
    // Both are about to push before either has: one of them must be rejected (fetch first).
    let ready = 0;
    let release!: () => void;
    const both = new Promise<void>((r) => (release = r));
    const rejections: string[] = [];
    const barrier = async (p: PushAttempt) => {
      if (p.phase === 'rejected') rejections.push(p.detail ?? '');
      if (p.attempt === 1 && p.phase === 'committed') {
        if (++ready === 2) release();
        await both;
      }
    };
    const results = await Promise.all([push(a, { onAttempt: barrier }), push(b, { onAttempt: barrier })]);
    expect(results.map((r) => r.attempts).sort()).toEqual([1, 2]);
    expect(rejections).toHaveLength(1);
    expect(isRetryablePushRejection(rejections[0])).toBe(true);
    expect(git(bare, 'ls-tree', '--name-only', 'main').split('\n').sort()).toEqual(['a.txt', 'b.txt', 'shared.txt']);
    expect(git(bare, 'rev-list', '--merges', 'main')).toBe('');
  });

  it('retries when the server loses its ref-lock race (remote rejected, cannot lock ref)', async () => {
    const { bare, clone } = remote();
    const marker = join(bare, 'rejected-once');
    const hook = join(bare, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh\nif [ ! -f '${marker}' ]; then\n  touch '${marker}'\n  echo "error: cannot lock ref 'refs/heads/main': is at 1111111 but expected 2222222" >&2\n  exit 1\nfi\nexit 0\n`,
    );
    chmodSync(hook, 0o755);
    const a = clone('a');
    const head = commitFile(a, 'a.txt', 'from a\n');
    const phases: string[] = [];
    const r = await push(a, { onAttempt: (p) => void phases.push(`${p.attempt}:${p.phase}`) });
    expect(r).toEqual({ commit: head, attempts: 2 });
    expect(phases).toEqual(['1:committed', '1:rejected', '2:committed', '2:pushed']);
    expect(git(bare, 'rev-parse', 'main')).toBe(head);
  });

  it('gives up at once on a refusal retrying cannot fix', async () => {
    const { bare, clone } = remote();
    writeFileSync(
      join(bare, 'hooks', 'pre-receive'),
      '#!/bin/sh\necho "policy: pushes to main need a pull request" >&2\nexit 1\n',
    );
    chmodSync(join(bare, 'hooks', 'pre-receive'), 0o755);
    const a = clone('a');
    commitFile(a, 'a.txt', 'from a\n');
    let reapplied = false;
    await expect(
      push(a, {
        reapply: async () => {
          reapplied = true;
        },
      }),
    ).rejects.toThrow(
      /git push to origin main was refused and retrying would not help:[\s\S]*need a pull request[\s\S]*Nothing was pushed; the clone keeps its commit\./,
    );
    expect(reapplied).toBe(false);
  });

  it('a change that conflicts with the new tip is fatal and says so; nothing is pushed', async () => {
    const { bare, clone } = remote();
    const a = clone('a');
    const b = clone('b');
    commitFile(b, 'shared.txt', 'two (from b)\n');
    git(b, 'push', '-q', 'origin', 'main');
    const mine = commitFile(a, 'shared.txt', 'two (from a)\n');
    await expect(push(a)).rejects.toThrow(
      /cannot re-apply the test commit on top of origin\/main \(attempt 2\): our commits conflict with the new tip [0-9a-f]{7} in shared\.txt[\s\S]*Nothing was pushed; the clone keeps its commit\./,
    );
    expect(git(bare, 'show', 'main:shared.txt')).toBe('two (from b)');
    // The rebase was aborted: the clone is back on its own commit, clean.
    expect(git(a, 'rev-parse', 'HEAD')).toBe(mine);
    expect(git(a, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(a, 'shared.txt'), 'utf8')).toBe('two (from a)\n');
  });

  it('gives up after the attempts allowed, each one lost to another writer', async () => {
    const { clone } = remote();
    const a = clone('a');
    const other = clone('other');
    commitFile(a, 'a.txt', 'from a\n');
    let n = 0;
    await expect(
      push(a, {
        maxAttempts: 2,
        // Another writer lands before each of our pushes.
        onAttempt: (p) => {
          if (p.phase === 'committed') {
            commitFile(other, `o${++n}.txt`, 'x\n');
            git(other, 'push', '-q', 'origin', 'main');
          }
        },
      }),
    ).rejects.toThrow(/gave up after 2 attempts: every push to origin main lost a race with another writer/);
  });
});

describe('commit identity', () => {
  it('is github-actions[bot] unless told otherwise, and parses Name <email>', () => {
    expect(DEFAULT_AUTHOR).toEqual({
      name: 'github-actions[bot]',
      email: '41898282+github-actions[bot]@users.noreply.github.com',
    });
    expect(parseAuthor('Risk Team <risk@example.com>')).toEqual({ name: 'Risk Team', email: 'risk@example.com' });
    expect(parseAuthor('x <y>')).toBeNull();
  });
});
