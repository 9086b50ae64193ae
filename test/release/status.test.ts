/**
 * `mlops release status` (and the publish steps that need no Docker daemon) against a
 * real OCI registry: Debian's docker-registry with `auth: token` and a token issuer on
 * 127.0.0.1, so every request goes through the Bearer handshake GHCR uses.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { projectDir, removeTemporaryFolders, testConfig, tmp, trainRun, VARIANTS } from '../registry/helpers.ts';
import { pushLabelledImage, registryAvailable, startRegistry, type TestRegistry } from './oci-registry.ts';

const MODEL_LABEL = 'credit-risk-gitops.model.digest';
const REPO = 'credit-risk-scoring';

const skipReason = registryAvailable() ? null : '/usr/bin/docker-registry is missing (apt-get install docker-registry)';
if (skipReason && process.env.CI) throw new Error(`release tests cannot run in CI: ${skipReason}`);
if (skipReason) console.warn(`SKIPPING the release status tests: ${skipReason}`);

describe.skipIf(skipReason !== null)('mlops release status against a token-auth OCI registry', () => {
  let reg: TestRegistry;
  let project: string;
  let runs: { v1: string; v2: string };

  const digestOf = (version: number): string => {
    const r = JSON.parse(readFileSync(join(project, 'models/registry.json'), 'utf8'));
    return r.models['credit-default'].versions.find((v: { version: number }) => v.version === version).digest;
  };
  const image = (): string => `${reg.host}/${REPO}`;

  beforeAll(async () => {
    reg = await startRegistry({
      accounts: {
        bot: { password: 'bot-token', actions: ['pull', 'push'] },
        reader: { password: 'reader-token', actions: ['pull'] },
        outsider: { password: 'outsider-token', actions: 'forbidden' },
      },
    });
    project = projectDir();
    runs = {
      v1: await trainRun(project, tmp('run-v1'), testConfig()),
      v2: await trainRun(project, tmp('run-v2'), testConfig(VARIANTS.twin)),
    };
    expect((await runCli(['promote', '--run', runs.v1, '--actor', 'dev'], project)).code).toBe(0);
  });
  afterAll(async () => {
    await reg?.stop();
    removeTemporaryFolders();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('lists the champion as missing against an empty registry (exit 0)', async () => {
    const r = await runCli(['release', 'status', '--image', image(), '--json'], project);
    expect(r.code, r.err).toBe(0);
    const plan = JSON.parse(r.out);
    expect(plan.image).toBe(image());
    expect(plan.versions).toEqual([
      { version: 1, tag: 'v1', state: 'missing', modelDigest: digestOf(1), imageDigest: null, labelDigest: null },
    ]);
    expect(plan.champion).toMatchObject({ version: 1, state: 'missing', digest: null });
    expect(plan.actions).toEqual([
      { kind: 'build', version: 1, tag: 'v1', modelDigest: digestOf(1) },
      { kind: 'retag', tag: 'champion', version: 1, from: 'v1' },
    ]);
    const text = await runCli(['release', 'status', '--image', image()], project);
    expect(text.out).toMatch(/v1\s+missing \(model sha256:[0-9a-f]{64}\)/);
    expect(text.out).toMatch(/champion\s+missing \(should point at v1\)/);
    // Anonymous pulls went through the token handshake.
    expect(reg.tokenRequests.some((t) => t.account === null && t.scopes[0] === `repository:${REPO}:pull`)).toBe(true);
  });

  it('fails naming both digests when a pushed v1 carries another model (exit 1), and publish refuses to touch it', async () => {
    const other = `sha256:${'e'.repeat(64)}`;
    const pushed = await pushLabelledImage(reg, `${REPO}-conflict`, 'v1', { [MODEL_LABEL]: other });
    const r = await runCli(['release', 'status', '--image', `${image()}-conflict`], project);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`CONFLICT ${pushed}`);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toContain(other);
    expect(r.err).toContain(digestOf(1));
    expect(r.err).toMatch(/never overwritten/);
    vi.stubEnv('REGISTRY_TOKEN', 'bot-token');
    vi.stubEnv('REGISTRY_USERNAME', 'bot');
    const p = await runCli(['release', 'publish', '--image', `${image()}-conflict`], project);
    expect(p.code).toBe(1);
    expect(p.err).toContain(other);
    const after = await runCli(['release', 'status', '--image', `${image()}-conflict`, '--json'], project);
    expect(JSON.parse(after.out).versions[0].imageDigest).toBe(pushed);
  });

  it('moves champion by a manifest PUT, never a build, when the images exist (rollback)', async () => {
    const repo = `${REPO}-rollback`;
    const v1 = await pushLabelledImage(reg, repo, 'v1', { [MODEL_LABEL]: digestOf(1) });
    vi.stubEnv('REGISTRY_TOKEN', 'bot-token');
    vi.stubEnv('REGISTRY_USERNAME', 'bot');
    let r = await runCli(['release', 'publish', '--image', `${reg.host}/${repo}`, '--json'], project);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ built: [], championMovedTo: v1 });

    const forced = await runCli(
      ['promote', '--run', runs.v2, '--force', '--reason', 'twin for the rollback test', '--actor', 'dev'],
      project,
    );
    expect(forced.code, forced.err).toBe(0);
    const v2 = await pushLabelledImage(reg, repo, 'v2', { [MODEL_LABEL]: digestOf(2) });
    r = await runCli(['release', 'publish', '--image', `${reg.host}/${repo}`, '--json'], project);
    expect(JSON.parse(r.out)).toMatchObject({ built: [], championMovedTo: v2 });

    expect(
      (await runCli(['rollback', '--to', 'v1', '--reason', 'v2 misbehaves', '--actor', 'dev'], project)).code,
    ).toBe(0);
    r = await runCli(['release', 'publish', '--image', `${reg.host}/${repo}`, '--json'], project);
    const out = JSON.parse(r.out);
    expect(out.built).toEqual([]);
    expect(out.championMovedTo).toBe(v1);
    expect(out.after.champion).toMatchObject({ version: 1, state: 'current', digest: v1, pointsAt: 1 });

    r = await runCli(['release', 'publish', '--image', `${reg.host}/${repo}`], project);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Nothing published: the OCI registry already follows the registry \(no build\)/);
    // Back to v2 for the other tests' registry state.
    expect((await runCli(['rollback', '--to', 'v2', '--reason', 'restore', '--actor', 'dev'], project)).code).toBe(0);
  });

  it('401 from the registry: a one-line error naming packages: write', async () => {
    reg.anonymous = [];
    try {
      const r = await runCli(['release', 'status', '--image', image()], project);
      expect(r.code).toBe(1);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/refused to read .* \(HTTP 401: UNAUTHORIZED/);
      expect(r.err).toContain('packages: write');
    } finally {
      reg.anonymous = ['pull'];
    }
  });

  it('403 from the token service: a one-line error naming packages: write', async () => {
    vi.stubEnv('REGISTRY_TOKEN', 'outsider-token');
    vi.stubEnv('REGISTRY_USERNAME', 'outsider');
    const r = await runCli(['release', 'status', '--image', image()], project);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/\(HTTP 403: token has no access to packages\)/);
    expect(r.err).toContain('packages: write');
  });

  it('a read-only token cannot move champion: the push is refused naming packages: write', async () => {
    const repo = `${REPO}-readonly`;
    const v2 = await pushLabelledImage(reg, repo, 'v2', { [MODEL_LABEL]: digestOf(2) });
    await pushLabelledImage(reg, repo, 'v1', { [MODEL_LABEL]: digestOf(1) });
    vi.stubEnv('REGISTRY_TOKEN', 'reader-token');
    vi.stubEnv('REGISTRY_USERNAME', 'reader');
    const r = await runCli(['release', 'publish', '--image', `${reg.host}/${repo}`], project);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/refused to push to .*-readonly \(HTTP 401/);
    expect(r.err).toContain('packages: write');
    expect(v2).toMatch(/^sha256:/);
  });

  it('an unreachable registry: a one-line error', async () => {
    const port = await new Promise<number>((ok) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
    });
    const r = await runCli(['release', 'status', '--image', `127.0.0.1:${port}/${REPO}`], project);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/cannot reach the registry 127\.0\.0\.1:\d+ \(http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\)/);
  });

  it('an image reference without a registry host, or with a tag: a usage error (exit 2)', async () => {
    let r = await runCli(['release', 'status', '--image', REPO], project);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/names no registry host; write it in full, e\.g\. ghcr\.io\/<owner>\/<repo>/);
    r = await runCli(['release', 'status', '--image', `${image()}:v1`], project);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/carries a tag/);
  });

  it('a registry file that does not verify: a one-line error, nothing asked of the OCI registry', async () => {
    const file = join(project, 'models/registry.json');
    const good = readFileSync(file, 'utf8');
    const before = reg.tokenRequests.length;
    try {
      // Every mention changes, so versions and history agree and the bundle check is what fails.
      writeFileSync(file, good.replaceAll(digestOf(1), `sha256:${'0'.repeat(64)}`));
      const r = await runCli(['release', 'status', '--image', image()], project);
      expect(r.code).toBe(1);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(
        /registry\.json: models\.credit-default\.versions\[0\] \(v1\): bundle digest does not match/,
      );
      expect(reg.tokenRequests.length).toBe(before);
    } finally {
      writeFileSync(file, good);
    }
  });
});
