/**
 * Engine auto's search spread over shards, stage by stage, equals the search in one process:
 * the same selection record (leaderboard, winner, reason) and, trained from it, the same
 * bundle bytes. And what a merge must refuse: a shard missing or given twice, a file of
 * another search, a stage missing, a shard cut short, a stage run after other results.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { canonicalJson } from '../../pipeline/core/common/canonical-json.ts';
import { resolveConfig } from '../../pipeline/core/config/load.ts';
import { bundleBytes } from '../../pipeline/core/model/bundle.ts';
import { train, type TrainResult } from '../../pipeline/core/training/train.ts';
import { searchAutoShard } from '../../pipeline/core/tuning/auto-run.ts';
import {
  mergeAutoStages,
  readStageFile,
  type AutoSelectionFile,
  type AutoStageFile,
} from '../../pipeline/core/tuning/auto-shards.ts';
import { ROOT } from './helpers.ts';

// Two engines and a small budget: ten candidates, real cuts, and a close call that goes to more partitions.
const autoConfig = (seed = 7, budget_seconds = 3, ensemble = false) =>
  resolveConfig({
    data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
    seed,
    engine: { name: 'auto', params: {} },
    auto: { budget_seconds, folds: 4, engines: ['logistic', 'gbdt'], ensemble },
  });

/** Runs every stage over n shards (each a separate search call, as on separate runners), merging after each. */
async function sharded(
  n: number,
  config = autoConfig(),
): Promise<{ files: AutoStageFile[][]; selection: AutoSelectionFile }> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-auto-shards-'));
  const stages: AutoStageFile[][] = [];
  for (;;) {
    const previous = stages.flat();
    const stage: AutoStageFile[] = [];
    // Shards in reverse order: nothing may depend on which finishes first.
    for (let i = n; i >= 1; i--) {
      const run = await searchAutoShard({
        config,
        baseDir: ROOT,
        workers: 1,
        shard: { index: i, count: n },
        previous,
        dir,
      });
      stage.push(readStageFile(run.file));
    }
    stages.push(stage.reverse());
    const merged = mergeAutoStages(stages.flat());
    if (merged.done) return { files: stages, selection: merged.selection };
    expect(merged.stages).toBe(stages.length);
  }
}

let reference: TrainResult;
let twoShards: { files: AutoStageFile[][]; selection: AutoSelectionFile };

