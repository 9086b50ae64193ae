/**
 * A lock file around each read-modify-write of the registry in one checkout, so two
 * `mlops` processes in the same folder cannot both take the next version number or drop
 * each other's history events. (Writers in different clones are serialised by git: see
 * commit.ts.)
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MlopsError } from '../../core/index.ts';

export const LOCK_FILE = '.registry.lock';

export function withRegistryLock<T>(dir: string, fn: () => T, timeoutMs = 15_000): T {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  let fd: number | null = null;
  while (fd === null) {
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (stale(path)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new MlopsError(
          'state',
          `${path} is held by another mlops process writing the registry; if none is running, delete the file`,
        );
      }
      // Synchronous wait: the registry write path is synchronous by design.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return fn();
  } finally {
    rmSync(path, { force: true });
  }
}

/** A lock left by a process that no longer exists. */
function stale(path: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
