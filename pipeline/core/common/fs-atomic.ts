/**
 * Writes that never leave a half-written file behind: write a temporary file in the
 * same folder, fsync it, then rename over the target (rename is atomic on POSIX).
 *
 * Every temporary file or folder is named `.<target name>.<pid>.<random>.tmp` (git-ignored
 * as `.*.tmp`), so a process killed half-way leaves one of those at most, and the next
 * write beside it removes the ones whose process is gone.
 */
import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

const TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** A fresh temporary name beside `path`, for a file or folder renamed onto `path` once complete. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Removes temporary files and folders in `dir` left by processes that are gone (killed
 * half-way through a write); `target` limits it to those of one file name.
 */
export function removeStaleTemps(dir: string, target?: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || (target !== undefined && m[1] !== target) || isRunning(Number(m[2]))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(dir, basename(path));
  const tmp = tempSibling(path);
  const fd = openSync(tmp, 'w');
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes `path` atomically as the bytes of the file `source` followed by `tail`, and returns
 * the sha256 of what it wrote. The source is streamed a megabyte at a time, never held in
 * memory (an ingested data set of millions of rows is the largest thing ingestion would
 * otherwise keep), and hashed as it is copied, so the new file is never read back for its digest.
 */
export function writeAppendedCopyAtomic(path: string, source: string, tail: Uint8Array): string {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(dir, basename(path));
  const tmp = tempSibling(path);
  const hash = createHash('sha256');
  try {
    const from = openSync(source, 'r');
    try {
      const to = openSync(tmp, 'w');
      try {
        // The copy keeps the source's permissions, as a file-system copy would.
        fchmodSync(to, fstatSync(from).mode & 0o7777);
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let n = readSync(from, buf); n > 0; n = readSync(from, buf)) {
          writeAll(to, buf.subarray(0, n));
          hash.update(buf.subarray(0, n));
        }
        writeAll(to, tail);
        hash.update(tail);
        fsyncSync(to);
      } finally {
        closeSync(to);
      }
    } finally {
      closeSync(from);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return hash.digest('hex');
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** The sha256 of a file's bytes, read a megabyte at a time. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
