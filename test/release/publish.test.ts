/**
 * `mlops release publish` end to end on this machine, with one private Docker daemon for
 * the whole file: the real Dockerfile and `npm run build:service`, run in a worktree of
 * the commit that promoted each version, pushed to Debian's docker-registry behind a
 * token issuer (the GHCR handshake). Every docker command goes through a recording shim,
 * so "no build" is asserted, not assumed. Then rollback (a retag), the overlay pin from
 * the same status (`deploy render`), and `release pin` committing or preparing a pull
 * request.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { ROOT, runCli } from '../helpers/cli.ts';
import { gitSync, removeTemporaryFolders, sh, testConfig, tmp, trainRun, VARIANTS } from '../registry/helpers.ts';
import { OciClient, parseImageRef } from '../../pipeline/gitops/index.ts';
import { dockerdUnavailable, startDockerd, type Dockerd } from './dockerd.ts';
import { registryAvailable, startRegistry, type TestRegistry } from './oci-registry.ts';

const NODE_IMAGE = 'mlops-release-test/node:local';
const MODEL_LABEL = 'credit-risk-gitops.model.digest';

const skipReason =
  dockerdUnavailable() ??
  (registryAvailable() ? null : '/usr/bin/docker-registry is missing (apt-get install docker-registry)');
if (skipReason && process.env.CI) throw new Error(`the release publish tests must run in CI, but: ${skipReason}`);
if (skipReason) console.warn(`SKIPPING the release publish tests (they need a Docker daemon): ${skipReason}`);

// A build is npm run build:service plus docker build: about a minute on a loaded 2-core machine.
describe.skipIf(skipReason !== null)(
  'mlops release publish with a real Docker daemon and OCI registry',
  { timeout: 600_000 },
  () => {
    let dockerd: Dockerd;
    let reg: TestRegistry;
    let project: string;
    let remote: string;
    let image: string;
    const git = (...args: string[]): string => sh(project, 'git', args);
    const cli = (...args: string[]) => runCli(args, project);
    const publishArgs = (): string[] => [
      'release',
      'publish',
      '--image',
      image,
      '--base-image',
      NODE_IMAGE,
      '--network',
      'host',
    ];
    const registryJson = () => JSON.parse(readFileSync(join(project, 'models/registry.json'), 'utf8'));
    const digestOf = (v: number): string =>
      registryJson().models['credit-default'].versions.find((x: { version: number }) => x.version === v).digest;
    const client = () =>
      new OciClient(parseImageRef(image), { credentials: { username: 'bot', password: 'bot-token' } });
    const tagInfo = async (tag: string) => {
      const c = client();
      const m = await c.manifest(tag);
      return m ? { digest: m.digest, labels: await c.labels(m) } : null;
    };
    const builds = (): string[] => dockerd.invocations().filter((l) => l.startsWith('build '));

    beforeAll(async () => {
      [dockerd, reg] = await Promise.all([
        startDockerd(),
        startRegistry({ accounts: { bot: { password: 'bot-token', actions: ['pull', 'push'] } }, anonymous: [] }),
      ]);
      dockerd.makeNodeImage(NODE_IMAGE);
      image = `${reg.host}/credit-risk-scoring`;
      for (const [k, v] of Object.entries(dockerd.env)) vi.stubEnv(k, v);
      vi.stubEnv('REGISTRY_TOKEN', 'bot-token');
      vi.stubEnv('REGISTRY_USERNAME', 'bot');

      // The project as a user's clone: this checkout's files (tracked or new, not ignored), a bare origin.
      const base = tmp('release');
      project = join(base, 'project');
      remote = join(base, 'origin.git');
      const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
        cwd: ROOT,
        encoding: 'utf8',
      })
        .split('\0')
        .filter(Boolean);
      for (const f of files.filter((x) => existsSync(join(ROOT, x)))) {
        mkdirSync(dirname(join(project, f)), { recursive: true });
        cpSync(join(ROOT, f), join(project, f));
      }
      const config = JSON.parse(readFileSync(join(project, 'mlops.config.json'), 'utf8'));
      config.engine = { name: 'logistic', params: {} };
      config.release = { image, overlays: ['staging', 'production'], pin: 'commit' };
      writeFileSync(join(project, 'mlops.config.json'), JSON.stringify(config, null, 2) + '\n');
      symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
      git('init', '-q', '-b', 'main');
      writeFileSync(join(project, '.git/info/exclude'), '/node_modules\n');
      git('config', 'user.name', 'Release Test');
      git('config', 'user.email', 'release-test@example.com');
      git('config', 'commit.gpgsign', 'false');
      git('add', '-A');
      git('commit', '-q', '-m', 'project');
      gitSync(base, 'init', '-q', '--bare', '-b', 'main', remote);
      git('remote', 'add', 'origin', remote);
      git('push', '-q', 'origin', 'main');
      git('branch', '-q', '--set-upstream-to', 'origin/main');

      const v1 = await trainRun(project, tmp('run-v1'), testConfig());
      const p = await cli('promote', '--run', v1, '--actor', 'dev', '--push');
      expect(p.code, p.err).toBe(0);
    }, 600_000);

    afterAll(async () => {
      await Promise.all([dockerd?.stop(), reg?.stop()]);
      vi.unstubAllEnvs();
      removeTemporaryFolders();
    }, 120_000);

    it('status: v1 and champion missing', async () => {
      const r = await cli('release', 'status', '--json');
      expect(r.code, r.err).toBe(0);
      const plan = JSON.parse(r.out);
      expect(plan.versions[0]).toMatchObject({ version: 1, state: 'missing' });
      expect(plan.champion).toMatchObject({ version: 1, state: 'missing' });
    });

    it('publish builds v1 from its promotion commit, labels it, pushes it and points champion at it', async () => {
      const promotion = git('log', '-1', '--format=%H', '--', 'models/registry.json');
      const r = await runCli(publishArgs(), project);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`building ${image}:v1 from ${promotion.slice(0, 12)}`);
      expect(builds()).toHaveLength(1);
      const v1 = await tagInfo('v1');
      expect(v1!.labels).toMatchObject({
        [MODEL_LABEL]: digestOf(1),
        'credit-risk-gitops.model.version': '1',
        'org.opencontainers.image.revision': promotion,
        'org.opencontainers.image.version': 'v1',
      });
      expect(r.out).toContain(`pushed ${image}:v1 ${v1!.digest}`);
      expect((await tagInfo('champion'))!.digest).toBe(v1!.digest);
      // The image serves exactly v1's bundle.
      const served = dockerd.docker([
        'run',
        '--rm',
        '--network',
        'none',
        '--entrypoint',
        'node',
        `${image}:v1`,
        '-e',
        "const fs = require('fs'); const z = require('zlib'); process.stdout.write(fs.readFileSync('/app/model/model-version', 'utf8') + ' ' + JSON.parse(z.gunzipSync(fs.readFileSync('/app/model/model.json.gz'))).digest)",
      ]);
      expect(served).toBe(`1 ${digestOf(1)}`);
    });

    it('a second publish does nothing, runs no docker command, and says so', async () => {
      const before = dockerd.invocations().length;
      const r = await runCli(publishArgs(), project);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/Nothing published: the OCI registry already follows the registry \(no build\)/);
      expect(dockerd.invocations()).toHaveLength(before);
    });

    it('a new champion v2: only v2 is built and champion moves to it; v1 is untouched', async () => {
      const v1 = await tagInfo('v1');
      const run = await trainRun(project, tmp('run-v2'), testConfig(VARIANTS.twin));
      const p = await cli('promote', '--run', run, '--force', '--reason', 'twin', '--actor', 'dev', '--push');
      expect(p.code, p.err).toBe(0);
      const r = await runCli(publishArgs(), project);
      expect(r.code, r.err).toBe(0);
      expect(builds()).toHaveLength(2);
      expect(builds()[1]).toContain(`${image}:v2`);
      const v2 = await tagInfo('v2');
      expect(v2!.labels[MODEL_LABEL]).toBe(digestOf(2));
      expect(await tagInfo('v1')).toEqual(v1);
      expect((await tagInfo('champion'))!.digest).toBe(v2!.digest);
    });

    it('rollback moves champion to the existing v1 image (same digest), with no build', async () => {
      const v1 = await tagInfo('v1');
      const before = dockerd.invocations().length;
      const rb = await cli('rollback', '--to', 'v1', '--reason', 'v2 misbehaves', '--actor', 'dev', '--push');
      expect(rb.code, rb.err).toBe(0);
      const r = await runCli(publishArgs(), project);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`champion → ${v1!.digest}`);
      expect(dockerd.invocations()).toHaveLength(before);
      expect((await tagInfo('champion'))!.digest).toBe(v1!.digest);
    });

    it('deploy render pins the champion image digest from the same status', async () => {
      const v1 = await tagInfo('v1');
      const r = await cli('deploy', 'render', '--env', 'production');
      expect(r.code, r.err).toBe(0);
      const file = join(project, 'deploy/k8s/overlays/production/kustomization.yaml');
      const images = YAML.parse(readFileSync(file, 'utf8')).images;
      expect(images).toEqual([{ name: 'ghcr.io/owner/credit-risk-gitops', newName: image, digest: v1!.digest }]);
      git('checkout', '--', 'deploy');
    });

    it('release pin --push commits the pin in every overlay and pushes it; a second pin changes nothing', async () => {
      const v1 = await tagInfo('v1');
      const r = await cli('release', 'pin', '--push');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/pinned .* in staging, production\ncommit [0-9a-f]{12} pushed/);
      const pushed = gitSync(remote, 'show', 'main:deploy/k8s/overlays/staging/kustomization.yaml');
      expect(YAML.parse(pushed).images[0].digest).toBe(v1!.digest);
      expect(gitSync(remote, 'log', '-1', '--format=%s', 'main')).toMatch(
        /^deploy: pin credit-default v1 image sha256:/,
      );
      expect(git('diff', '--name-only', 'HEAD', '--', 'deploy/k8s/overlays')).toBe('');
      const again = await cli('release', 'pin', '--push');
      expect(again.out).toMatch(/^Nothing to pin: staging, production already pin /);
    });

    it('with release.pin: pull-request, pin pushes the pin branch and returns the pull request, leaving main alone', async () => {
      const cfgFile = join(project, 'mlops.config.json');
      const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
      cfg.release.pin = 'pull-request';
      writeFileSync(cfgFile, JSON.stringify(cfg, null, 2) + '\n');
      git('commit', '-qam', 'pin through pull requests');
      git('push', '-q', 'origin', 'main');
      const rb = await cli('rollback', '--to', 'v2', '--reason', 'v2 fixed', '--actor', 'dev', '--push');
      expect(rb.code, rb.err).toBe(0);
      const before = builds().length;
      expect((await runCli(publishArgs(), project)).code).toBe(0);
      expect(builds()).toHaveLength(before);
      const v2 = await tagInfo('v2');
      const mainBefore = gitSync(remote, 'rev-parse', 'main');
      const r = await cli('release', 'pin', '--push', '--json');
      expect(r.code, r.err).toBe(0);
      const out = JSON.parse(r.out);
      expect(out).toMatchObject({
        version: 2,
        digest: v2!.digest,
        changed: ['staging', 'production'],
        pushed: true,
        pullRequest: { head: 'mlops/pin', base: 'main' },
      });
      expect(out.pullRequest.title).toMatch(/^deploy: pin credit-default v2 image sha256:/);
      expect(gitSync(remote, 'rev-parse', 'main')).toBe(mainBefore);
      const onBranch = gitSync(remote, 'show', 'mlops/pin:deploy/k8s/overlays/production/kustomization.yaml');
      expect(YAML.parse(onBranch).images[0].digest).toBe(v2!.digest);
      expect(gitSync(remote, 'rev-parse', 'mlops/pin^')).toBe(git('rev-parse', 'HEAD'));
      expect(git('status', '--porcelain', '--', 'deploy')).toBe('');
    });
  },
);
