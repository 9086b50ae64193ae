import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject } from '../helpers/cli.ts';
import { loadRegistry } from '../../pipeline/gitops/registry/index.ts';
import { testConfig, trainRun, VARIANTS, removeTemporaryFolders } from './helpers.ts';

afterAll(() => {
  removeTemporaryFolders();
  rmSync(dir, { recursive: true, force: true });
});

let dir: string;

beforeAll(() => {
  dir = tempProject();
  const config = JSON.parse(readFileSync(join(dir, 'mlops.config.json'), 'utf8'));
  config.engine = { name: 'logistic', params: {} };
  writeFileSync(join(dir, 'mlops.config.json'), JSON.stringify(config, null, 2));
});

describe('mlops run, compare, promote, rollback and registry', () => {
  it('mlops run twice: the first run promotes v1, the identical second run is rejected by the gate and says why', async () => {
    const first = await runCli(['run', '--quiet', '--out', 'runs/first', '--actor', 'dev'], dir);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/\*\*PROMOTE\*\* — promote: first model for credit-default \(no champion yet\)/);
    expect(first.out).toMatch(/promoted credit-default v1 to champion/);
    for (const f of ['model.json.gz', 'metrics.json', 'card.md'])
      expect(existsSync(join(dir, 'models/credit-default/v1', f))).toBe(true);
    // The promoted version's report is under reports/; its one card is the registry's card.md, now the full card.
    for (const f of ['report.html', 'report.json', 'charts/roc.svg'])
      expect(existsSync(join(dir, 'reports/credit-default/v1', f)), f).toBe(true);
    expect(readFileSync(join(dir, 'models/credit-default/v1/card.md'), 'utf8')).toMatch(
      /^# Model card: credit-default v1 \(logistic\)\n/,
    );

    const second = await runCli(['run', '--quiet', '--out', 'runs/second', '--actor', 'dev'], dir);
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(
      /\*\*KEEP CHAMPION\*\* — keep champion v1: primary:roc_auc improvement ±0 \(higher is better\), improvement ≥ 0\.002 required; validity:new-model: identical to v1/,
    );
    expect(second.out).toMatch(/rejected by the gate: credit-default champion v1 kept/);
    // v1 is already the champion: no advice to roll back to it.
    expect(second.out).toContain('v1 is already the champion: nothing to do');
    expect(second.out).not.toContain('rollback --to v1');
    expect(second.out).toMatch(/❌ +\| primary:roc_auc +\| +0\.8\d{3} \| +0\.8\d{3} \|/);
    const verdict = JSON.parse(readFileSync(join(dir, 'runs/second/verdict.json'), 'utf8'));
    expect(verdict).toMatchObject({ decision: 'keep', champion: { version: 1 } });

    const m = loadRegistry(join(dir, 'models')).models['credit-default'];
    expect(m.versions).toHaveLength(1);
    expect(m.history.map((h) => h.event)).toEqual(['registered', 'promoted', 'rejected']);
    expect(m.history[2]).toMatchObject({
      actor: 'dev',
      version: null,
      previous_champion: 1,
      verdict: { decision: 'keep' },
    });

    const history = await runCli(['registry', 'history'], dir);
    expect(history.out).toMatch(/\| 3 \| .* \| rejected +\|/);
    const show = await runCli(['registry', 'show', 'credit-default@champion'], dir);
    expect(show.out).toMatch(/^credit-default@v1 \(champion\)\n {2}digest {6}sha256:/);
    const missing = await runCli(['registry', 'show', 'credit-default@v9'], dir);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/credit-default has no version v9 \(versions: v1\)/);
  });

  it('compare prints the verdict and exits 0 unless --fail-on-keep; promote records and exits 1 on a rejection', async () => {
    const weak = await trainRun(dir, join(dir, 'runs/weak'), testConfig(VARIANTS.weak));
    const cmp = await runCli(['compare', '--challenger', 'runs/weak', '--out', 'verdict-weak.json'], dir);
    expect(cmp.code, cmp.err).toBe(0);
    expect(cmp.out).toMatch(/KEEP CHAMPION/);
    expect(
      JSON.parse(readFileSync(join(dir, 'verdict-weak.json'), 'utf8')).rules.find(
        (r: { id: string }) => r.id === 'guardrail:brier',
      ).passed,
    ).toBe(false);
    expect((await runCli(['compare', '--challenger', 'runs/weak', '--fail-on-keep'], dir)).code).toBe(1);
    const before = loadRegistry(join(dir, 'models')).models['credit-default'].history.length;
    const rejected = await runCli(['promote', '--run', weak, '--actor', 'dev'], dir);
    expect(rejected.code).toBe(1);
    expect(rejected.out).toMatch(/rejected by the gate/);
    expect(loadRegistry(join(dir, 'models')).models['credit-default'].history.length).toBe(before + 1);

    expect((await runCli(['promote', '--run', weak, '--force'], dir)).code).toBe(2);
    const forced = await runCli(
      ['promote', '--run', weak, '--force', '--reason', 'scorecard for the regulator', '--json', '--actor', 'dev'],
      dir,
    );
    expect(forced.code, forced.err).toBe(0);
    expect(JSON.parse(forced.out)).toMatchObject({
      decision: 'promote',
      version: 2,
      champion: 2,
      previous_champion: 1,
      verdict: { forced: { reason: 'scorecard for the regulator' } },
    });

    expect((await runCli(['rollback'], dir)).code).toBe(2);
    const rb = await runCli(['rollback', '--reason', 'regulator review done', '--actor', 'ops'], dir);
    expect(rb.code, rb.err).toBe(0);
    expect(rb.out).toBe('rolled back credit-default: champion v2 → v1');
    const m = loadRegistry(join(dir, 'models')).models['credit-default'];
    expect(m.aliases.champion).toBe(1);
    expect(m.history.at(-1)).toMatchObject({
      event: 'rolled_back',
      version: 1,
      previous_champion: 2,
      actor: 'ops',
      reason: 'regulator review done',
    });
    const list = await runCli(['registry', 'list'], dir);
    expect(list.out).toMatch(/credit-default: champion v1 · 2 version\(s\)/);
  });

  it('mlops run on another data set names the config key that fixes it; --model-name gives the model its own name', async () => {
    const other = ['--data', 'data/lending_club/train.csv', '--target', 'Class', '--positive', 'bad'];
    const clash = await runCli(['run', '--quiet', '--no-report', '--out', 'runs/lending', ...other], dir);
    expect(clash.code, clash.err).toBe(0);
    expect(clash.out).toMatch(/champion v1 of credit-default cannot be scored on the challenger's rows/);
    expect(clash.out).toContain('give it its own name (model_name in the config, or --model-name NAME)');

    const own = await runCli(
      ['run', '--quiet', '--no-report', '--out', 'runs/lending-own', '--model-name', 'lending-default', ...other],
      dir,
    );
    expect(own.code, own.err).toBe(0);
    expect(own.out).toMatch(/promoted lending-default v1 to champion/);
    const reg = loadRegistry(join(dir, 'models'));
    expect(reg.models['lending-default'].aliases.champion).toBe(1);
    expect(reg.models['credit-default'].aliases.champion).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'runs/lending-own/run.json'), 'utf8')).model.name).toBe('lending-default');

    const bad = await runCli(['train', '--model-name', 'Lending Default'], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--model-name must be lower-case letters, digits and dashes/);
  });
});
