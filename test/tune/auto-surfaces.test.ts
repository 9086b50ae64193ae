/**
 * Where the `engine: auto` leaderboard shows: the train summary, report.md, run.json, the
 * model card, report.html, `mlops runs show` and the pull-request comment (collapsed) — for
 * a single winner, and for a soft-voting ensemble (`auto.ensemble`) kept as the model.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPrComment } from '../../actions/pr-report/comment.ts';
import { readReportArtifact } from '../../actions/common/report-artifact.ts';
import { readBundle } from '../../pipeline/core/model/bundle.ts';
import type { RunRecord } from '../../pipeline/gitops/run/run-folder.ts';
import { runCli, tempProject } from '../helpers/cli.ts';
import { buildArtifact } from '../actions/fixtures.ts';

describe.each([
  { name: 'a single winner', auto: { budget_seconds: 2, folds: 3 }, ensemble: false },
  { name: 'an ensemble', auto: { budget_seconds: 4, folds: 3, ensemble: true }, ensemble: true },
])('auto leaderboard surfaces: $name', ({ auto: autoSection, ensemble }) => {
  let proj: string;
  let runDir: string;
  let trainOut: string;

  beforeAll(async () => {
    proj = tempProject();
    const cfg = JSON.parse(readFileSync(join(proj, 'mlops.config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      join(proj, 'mlops.config.json'),
      JSON.stringify({ ...cfg, engine: { name: 'auto' }, auto: autoSection }),
    );
    const r = await runCli(['train'], proj);
    expect(r.code).toBe(0);
    trainOut = r.out;
    runDir = /run folder (\S+)/.exec(r.out)![1];
  }, 300_000);

  it('the model is the ensemble when it is on and wins, its members and weights named', () => {
    const bundle = readBundle(join(runDir, 'model.json'));
    const s = bundle.selection!;
    if (!ensemble) {
      expect(s.ensemble).toBeUndefined();
      return;
    }
    expect(s.ensemble!.kept).toBe(true);
    expect(bundle.engine.engine).toBe('ensemble');
    expect(s.leaderboard[0]).toMatchObject({ candidate: s.winner, outcome: 'winner' });
    const members = s.ensemble!.members.map((m) => `${m.candidate} (33.3 %)`).join(', ');
    expect(trainOut).toContain(`engine soft-voting ensemble of ${members}`);
    // The leaderboard line's parameters are the members' weights.
    expect(trainOut).toContain(
      s
        .ensemble!.members.map((m) => `${m.candidate}=0.333333`)
        .sort()
        .join(', '),
    );
    // Not a searched candidate: the plan counts the engines' candidates only.
    expect(trainOut).toMatch(
      /\d+ candidates \((logistic|forest|gbdt)(, (logistic|forest|gbdt))*\) by successive halving/,
    );
    expect(trainOut).toContain(
      'then the soft-voting ensemble of the top 3 finalists, from their out-of-fold probabilities',
    );
  });

  it('the train summary, report.md and run.json', () => {
    const bundle = readBundle(join(runDir, 'model.json'));
    const s = bundle.selection!;
    expect(trainOut).toContain('model selection (engine: auto)');
    expect(trainOut).toContain(`**${s.winner}** chosen: ${s.reason}.`);
    expect(trainOut).toMatch(/\|\s+# \| Candidate\s+\| CV ROC AUC \(mean ± sd\) \|/);
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    expect(report).toContain('## Model selection (engine: auto)');
    for (const e of s.leaderboard.filter((x) => x.folds === 3)) expect(report).toContain(e.candidate);
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord;
    expect(run.model.engine).toBe(s.engine);
    expect(run.auto!.winner).toBe(s.winner);
    expect(run.auto!.leaderboard.map((e) => e.candidate)).toEqual(s.leaderboard.map((e) => e.candidate));
    expect(run.auto!.leaderboard.every((e) => e.fit_s >= 0)).toBe(true);
    expect(run.timings.select_s).toBeGreaterThan(0);
  });

  it('the model card and report.html', async () => {
    const r = await runCli(['report', '--run', runDir], proj);
    expect(r.code).toBe(0);
    const s = readBundle(join(runDir, 'model.json')).selection!;
    const card = readFileSync(join(runDir, 'README.md'), 'utf8');
    expect(card).toContain('## Model selection');
    expect(card).toContain(s.reason);
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Model selection</h2>');
    expect(html).toContain(`<strong>${s.winner.replace(/&/g, '&amp;')}</strong>`);
    if (ensemble) {
      // Its explanations are in probability, and the limitations say how they are made.
      for (const text of [card, html]) expect(text).toContain('its probability is the weighted mean of its members');
      expect(html).toContain('in probability');
    }
  }, 120_000);

  it('mlops runs show', async () => {
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord;
    const r = await runCli(['runs', 'show', run.id], proj);
    expect(r.code).toBe(0);
    expect(r.out).toContain('model selection (engine: auto):');
    expect(r.out).toContain(`**${run.auto!.winner}** chosen`);
    // Measured seconds (run.json) beside the estimates (model.json).
    expect(r.out).toMatch(/\| Est\. fit s\s*\| Fit s\s*\|/);
  });

  it('the pull-request comment, collapsed, from the validated artifact', async () => {
    const auto = (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunRecord).auto!;
    const { dir } = await buildArtifact();
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), auto }));
    const body = buildPrComment(readReportArtifact(dir), { artifactUrl: null });
    // The ensemble's line is not counted among the candidates searched.
    expect(auto.leaderboard.filter((e) => e.engine === 'ensemble').length).toBe(ensemble ? 1 : 0);
    expect(body).toContain(
      `<details><summary>Model selection (engine: auto): ${auto.winner} of ${auto.leaderboard.length - (ensemble ? 1 : 0)} candidates</summary>`,
    );
    expect(body).toMatch(
      /\|\s+# \| Candidate\s+\| CV ROC AUC \(mean ± sd\) \| Folds \| Est\. fit s \| Fit s\s*\| Outcome/,
    );
    // Untrusted: a malformed leaderboard is refused by the artifact schema.
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), auto: { ...auto, leaderboard: [{ rank: 'x' }] } }),
    );
    expect(() => readReportArtifact(dir)).toThrow(
      /run\.json is invalid:[^]*\/auto\/leaderboard\/0\/rank: must be integer/,
    );
  }, 300_000);
});
