/**
 * Building on another base image than the one the Dockerfile pins (a mirror, or a local
 * stand-in where no registry can be reached). The Dockerfile names its base in literal
 * `FROM` lines, pinned by digest, because that is the only form Dependabot reads and
 * bumps; so a different base is a rewritten copy of the Dockerfile passed with `--file`,
 * never a build argument. Trees released before the base was literal (`FROM ${NODE_IMAGE}`)
 * are rewritten the same way.
 */
import { configError, usageError } from '../../core/index.ts';

const FROM = /^(\s*FROM\s+)((?:--\S+\s+)*)(\S+)(.*)$/i;

/** `image` when it can stand in a FROM line, else a usage error naming the flag. */
export function checkBaseImage(image: string): string {
  if (!/^[a-z0-9][\w.\-/:@]*$/i.test(image))
    throw usageError(
      `--base-image must be an image reference like node:24-bookworm-slim (got ${JSON.stringify(image)})`,
    );
  return image;
}

/** The Dockerfile text with every `FROM` that names an image (not an earlier stage) on `image`. */
export function withBaseImage(dockerfile: string, image: string, where = 'Dockerfile'): string {
  checkBaseImage(image);
  const stages = new Set<string>();
  let rewritten = 0;
  const lines = dockerfile.split('\n').map((line) => {
    const m = FROM.exec(line);
    if (!m) return line;
    const [, from, flags, ref, rest] = m;
    const stage = /\s+AS\s+(\S+)/i.exec(rest)?.[1];
    const onStage = stages.has(ref.toLowerCase());
    if (stage) stages.add(stage.toLowerCase());
    if (onStage || ref.toLowerCase() === 'scratch') return line;
    rewritten++;
    return `${from}${flags}${image}${rest}`;
  });
  if (!rewritten) throw configError(`${where} has no FROM line naming a base image`);
  return lines.join('\n');
}
