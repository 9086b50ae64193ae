import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, withRegistryLock } from '../../pipeline/gitops/registry/lock.ts';
import { tmp, removeTemporaryFolders } from './helpers.ts';

afterAll(removeTemporaryFolders);

describe('registry lock within one checkout', () => {
  it('runs the change while holding the lock and releases it, even on error', () => {
    const dir = join(tmp('lock'), 'models');
    expect(withRegistryLock(dir, () => existsSync(join(dir, LOCK_FILE)))).toBe(true);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(() =>
      withRegistryLock(dir, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("waits for a live holder and then names the lock file; a dead holder's lock is taken over", () => {
    const dir = join(tmp('lock'), 'models');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, LOCK_FILE), String(process.pid));
    expect(() => withRegistryLock(dir, () => 1, 120)).toThrow(/\.registry\.lock is held by another mlops process/);
    writeFileSync(join(dir, LOCK_FILE), '2147483646');
    expect(withRegistryLock(dir, () => 2, 120)).toBe(2);
  });
});
