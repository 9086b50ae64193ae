/**
 * Where a command may write a file the user named (`--out FILE`): into a folder that
 * exists, and never onto one of the command's own inputs. Checked before any work, so a
 * typo costs a one-line error instead of a run's output or, worse, the input itself.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { usageError } from './errors.ts';

/** `path` resolved, refused when its folder is missing or when it is one of `inputs` (by any name or link). */
export function outputFile(path: string, inputs: readonly (string | null | undefined)[], flag = '--out'): string {
  const out = resolve(path);
  const dir = dirname(out);
  if (!existsSync(dir)) throw usageError(`${flag} ${path}: the folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw usageError(`${flag} ${path}: ${dir} is not a folder`);
  if (existsSync(out) && statSync(out).isDirectory())
    throw usageError(`${flag} ${path} is a folder; name a file to write`);
  const target = identity(out);
  for (const input of inputs) {
    if (!input) continue;
    const other = identity(resolve(input));
    if (other === target)
      throw usageError(
        `${flag} ${path} is also an input (${input}); writing it would destroy the input, choose another file`,
      );
  }
  return out;
}

/** What a path points at: the device and inode of an existing file, else its real path. */
function identity(p: string): string {
  if (existsSync(p)) {
    const s = statSync(p);
    return `inode:${s.dev}:${s.ino}`;
  }
  try {
    return `path:${join(realpathSync(dirname(p)), basename(p))}`;
  } catch {
    return `path:${p}`;
  }
}
