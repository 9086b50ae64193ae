/**
 * The release loop end to end, on this machine, as GitHub would run it: the workflow files
 * themselves are replayed job by job (test/helpers/workflow-replay.ts: `needs:`, `if:`,
 * environments, called workflows, the bundled actions as the runner starts them, run:
 * steps in bash), against a bare git remote (the repository), the REST double (pull
 * requests, comments, environment reviews), Debian's docker-registry behind a token issuer
 * (GHCR's handshake) and one private dockerd for the whole file. GitHub's own rules are
 * applied where the replay cannot see them: a push made with GITHUB_TOKEN starts no
 * workflow, so after one only a scheduled, post-retraining or manual reconcile runs.
 *
 *   (a) pull request → train → comment
 *   (b) merge → v2 promoted → v2 pushed, champion moved, overlays pinned, sign-off recorded;
 *       the bot's state-only commits would not retrain (loop guard) and leave nothing to do
 *   (c) direct-mode retraining pushes v3, no CI run; (d) the reconcile after it is cancelled
 *       while building → v3 missing, nothing half-published; the next run publishes v3
 *   (e) another run → nothing to do, no build
 *   (f) rollback to v2 → champion is v2's image again, no build
 *
 * Every step checks the registry on the remote, the tags, their digests and the model label.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { OciClient, parseImageRef } from '../../pipeline/gitops/index.ts';
import { GitHubDouble } from '../actions/github-double.ts';
import { ROOT, runCli } from '../helpers/cli.ts';
import { jobTable, WorkflowReplay, type ReplayEvent, type WorkflowResult } from '../helpers/workflow-replay.ts';
import { gitSync, removeTemporaryFolders, sh, tmp, VARIANTS, testConfig } from '../registry/helpers.ts';
import { dockerdUnavailable, startDockerd, type Dockerd } from './dockerd.ts';
import { pushLabelledImage, registryAvailable, startRegistry, type TestRegistry } from './oci-registry.ts';

const NODE_IMAGE = 'mlops-release-loop/node:local';
const MODEL_LABEL = 'credit-risk-gitops.model.digest';
const REPO = 'acme/credit-model';
const PR = 12;

const skipReason =
  dockerdUnavailable() ??
  (registryAvailable() ? null : '/usr/bin/docker-registry is missing (apt-get install docker-registry)');
if (skipReason && process.env.CI) throw new Error(`the release loop test must run in CI, but: ${skipReason}`);
if (skipReason) console.warn(`SKIPPING the release loop test (it needs a Docker daemon): ${skipReason}`);

type History = { event: string; version: number | null; actor: string; reason: string }[];

describe.skipIf(skipReason !== null)('the release loop, replayed from the workflow files', { timeout: 900_000 }, () => {
  let dockerd: Dockerd;
  let reg: TestRegistry;
  let gh: GitHubDouble;
  let replay: WorkflowReplay;
  let remote: string;
  let human: string;
  let image: string;
  /** What the release environment's reviewer answers; null = no one reviews. */
  let reviewer = 'approved' as 'approved' | 'rejected' | null;
  /** While set, a run is cancelled as soon as docker builds this tag. */
  let cancelOnBuildOf: string | null = null;
  /** The pull request's ci run, which the comment job looks up. */
  let ciRunId = 0;
  /** main after the merge, before the bot's commits. */
  let merged = '';

  const git = (...args: string[]): string => sh(human, 'git', args);
  const remoteRegistry = () =>
    JSON.parse(gitSync(remote, 'show', 'main:models/registry.json')).models['credit-default'] as {
      aliases: { champion: number | null };
      versions: { version: number; digest: string }[];
      history: History;
    };
  const digestOf = (v: number): string => remoteRegistry().versions.find((x) => x.version === v)!.digest;
  const client = () => new OciClient(parseImageRef(image), { credentials: { username: 'bot', password: 'bot-token' } });
  const tagInfo = async (tag: string) => {
    const c = client();
    const m = await c.manifest(tag);
    return m ? { digest: m.digest, labels: await c.labels(m) } : null;
  };
  const builds = (): string[] => dockerd.invocations().filter((l) => l.startsWith('build '));
  const pinned = (overlay: string): string =>
    YAML.parse(gitSync(remote, 'show', `main:deploy/k8s/overlays/${overlay}/kustomization.yaml`)).images[0].digest;
  const mainSha = (): string => gitSync(remote, 'rev-parse', 'main');
  const push = (before: string, actor = 'dev'): ReplayEvent => ({
    event_name: 'push',
    ref: 'refs/heads/main',
    sha: mainSha(),
    actor,
    event: { ref: 'refs/heads/main', before, after: mainSha() },
  });
  const schedule = (): ReplayEvent => ({
    event_name: 'schedule',
    ref: 'refs/heads/main',
    sha: mainSha(),
    event: { schedule: '41 */6 * * *' },
  });
  /** A run that must succeed; on failure the assertion shows every job's steps and the end of failed logs. */
  const expectSuccess = (r: WorkflowResult): void => {
    expect(r.conclusion, Object.values(r.jobs).map(jobTable).join('\n')).toBe('success');
  };
  const ran = (r: WorkflowResult): string[] =>
    Object.entries(r.jobs)
      .filter(([, j]) => j.result !== 'skipped')
      .map(([id]) => id);

  beforeAll(async () => {
    [dockerd, reg] = await Promise.all([
      startDockerd({ buildFlags: ['--network', 'host'] }),
      startRegistry({ accounts: { bot: { password: 'bot-token', actions: ['pull', 'push'] } }, anonymous: [] }),
    ]);
    dockerd.makeNodeImage(NODE_IMAGE);
    image = `${reg.host}/credit-risk-scoring`;
    gh = new GitHubDouble({ owner: 'acme', repo: 'credit-model' });
    await gh.start();

    // The repository: this checkout's files (tracked or new, not ignored) with the logistic
    // engine on a weak feature set, and a batch of new rows waiting in data/incoming/.
    const base = tmp('loop');
    const seed = join(base, 'seed');
    remote = join(base, 'origin.git');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\0')
      .filter(Boolean);
    for (const f of files.filter((x) => existsSync(join(ROOT, x)))) {
      mkdirSync(dirname(join(seed, f)), { recursive: true });
      cpSync(join(ROOT, f), join(seed, f));
    }
    const config = JSON.parse(readFileSync(join(seed, 'mlops.config.json'), 'utf8'));
    config.engine = { name: 'logistic', params: {} };
    config.data.drop = testConfig(VARIANTS.weak).data.drop;
    config.retrain = { promotion: 'direct' };
    writeFileSync(join(seed, 'mlops.config.json'), JSON.stringify(config, null, 2) + '\n');
    // New rows whose label follows the amount: a retrained model learns it, the champion cannot.
    const [header, ...rows] = readFileSync(join(seed, 'data/credit_data.csv'), 'utf8').trim().split('\n');
    const amount = header.split(',').indexOf('Amount');
    const relabelled = rows.slice(0, 2000).map((r) => {
      const cells = r.split(',');
      cells[0] = Number(cells[amount]) > 1000 ? 'bad' : 'good';
      return cells.join(',');
    });
    mkdirSync(join(seed, 'data/incoming'), { recursive: true });
    writeFileSync(join(seed, 'data/incoming/batch-2026-11.csv'), [header, ...relabelled].join('\n') + '\n');
    gitSync(base, 'init', '-q', '--bare', '-b', 'main', remote);
    gitSync(seed, 'init', '-q', '-b', 'main');
    gitSync(seed, 'add', '-A');
    gitSync(seed, '-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-q', '-m', 'project');
    gitSync(seed, 'push', '-q', remote, 'main');
    human = join(base, 'human');
    gitSync(base, 'clone', '-q', remote, human);
    git('config', 'user.name', 'Dev');
    git('config', 'user.email', 'dev@example.com');

    // v1, the champion so far, trained on the weak feature set, and its image.
    const v1 = await runCli(['run', '--quiet', '--actor', 'dev'], human);
    expect(v1.code, v1.err).toBe(0);
    git('add', '-A');
    git('commit', '-q', '-m', 'registry: promote credit-default v1');
    git('push', '-q', 'origin', 'main');

    replay = new WorkflowReplay({
      work: join(base, 'runner'),
      node: process.execPath,
      gh,
      repository: REPO,
      remote,
      workflows: join(ROOT, '.github', 'workflows'),
      env: dockerd.env,
      vars: { MLOPS_IMAGE: image, MLOPS_REGISTRY_USERNAME: 'bot', MLOPS_BASE_IMAGE: NODE_IMAGE },
      secrets: { MLOPS_REGISTRY_TOKEN: 'bot-token' },
      // setup-node's npm cache and npm ci, as this checkout installed them (same lockfile).
      script: (run) => run.replace(/^npm ci\b.*$/m, `ln -s '${join(ROOT, 'node_modules')}' node_modules`),
      ghStep: () => ({ 'ci-id': String(ciRunId), 'ci-status': 'completed', 'checks-id': '', 'checks-status': '' }),
      beforeJob: ({ runId, environment }) => {
        if (!environment || reviewer === null) return;
        gh.addApproval(runId, environment, 'risk-officer', reviewer, 'back-test reviewed');
        return reviewer === 'rejected' ? 'reject' : undefined;
      },
      cancel: () => cancelOnBuildOf !== null && builds().some((b) => b.includes(`${image}:${cancelOnBuildOf}`)),
    });
    // v1's image, pushed before (a stand-in labelled with v1's model): reconcile points champion at it and pins it.
    const v1Image = await pushLabelledImage(reg, 'credit-risk-scoring', 'v1', { [MODEL_LABEL]: digestOf(1) });
    const first = await replay.run('reconcile.yml', { ...schedule(), event_name: 'workflow_dispatch', event: {} });
    expectSuccess(first);
    expect(builds()).toEqual([]);
    expect((await tagInfo('champion'))!.digest).toBe(v1Image);
    expect(pinned('production')).toBe(v1Image);
  }, 900_000);

  afterAll(async () => {
    await Promise.all([dockerd?.stop(), reg?.stop(), gh?.close()]);
    removeTemporaryFolders();
  }, 120_000);

  it('(a) a pull request trains, compares with the champion and gets its comment', async () => {
    git('checkout', '-q', '-b', 'all-features');
    const cfg = JSON.parse(readFileSync(join(human, 'mlops.config.json'), 'utf8'));
    cfg.data.drop = [];
    writeFileSync(join(human, 'mlops.config.json'), JSON.stringify(cfg, null, 2) + '\n');
    git('commit', '-qam', 'Use every feature');
    git('push', '-q', 'origin', 'all-features');
    const head = git('rev-parse', 'HEAD');
    gh.addPull(PR, head);
    const event: ReplayEvent = {
      event_name: 'pull_request',
      ref: `refs/pull/${PR}/merge`,
      sha: head,
      base_ref: 'main',
      head_ref: 'all-features',
      event: {
        number: PR,
        pull_request: { number: PR, head: { sha: head, ref: 'all-features' }, base: { ref: 'main' } },
      },
    };
    const before = mainSha();
    const ci = await replay.run('ci.yml', event);
    expectSuccess(ci);
    expect(ran(ci)).toEqual(['train']);
    expect(ci.jobs.train.outputs).toMatchObject({ decision: 'promote', promote: 'true' });
    ciRunId = ci.runId;
    const comment = await replay.run('pr-comment.yml', {
      event_name: 'workflow_run',
      ref: 'refs/heads/main',
      sha: before,
      event: {
        workflow_run: {
          id: ci.runId,
          head_sha: head,
          event: 'pull_request',
          conclusion: 'success',
          head_branch: 'all-features',
          head_repository: { full_name: REPO },
        },
      },
    });
    expectSuccess(comment);
    const posted = gh.comments.get(PR) ?? [];
    expect(posted).toHaveLength(1);
    expect(posted[0].body).toContain('<!-- credit-risk-gitops:pr-report -->');
    expect(posted[0].body).toMatch(/promote/i);
    // A pull request changes nothing: registry, images and remote are as they were.
    expect(mainSha()).toBe(before);
    expect(remoteRegistry().aliases.champion).toBe(1);
    expect(await tagInfo('v2')).toBeNull();
  });

  it('(b) the merge promotes v2: v2 pushed with its model label, champion moved, overlays pinned, sign-off recorded', async () => {
    const before = mainSha();
    git('checkout', '-q', 'main');
    git('pull', '-q', '--ff-only', 'origin', 'main');
    git('merge', '-q', '--no-ff', '--no-edit', 'all-features');
    git('push', '-q', 'origin', 'main');
    merged = mainSha();
    const buildsBefore = builds().length;
    // The test suite (checks.yml) is not replayed here: it passed.
    const ci = await replay.run('ci.yml', push(before), { stub: { checks: 'success' } });
    expectSuccess(ci);
    expect(ci.jobs.guard.outputs['state-only']).toBe('false');
    expect(ci.jobs.register.result).toBe('success');
    expect(ci.jobs['reconcile/reconcile'].environment).toBe('production');

    const registry = remoteRegistry();
    expect(registry.aliases.champion).toBe(2);
    expect(registry.history.map((h) => `${h.event} v${h.version}`)).toEqual(
      expect.arrayContaining(['promoted v2', 'signed_off v2']),
    );
    expect(registry.history.find((h) => h.event === 'signed_off' && h.version === 2)!.actor).toBe('risk-officer');
    expect(builds().slice(buildsBefore)).toHaveLength(1);
    const v2 = (await tagInfo('v2'))!;
    expect(v2.labels[MODEL_LABEL]).toBe(digestOf(2));
    // Built from the registry commit that promoted v2.
    const promotion = gitSync(remote, 'log', '--format=%H', '-1', '--grep', 'promote credit-default v2', 'main');
    expect(v2.labels['org.opencontainers.image.revision']).toBe(promotion);
    expect((await tagInfo('champion'))!.digest).toBe(v2.digest);
    expect((await tagInfo('v1'))!.labels[MODEL_LABEL]).toBe(digestOf(1));
    expect(pinned('production')).toBe(v2.digest);
    expect(pinned('staging')).toBe(v2.digest);
  });

  it('(b) the bot commits that recorded it change only state: with an App token they start CI, which neither trains nor rebuilds', async () => {
    const head = mainSha();
    expect(gitSync(remote, 'rev-list', '--count', `${merged}..main`)).not.toBe('0');
    const invocations = dockerd.invocations().length;
    const ci = await replay.run('ci.yml', push(merged, 'mlops-bot[bot]'), { stub: { checks: 'success' } });
    expectSuccess(ci);
    expect(ci.jobs.guard.outputs['state-only']).toBe('true');
    expect(ci.jobs.train.result).toBe('skipped');
    expect(ci.jobs.register.result).toBe('skipped');
    expect(ci.jobs['reconcile/status'].outputs.todo).toBe('false');
    expect(ci.jobs['reconcile/reconcile'].result).toBe('skipped');
    expect(mainSha()).toBe(head);
    expect(dockerd.invocations()).toHaveLength(invocations);
  });

  it('(c, d) direct retraining pushes v3 with no CI run; the reconcile after it, cancelled while building, loses nothing: the next run publishes v3', async () => {
    const v2 = (await tagInfo('v2'))!;
    const retrain = await replay.run('retrain.yml', {
      event_name: 'workflow_dispatch',
      ref: 'refs/heads/main',
      sha: mainSha(),
      event: { inputs: { force: false, promotion: 'direct' } },
      inputs: { force: false, promotion: 'direct' },
    });
    expectSuccess(retrain);
    expect(retrain.jobs.retrain.steps.find((s) => s.name === 'Retrain and publish a winner')!.outcome).toBe('success');
    expect(remoteRegistry().aliases.champion).toBe(3);
    // Pushed with GITHUB_TOKEN: GitHub starts no workflow for it, so nothing published v3.
    expect(await tagInfo('v3')).toBeNull();
    expect((await tagInfo('champion'))!.digest).toBe(v2.digest);

    // retrain completed → reconcile.yml (workflow_run), cancelled while v3 is being built.
    const buildsBefore = builds().length;
    cancelOnBuildOf = 'v3';
    let cancelled: WorkflowResult;
    try {
      cancelled = await replay.run('reconcile.yml', {
        event_name: 'workflow_run',
        ref: 'refs/heads/main',
        sha: mainSha(),
        event: { workflow_run: { id: retrain.runId, conclusion: 'success', event: 'workflow_dispatch' } },
      });
    } finally {
      cancelOnBuildOf = null;
    }
    expect(cancelled.conclusion).toBe('cancelled');
    expect(builds().slice(buildsBefore)).toHaveLength(1);
    expect(await tagInfo('v3')).toBeNull();
    expect((await tagInfo('champion'))!.digest).toBe(v2.digest);
    expect(pinned('production')).toBe(v2.digest);

    const signOffs = (): number =>
      remoteRegistry().history.filter((h) => h.event === 'signed_off' && h.version === 3).length;
    // The cancelled run's sign-off step ran before publishing: the approval stands.
    expect(signOffs()).toBe(1);

    // The next run (here the schedule) catches up. Its environment asks no reviewer (none
    // configured): nothing more is recorded and the release goes ahead.
    reviewer = null;
    let next: WorkflowResult;
    try {
      next = await replay.run('reconcile.yml', schedule());
    } finally {
      reviewer = 'approved';
    }
    expectSuccess(next);
    expect(signOffs()).toBe(1);
    expect(builds().slice(buildsBefore)).toHaveLength(2);
    const v3 = (await tagInfo('v3'))!;
    expect(v3.labels[MODEL_LABEL]).toBe(digestOf(3));
    expect(v3.labels['credit-risk-gitops.model.version']).toBe('3');
    expect((await tagInfo('champion'))!.digest).toBe(v3.digest);
    expect(await tagInfo('v2')).toEqual(v2);
    expect(pinned('production')).toBe(v3.digest);
  });

  it('(e) a run with everything in place does nothing: no reviewer asked, no build, no commit', async () => {
    const head = mainSha();
    const invocations = dockerd.invocations().length;
    const approvals = gh.approvals.size;
    const r = await replay.run('reconcile.yml', { ...schedule(), event_name: 'workflow_dispatch', event: {} });
    expectSuccess(r);
    expect(r.jobs.status.outputs.todo).toBe('false');
    expect(ran(r)).toEqual(['status']);
    expect(dockerd.invocations()).toHaveLength(invocations);
    expect(gh.approvals.size).toBe(approvals);
    expect(mainSha()).toBe(head);
  });

  it('(f) rollback to v2: champion is v2’s image again, pinned, with no build', async () => {
    const v2 = (await tagInfo('v2'))!;
    const v3 = (await tagInfo('v3'))!;
    git('pull', '-q', '--ff-only', 'origin', 'main');
    const before = mainSha();
    const rb = await runCli(['rollback', '--to', 'v2', '--reason', 'v3 misprices small loans', '--push'], human);
    expect(rb.code, rb.err).toBe(0);
    const buildsBefore = builds().length;

    // The model-risk reviewer rejects this release: the job never starts, the job after it records the rejection.
    reviewer = 'rejected';
    let ci: WorkflowResult;
    try {
      ci = await replay.run('ci.yml', push(before), { stub: { checks: 'success' } });
    } finally {
      reviewer = 'approved';
    }
    expect(ci.jobs.guard.outputs['state-only']).toBe('true');
    expect(ci.jobs.train.result).toBe('skipped');
    expect(ci.jobs['reconcile/reconcile'].result).toBe('failure');
    expect(ci.jobs['reconcile/rejected'].result, jobTable(ci.jobs['reconcile/rejected'])).toBe('success');
    expect(remoteRegistry().history.at(-1)).toMatchObject({ event: 'signed_off', version: 2, actor: 'risk-officer' });
    expect(remoteRegistry().history.at(-1)!.reason).toMatch(/^rejected by risk-officer/);
    expect((await tagInfo('champion'))!.digest).toBe(v3.digest);
    expect(pinned('production')).toBe(v3.digest);

    // Approved on the next run (here by hand).
    const r = await replay.run('reconcile.yml', { ...schedule(), event_name: 'workflow_dispatch', event: {} });
    expectSuccess(r);
    expect(remoteRegistry().aliases.champion).toBe(2);
    expect(builds()).toHaveLength(buildsBefore);
    expect((await tagInfo('champion'))!.digest).toBe(v2.digest);
    expect(await tagInfo('v2')).toEqual(v2);
    expect(await tagInfo('v3')).toEqual(v3);
    expect(v2.labels[MODEL_LABEL]).toBe(digestOf(2));
    expect(pinned('production')).toBe(v2.digest);
    expect(pinned('staging')).toBe(v2.digest);
  });
});
