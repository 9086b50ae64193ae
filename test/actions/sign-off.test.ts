/**
 * The sign-off action run as the runner runs it, against the REST double's deployment
 * reviews and a bare git remote: an approval, a rejection and a run with no environment
 * review, each recorded (or not) in the registry history, the model card and
 * `mlops registry history`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { gitSync, remoteWithProject, removeTemporaryFolders, testConfig, tmp, trainRun } from '../registry/helpers.ts';
import { GitHubDouble } from './github-double.ts';
import { ROOT, runAction } from './run-action.ts';

describe('sign-off action', () => {
  const gh = new GitHubDouble();
  let remote: string;
  let clone: string;

  const remoteHistory = () =>
    JSON.parse(gitSync(remote, 'show', 'main:models/registry.json')).models['credit-default'].history as {
      event: string;
      version: number;
      actor: string;
      reason: string;
      sign_off?: unknown;
    }[];
  const signOff = (runId: number, inputs: Record<string, string> = {}) =>
    runAction('sign-off', {
      event: 'push',
      payload: { ref: 'refs/heads/main' },
      cwd: clone,
      apiUrl: gh.url,
      runId,
      inputs: { 'github-token': 'ghs_test', environment: 'production', ...inputs },
    });

  beforeAll(async () => {
    await gh.start();
    const r = remoteWithProject(testConfig());
    remote = r.remote;
    clone = r.clone('runner');
    const run = await trainRun(clone, tmp('run'), testConfig());
    const p = await runCli(['promote', '--run', run, '--push', '--actor', 'dev'], clone);
    expect(p.code, p.err).toBe(0);
  });
  afterAll(async () => {
    await gh.close();
    removeTemporaryFolders();
  });

  it('records an approval beside the promotion: history, model card, registry history; once', async () => {
    gh.addApproval(101, 'production', 'alice', 'approved', 'Fine for Q3\nafter the back-test');
    const r = await signOff(101);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs).toMatchObject({ state: 'approved', version: '1', reviewers: 'alice', recorded: 'true' });
    expect(r.outputs.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(gh.requestsMatching('GET', '/repos/acme/credit-model/actions/runs/101/approvals')).toHaveLength(1);
    expect(gh.requests.at(-1)!.authorization).toBe('token ghs_test');

    expect(gitSync(remote, 'rev-parse', 'main')).toBe(r.outputs.commit);
    const last = remoteHistory().at(-1)!;
    expect(last).toMatchObject({
      event: 'signed_off',
      version: 1,
      actor: 'alice',
      reason: 'approved by alice ("Fine for Q3 after the back-test") in production',
      sign_off: {
        environment: 'production',
        state: 'approved',
        reviewers: [{ login: 'alice', state: 'approved', comment: 'Fine for Q3 after the back-test' }],
        run_id: 101,
      },
    });
    expect(remoteHistory().map((h) => h.event)).toEqual(['registered', 'promoted', 'signed_off']);
    expect(gitSync(remote, 'log', '-1', '--format=%s', 'main')).toBe(
      'registry: credit-default v1 signed off in production by alice',
    );

    const card = readFileSync(join(clone, 'models/credit-default/v1/card.md'), 'utf8');
    // The version's one card is the full card `mlops promote` rendered; the sign-off is its last section.
    expect(card).toMatch(/^# Model card: credit-default v1 /);
    expect(card).toContain('\n## Registry\n');
    expect(card).toMatch(
      /\n## Sign-off\n\n- \d{4}-\d\d-\d\dT[\d:.]+Z: approved by alice \("Fine for Q3 after the back-test"\) in production \(\[run\]\(https:\/\/github\.test\/acme\/credit-model\/actions\/runs\/101\)\)\.\n$/,
    );
    const history = await runCli(['registry', 'history'], clone);
    expect(history.out).toMatch(/\| 3 .*\| signed_off \| v1 .*\| alice .*approved by alice \("Fine for Q3/);

    const again = await signOff(101);
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ state: 'approved', recorded: 'false', commit: '' });
    expect(gitSync(remote, 'rev-parse', 'main')).toBe(r.outputs.commit);
  });

  it('records a rejection with every reviewer, and fails the step when a sign-off is required', async () => {
    gh.addApproval(102, 'production', 'bob', 'rejected', 'back-test first');
    gh.addApproval(102, 'production', 'alice', 'approved');
    const r = await signOff(102, { required: 'true' });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ state: 'rejected', reviewers: 'bob,alice', recorded: 'true' });
    expect(r.errors.join('\n')).toMatch(
      /the release of credit-default v1 was rejected in environment "production": rejected by bob \("back-test first"\); approved by alice in production/,
    );
    expect(remoteHistory().at(-1)).toMatchObject({ event: 'signed_off', sign_off: { state: 'rejected', run_id: 102 } });
    const card = readFileSync(join(clone, 'models/credit-default/v1/card.md'), 'utf8');
    expect(card.match(/^## Sign-off$/gm)).toHaveLength(1);
    expect(card).toMatch(/approved by alice \("Fine for Q3[^\n]*\n- [^\n]*rejected by bob/);
  });

  it('with no environment review in the run, records nothing (and fails only when required)', async () => {
    gh.addApproval(103, 'staging', 'carol', 'approved');
    const head = gitSync(remote, 'rev-parse', 'main');
    const r = await signOff(103);
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({ state: 'none', recorded: 'false', commit: '', reviewers: '' });
    expect(r.stdout).toContain('no review of environment "production" in run 103: nothing to record');
    expect(gitSync(remote, 'rev-parse', 'main')).toBe(head);
    const required = await signOff(104, { required: 'true' });
    expect(required.code).toBe(1);
    expect(required.errors.join('\n')).toMatch(
      /has no approval in environment "production" \(run 104\): add required reviewers to it \(Settings → Environments → production\)/,
    );
  });

  it('documents, defaults and reads every input of its action.yml', () => {
    const doc = YAML.parse(readFileSync(join(ROOT, 'actions/sign-off/action.yml'), 'utf8')) as {
      inputs: Record<string, { description: string; default: string }>;
      runs: { using: string; main: string };
    };
    const main = readFileSync(join(ROOT, 'actions/sign-off/main.ts'), 'utf8');
    // A JavaScript action: the runner passes every input as INPUT_<NAME> itself.
    expect(doc.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    for (const [name, input] of Object.entries(doc.inputs)) {
      expect(input.description, name).toBeTruthy();
      expect(input.default, name).toBeDefined();
      expect(main, name).toContain(`'${name}'`);
    }
  });

  it('names the missing permission when GitHub refuses the reviews', async () => {
    gh.failWith.set('GET approvals', 403);
    try {
      const r = await signOff(105);
      expect(r.code).toBe(1);
      expect(r.errors.join('\n')).toMatch(
        /refused to read the deployment reviews of run 105 \(HTTP 403.*`actions: read`/,
      );
    } finally {
      gh.failWith.delete('GET approvals');
    }
  });
});
