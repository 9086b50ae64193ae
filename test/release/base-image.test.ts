import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBaseImage, withBaseImage } from '../../pipeline/gitops/release/base-image.ts';
import { ROOT } from '../helpers/cli.ts';

const PINNED = /^node:24-bookworm-slim@sha256:[0-9a-f]{64}$/;
const fromLines = (text: string): string[] => text.split('\n').filter((l) => /^FROM\s/i.test(l));

describe('the Dockerfile base', () => {
  it('is written out, pinned by digest, in every FROM line, where Dependabot reads and bumps it', () => {
    const lines = fromLines(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l.split(/\s+/)[1]).toMatch(PINNED);
    // An ARG-held base (FROM ${X}) is what Dependabot cannot update.
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).not.toMatch(/^FROM\s+\$/m);
    expect(new Set(lines.map((l) => l.split(/\s+/)[1])).size).toBe(1);
  });

  it('is replaced in a copy by --base-image: every FROM naming an image, never a stage', () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const out = withBaseImage(text, 'mirror.example/node:24-bookworm-slim');
    const lines = fromLines(out);
    expect(lines).toEqual([
      'FROM mirror.example/node:24-bookworm-slim AS verify',
      'FROM mirror.example/node:24-bookworm-slim',
    ]);
    // Only FROM lines change.
    expect(out.split('\n').filter((l) => !/^FROM\s/.test(l))).toEqual(
      text.split('\n').filter((l) => !/^FROM\s/.test(l)),
    );
  });

  it('rewrites trees released while the base was a build argument, and keeps flags and stage references', () => {
    const old = [
      'ARG NODE_IMAGE=node:24-bookworm-slim@sha256:' + 'a'.repeat(64),
      'FROM ${NODE_IMAGE} AS verify',
      'RUN true',
      'FROM --platform=linux/amd64 ${NODE_IMAGE} AS runtime',
      'from verify AS again',
      'FROM scratch',
      '  FROM Runtime',
    ].join('\n');
    expect(withBaseImage(old, 'local/node:24').split('\n')).toEqual([
      old.split('\n')[0],
      'FROM local/node:24 AS verify',
      'RUN true',
      'FROM --platform=linux/amd64 local/node:24 AS runtime',
      'from verify AS again',
      'FROM scratch',
      '  FROM Runtime',
    ]);
  });

  it('refuses a base that cannot stand in a FROM line, and a Dockerfile without one', () => {
    expect(() => checkBaseImage('node:24 AS x')).toThrow(/--base-image must be an image reference.*"node:24 AS x"/);
    expect(() => checkBaseImage('')).toThrow(/--base-image/);
    expect(() => withBaseImage('RUN true\n', 'node:24', 'tree/Dockerfile')).toThrow(
      /tree\/Dockerfile has no FROM line/,
    );
  });

  it('is replaced for the container test by the same rewrite (scripts/dockerfile-on-base.ts), not a second one', () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const run = (image: string): ReturnType<typeof spawnSync> =>
      spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'dockerfile-on-base.ts'), image], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const ok = run('node:24-bookworm-slim');
    expect(ok.status, String(ok.stderr)).toBe(0);
    expect(ok.stdout).toBe(withBaseImage(text, 'node:24-bookworm-slim'));
    expect(fromLines(String(ok.stdout))).toEqual([
      'FROM node:24-bookworm-slim AS verify',
      'FROM node:24-bookworm-slim',
    ]);
    const bad = run('node:24 AS x');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/must be an image reference/);
    // The script builds the copy this prints; no FROM line is rewritten in shell.
    const script = readFileSync(join(ROOT, 'scripts', 'container-test.sh'), 'utf8');
    expect(script).toMatch(/npx tsx scripts\/dockerfile-on-base\.ts "\$BASE_IMAGE" >"\$WORK\/Dockerfile"/);
    expect(script).not.toMatch(/s\|\^FROM/);
  }, 30_000);
});
