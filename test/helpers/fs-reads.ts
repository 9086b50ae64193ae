/**
 * Counts the bytes read from chosen files, for tests that pin how often a command reads
 * its inputs. A test file mocks node:fs with the wrapper (vi.mock is per file):
 *
 *   vi.mock('node:fs', async (original) => (await import('../helpers/fs-reads.ts')).countingFs(await original()));
 *
 * then sets `reads.match` to a test of file names and reads `reads.bytes`.
 */
import type * as Fs from 'node:fs';

export const reads = {
  /** Which files count, by base name; null counts none. */
  match: null as ((name: string) => boolean) | null,
  bytes: 0,
  fds: new Set<number>(),
};

const counted = (p: unknown): boolean =>
  reads.match !== null && typeof p === 'string' && reads.match(p.split(/[\\/]/).pop() ?? '');

export function countingFs(fs: typeof Fs): typeof Fs {
  const wrapped = {
    ...fs,
    openSync: ((...args: unknown[]) => {
      const fd = Reflect.apply(fs.openSync, fs, args) as number;
      if (counted(args[0])) reads.fds.add(fd);
      else reads.fds.delete(fd);
      return fd;
    }) as typeof fs.openSync,
    readSync: ((...args: unknown[]) => {
      const n = Reflect.apply(fs.readSync, fs, args) as number;
      if (reads.fds.has(args[0] as number)) reads.bytes += n;
      return n;
    }) as typeof fs.readSync,
    readFileSync: ((...args: unknown[]) => {
      const out = Reflect.apply(fs.readFileSync, fs, args) as Buffer | string;
      if (counted(args[0])) reads.bytes += out.length;
      return out;
    }) as typeof fs.readFileSync,
    copyFileSync: ((...args: unknown[]) => {
      if (counted(args[0])) reads.bytes += fs.statSync(args[0] as string).size;
      Reflect.apply(fs.copyFileSync, fs, args);
    }) as typeof fs.copyFileSync,
  };
  return { ...wrapped, default: wrapped } as typeof Fs;
}