describe('engine auto sharded stage by stage', () => {
  it('1, 2 and 3 shards give the selection one process gives, and train from it seals the same bundle bytes', async () => {
    reference = await train({ config: autoConfig(), baseDir: ROOT, workers: 1 });
    const s = reference.bundle.selection!;
    // The case is worth testing: cuts that drop candidates, and repeats of a close call.
    expect(s.leaderboard.length).toBeGreaterThan(6);
    expect(s.leaderboard.some((e) => e.outcome === 'dropped')).toBe(true);
    expect(s.repeats).toBeGreaterThan(1);
    for (const n of [1, 2, 3]) {
      const run = await sharded(n);
      expect(run.files).toHaveLength(s.rungs.length + 1);
      expect(canonicalJson(run.selection.selection), `${n} shards`).toBe(canonicalJson(s));
      // Every measured fit is accounted for, shard by shard.
      expect(Object.keys(run.selection.fit_seconds).sort()).toEqual(s.leaderboard.map((e) => e.candidate).sort());
      if (n === 2) twoShards = run;
      if (n === 3) {
        const adopted = await train({
          config: autoConfig(),
          baseDir: ROOT,
          selection: { file: JSON.parse(JSON.stringify(run.selection)), source: 'selection.json' },
        });
        expect(bundleBytes(adopted.bundle, false).equals(bundleBytes(reference.bundle, false))).toBe(true);
      }
    }
    // Seven searches of the data: minutes on a loaded two-core machine.
  }, 600_000);

  it('with auto.ensemble, the stage files carry the out-of-fold probabilities: 2 shards give the one-process ensemble and bundle bytes', async () => {
    const config = autoConfig(7, 3, true);
    const one = await train({ config, baseDir: ROOT, workers: 1 });
    const s = one.bundle.selection!;
    expect(s.ensemble!.kept).toBe(true);
    expect(one.bundle.engine.engine).toBe('ensemble');
    const run = await sharded(2, config);
    expect(canonicalJson(run.selection.selection)).toBe(canonicalJson(s));
    const adopted = await train({
      config,
      baseDir: ROOT,
      selection: { file: JSON.parse(JSON.stringify(run.selection)), source: 'selection.json' },
    });
    expect(bundleBytes(adopted.bundle, false).equals(bundleBytes(one.bundle, false))).toBe(true);
    // A config names one engine: pinning the ensemble is refused before anything is written.
    const dir = mkdtempSync(join(tmpdir(), 'mlops-auto-ens-'));
    const r = await cli(
      ['tune', 'merge', ...run.files.flat().map((f) => f.file), '--out', 'm', '--write-config', 'c.json'],
      dir,
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(
      /--write-config pins one engine, and the search kept a soft-voting ensemble \(ensemble of .*\); run without --write-config and make its bundle with mlops train --engine auto --selection/,
    );
    expect(existsSync(join(dir, 'm'))).toBe(false);
  }, 600_000);

  it('refuses a shard missing or given twice, another search, a stage missing, a shard cut short', async () => {
    const [stage1, stage2, stage3] = twoShards.files;
    const dir = mkdtempSync(join(tmpdir(), 'mlops-auto-bad-'));
    expect(() => mergeAutoStages([stage1[0]])).toThrow(/stage 1: shard 2\/2 missing/);
    const copy = join(dir, 'copy.jsonl');
    copyFileSync(stage1[1].file, copy);
    expect(() => mergeAutoStages([...stage1, readStageFile(copy)])).toThrow(
      new RegExp(`${copy}: stage 1 shard 2/2 is also in ${stage1[1].file}`),
    );
    expect(() => mergeAutoStages([...stage1, ...stage3])).toThrow(
      /stage 2 is missing: the files given have stages 1, 3/,
    );
    // A shard of the same stage with another seed: another plan.
    const other = await searchAutoShard({
      config: autoConfig(8),
      baseDir: ROOT,
      shard: { index: 2, count: 2 },
      previous: [],
      dir,
    });
    expect(() => mergeAutoStages([stage1[1], readStageFile(other.file)])).toThrow(
      new RegExp(`${other.file}: belongs to a different search than ${stage1[1].file} \\(differs in: seed, plan\\)`),
    );
    // A shard cut short: its last fit line lost.
    const cut = join(dir, 'cut.jsonl');
    const lines = readFileSync(stage2[0].file, 'utf8').trimEnd().split('\n');
    writeFileSync(cut, lines.slice(0, -1).join('\n') + '\n');
    expect(() => mergeAutoStages([...stage1, readStageFile(cut), stage2[1]])).toThrow(
      /stage 2: 1 fit missing, the first fit \d+ \(.*\) of shard 1\/2 in .*cut\.jsonl: was that shard cut short\?/,
    );
    // A stage run after other results of the stages before it.
    const forged = join(dir, 'forged.jsonl');
    writeFileSync(
      forged,
      readFileSync(stage2[0].file, 'utf8').replace(/"after":"[0-9a-f]+"/, `"after":"${'0'.repeat(64)}"`),
    );
    expect(() => mergeAutoStages([...stage1, readStageFile(forged), stage2[1]])).toThrow(
      /forged\.jsonl: stage 2 was run after other results of the stages before it/,
    );
    // A shard of the next stage refuses an incomplete state, too.
    await expect(
      searchAutoShard({
        config: autoConfig(),
        baseDir: ROOT,
        shard: { index: 1, count: 2 },
        previous: [stage1[0]],
        dir,
      }),
    ).rejects.toThrow(/stage 1: shard 2\/2 missing/);
    // A selection is used only by the search that made it.
    await expect(
      train({
        config: autoConfig(7, 5),
        baseDir: ROOT,
        selection: { file: twoShards.selection, source: 'sel.json' },
      }),
    ).rejects.toThrow(
      /sel\.json: the selection was made by another search than this training's \(differs in: auto, plan\)/,
    );
  }, 300_000);
});

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), cwd, tty: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('mlops tune --engine auto', () => {
  it('shards stage by stage through the CLI, merges to the single process selection.json and pins the winner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-auto-cli-'));
    const config = {
      // The embedded 891-row holdout keeps the CLI runs fast; the logic is the same at any size.
      data: { path: join(ROOT, 'data', 'credit_data', 'test.csv'), target: 'Status', positive: 'bad' },
      seed: 5,
      engine: { name: 'auto', params: {} },
      auto: { budget_seconds: 1, folds: 2, engines: ['logistic', 'gbdt'] },
    };
    writeFileSync(join(dir, 'mlops.config.json'), JSON.stringify(config, null, 2));
    const one = await cli(['tune', '--quiet', '--out', 'one'], dir);
    expect(one.code).toBe(0);
    expect(one.out).toContain('mlops train --engine auto --selection');
    const single = JSON.parse(readFileSync(join(dir, 'one', 'selection.json'), 'utf8')) as AutoSelectionFile;
    let stage = 0;
    for (;;) {
      stage++;
      for (const i of [1, 2]) {
        // --state holds the stages before this one only, as each runner downloads them.
        const args = ['tune', '--quiet', '--shard', `${i}/2`, '--out', `running/${stage}`];
        const r = await cli(stage === 1 ? args : [...args, '--state', 'stages'], dir);
        expect(r.code, r.err).toBe(0);
      }
      mkdirSync(join(dir, 'stages'), { recursive: true });
      renameSync(join(dir, 'running', String(stage)), join(dir, 'stages', String(stage)));
      const merged = await cli(
        ['tune', 'merge', 'stages', '--out', 'merged', '--write-config', 'mlops.config.json'],
        dir,
      );
      if (merged.code === 0) break;
      expect(merged.err).toMatch(
        new RegExp(`--write-config needs the finished search: ${stage} of its \\d stages merged`),
      );
      expect((await cli(['tune', 'merge', 'stages'], dir)).out).toMatch(new RegExp(`next, stage ${stage + 1}: `));
    }
    const merged = JSON.parse(readFileSync(join(dir, 'merged', 'selection.json'), 'utf8')) as AutoSelectionFile;
    expect(canonicalJson(merged.selection)).toBe(canonicalJson(single.selection));
    expect(canonicalJson(merged.search)).toBe(canonicalJson(single.search));
    const pinned = JSON.parse(readFileSync(join(dir, 'mlops.config.json'), 'utf8'));
    expect(pinned.engine).toEqual({ name: single.selection.engine, params: single.selection.params });
    expect(pinned.auto).toEqual(config.auto);
    // The pinned config is no longer auto's: its selection belongs to engine auto.
    const refused = await cli(['train', '--quiet', '--selection', 'merged/selection.json', '--out', 'run'], dir);
    expect(refused.err).toMatch(/a selection \(merged\/selection\.json\) is for engine "auto"/);
    const trained = await cli(
      ['train', '--quiet', '--engine', 'auto', '--selection', 'merged/selection.json', '--out', 'run'],
      dir,
    );
    expect(trained.code, trained.err).toBe(0);
    const bundle = JSON.parse(readFileSync(join(dir, 'run', 'model.json'), 'utf8'));
    expect(canonicalJson(bundle.selection)).toBe(canonicalJson(single.selection));
  }, 300_000);

  it('refuses what cannot be exact or is not its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-auto-cli-'));
    const data = join(ROOT, 'data', 'credit_data', 'test.csv');
    const base = ['tune', '--quiet', '--data', data, '--target', 'Status', '--positive', 'bad', '--engine', 'auto'];
    expect((await cli([...base, '--sampler', 'tpe'], dir)).err).toMatch(
      /--sampler tpe cannot drive engine auto: its candidates are random draws fixed before anything is fitted/,
    );
    expect((await cli([...base, '--shard', '1/2', '--write-config', 'c.json'], dir)).err).toMatch(
      /--write-config needs the finished search/,
    );
    expect((await cli([...base, '--trials', '5'], dir)).err).toMatch(/--trials is not used with --engine auto/);
    expect((await cli([...base, '--state', 'x'], dir)).err).toMatch(/--state goes with --shard/);
  });
});
