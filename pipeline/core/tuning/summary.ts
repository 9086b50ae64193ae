/**
 * From trial records to a verdict: the ranking, the best trial, how it compares with
 * the baseline (the parameters the config already has), and the config snippet to
 * adopt it. A function of the trial records only — never of which machine ran them —
 * so merged shards and a single process give the same summary (timings aside).
 */
import { markdownTable } from 'markdown-table';
import { num, round } from '../common/format.ts';
import type { ParamValues } from '../engines/params.ts';
import { TUNE_FORMAT, type TrialRecord, type TunePlan } from './runs-file.ts';
import { describeSpace } from './space.ts';

export type PlanCore = Omit<TunePlan, 'type' | 'shard'>;

export interface TuneSummary {
  type: 'summary';
  format: typeof TUNE_FORMAT;
  format_version: 1;
  plan: PlanCore;
  shards: number;
  trials_run: number;
  /** Planned trials with no record (a shard missing from a merge). */
  missing: number[];
  best: TrialRecord;
  baseline: TrialRecord | null;
  /** best − baseline in the metric's "better" direction (positive = an improvement). */
  improvement: number | null;
  /** Every trial, best first. */
  ranking: TrialRecord[];
  /** What `--write-config` merges into a config file. */
  config: { engine: { name: string; params: ParamValues } };
  timing: { trial_seconds: number; trials_per_second: number | null };
}

/** Best first; trials without a score last; ties go to the lower trial number. */
export function compareTrials(a: TrialRecord, b: TrialRecord, higherIsBetter: boolean): number {
  const am = a.mean ?? NaN;
  const bm = b.mean ?? NaN;
  const aOk = Number.isFinite(am);
  const bOk = Number.isFinite(bm);
  if (aOk !== bOk) return aOk ? -1 : 1;
  if (aOk && am !== bm) return higherIsBetter ? bm - am : am - bm;
  return a.trial - b.trial;
}

export function planCore(plan: TunePlan): PlanCore {
  const { type: _t, shard: _s, ...core } = plan;
  return core;
}

export function summarize(plan: TunePlan, trials: TrialRecord[], shards = plan.shard.count): TuneSummary {
  if (trials.length === 0) throw new Error('no trials to summarise');
  const ranking = [...trials].sort((a, b) => compareTrials(a, b, plan.higher_is_better));
  const best = ranking[0];
  const baseline = trials.find((t) => t.baseline) ?? null;
  const have = new Set(trials.map((t) => t.trial));
  const missing: number[] = [];
  for (let t = 0; t <= plan.trials; t++) if (!have.has(t)) missing.push(t);
  let improvement: number | null = null;
  if (baseline && best.mean !== null && baseline.mean !== null)
    improvement = plan.higher_is_better ? best.mean - baseline.mean : baseline.mean - best.mean;
  const seconds = trials.reduce((s, t) => s + t.seconds, 0);
  return {
    type: 'summary',
    format: TUNE_FORMAT,
    format_version: 1,
    plan: planCore(plan),
    shards,
    trials_run: trials.length,
    missing,
    best,
    baseline,
    improvement,
    ranking,
    config: { engine: { name: plan.engine, params: { ...best.params } } },
    timing: {
      trial_seconds: round(seconds, 3),
      trials_per_second: seconds > 0 ? round(trials.length / seconds, 3) : null,
    },
  };
}

/** The comparison table for a pull request or a terminal: top trials and the baseline. */
export function summaryMarkdown(s: TuneSummary, top = 10): string {
  const p = s.plan;
  const keys = Object.keys(p.space);
  const shown = s.ranking.slice(0, top);
  if (s.baseline && !shown.some((t) => t.trial === s.baseline!.trial)) shown.push(s.baseline);
  const rows = shown.map((t) => [
    t.trial === s.best.trial ? `**${t.trial}**` : String(t.trial),
    t.baseline ? 'baseline' : '',
    metric(t.mean),
    metric(t.sd),
    ...keys.map((k) => fmtParam(t.params[k] ?? p.engine_defaults[k])),
    t.error ? `failed: ${t.error}` : '',
  ]);
  const dir = p.higher_is_better ? 'higher is better' : 'lower is better';
  const lines = [
    `## Tuning \`${p.engine}\`: ${p.metric} (${dir}), ${p.folds}-fold stratified CV`,
    '',
    `${s.trials_run} of ${p.trials + 1} trials (trial 0 = the config's parameters) · sampler ${p.sampler} · seed ${p.seed} · sampling ${p.sampling} · ${s.shards} shard${s.shards === 1 ? '' : 's'} · data \`${p.data.path}\` (${p.data.rows} training rows, sha256 ${p.data.sha256.slice(0, 12)}…)`,
    '',
    markdownTable([['trial', '', `mean ${p.metric}`, 'sd', ...keys, ''], ...rows]),
    '',
    `Best: trial ${s.best.trial}, ${p.metric} ${metric(s.best.mean)} ± ${metric(s.best.sd)}` +
      (s.baseline
        ? ` vs baseline ${metric(s.baseline.mean)} ± ${metric(s.baseline.sd)} (${s.improvement !== null && s.improvement >= 0 ? '+' : ''}${metric(s.improvement)} better)`
        : ''),
    '',
    'Search space: ' + describeSpace(p.space).join('; '),
  ];
  if (s.missing.length) lines.push('', `Missing trials (a shard did not report): ${s.missing.join(', ')}`);
  lines.push('', 'Config change:', '', '```json', JSON.stringify(s.config, null, 2), '```');
  return lines.join('\n') + '\n';
}

/** Large values (seconds, counts) to one decimal, metrics to four. */
const metric = (v: number | null | undefined): string =>
  num(v, v !== null && v !== undefined && Math.abs(v) >= 100 ? 1 : 4);

function fmtParam(v: number | string | boolean | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return String(v);
}
