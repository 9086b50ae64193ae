/**
 * Combines the runs files of the shards of one search. Refuses files from different
 * searches (any plan field but the shard differs) and conflicting results for the same
 * trial, so a merged summary can be trusted to equal a single-process run.
 */
import { canonicalJson } from '../common/canonical-json.ts';
import { MlopsError, inputError, usageError } from '../common/errors.ts';
import type { RunsFile, TrialRecord, TunePlan } from './runs-file.ts';
import { planCore } from './summary.ts';

export interface Merged {
  plan: TunePlan;
  trials: TrialRecord[];
  /** Shard numbers (1-based) present. */
  shards: number[];
  /** Shards of the plan with no file. */
  missingShards: number[];
}

export function mergeRuns(files: RunsFile[]): Merged {
  if (files.length === 0) throw usageError('merge needs at least one runs file');
  const first = files[0];
  const core = canonicalJson(planCore(first.plan));
  const count = first.plan.shard.count;
  const seenShard = new Map<number, string>();
  const byTrial = new Map<number, { rec: TrialRecord; file: string }>();
  for (const f of files) {
    if (canonicalJson(planCore(f.plan)) !== core) {
      const diff = Object.keys(planCore(f.plan)).filter(
        (k) =>
          canonicalJson((planCore(f.plan) as Record<string, unknown>)[k]) !==
          canonicalJson((planCore(first.plan) as Record<string, unknown>)[k]),
      );
      throw inputError(
        `${f.file}: belongs to a different search than ${first.file} (plan differs in: ${diff.join(', ')})`,
      );
    }
    if (f.plan.shard.count !== count)
      throw inputError(
        `${f.file}: shard ${f.plan.shard.index}/${f.plan.shard.count} does not match ${first.file}'s ${count} shards`,
      );
    const prev = seenShard.get(f.plan.shard.index);
    if (prev !== undefined) throw inputError(`${f.file}: shard ${f.plan.shard.index}/${count} is also in ${prev}`);
    seenShard.set(f.plan.shard.index, f.file);
    for (const rec of f.trials) {
      if (rec.trial % count !== f.plan.shard.index - 1)
        throw inputError(`${f.file}: trial ${rec.trial} does not belong to shard ${f.plan.shard.index}/${count}`);
      const had = byTrial.get(rec.trial);
      if (had) throw new MlopsError('integrity', `trial ${rec.trial} appears in both ${had.file} and ${f.file}`);
      byTrial.set(rec.trial, { rec, file: f.file });
    }
  }
  const shards = [...seenShard.keys()].sort((a, b) => a - b);
  const missingShards: number[] = [];
  for (let i = 1; i <= count; i++) if (!seenShard.has(i)) missingShards.push(i);
  const trials = [...byTrial.values()].map((v) => v.rec).sort((a, b) => a.trial - b.trial);
  return { plan: { ...first.plan, shard: { index: 1, count } }, trials, shards, missingShards };
}
