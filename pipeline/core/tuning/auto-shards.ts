/**
 * `engine: auto`'s search spread over processes, with the result one process gets.
 *
 * The search is a fixed sequence of stages (auto.ts: one per rung of the halving, then the
 * repeats of a close call), each a list of independent fits decided by the stages before it.
 * A shard runs stage s's fits j with j mod N = i − 1 and writes them to a stage file; the
 * stage files of every stage so far, replayed in order, give the state one process has
 * after those stages — which decides stage s + 1, or, after the last, the selection. The
 * replay checks what a merge must: every file of one search (same plan, data, seed and
 * config), each stage complete (no shard missing or given twice, every fit present) and
 * run after the same results of the stages before it.
 */
import { canonicalJson, sha256Hex } from '../common/canonical-json.ts';
import { inputError, usageError } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs-atomic.ts';
import type { Costs } from '../evaluation/metrics.ts';
import {
  applyStage,
  describeStage,
  outcomeOf,
  runFits,
  stageCount,
  stageFits,
  startState,
  type AutoConfig,
  type AutoFitResult,
  type AutoOptions,
  type AutoOutcome,
  type AutoPlan,
  type AutoSearch,
  type AutoState,
} from './auto.ts';
import { higherIsBetter } from './cv.ts';
import { appendFileSync } from 'node:fs';
import { readRecordLines } from './runs-file.ts';
import type { Shard } from './tune.ts';

export const AUTO_STAGE_FORMAT = 'credit-risk-gitops/tune-auto';
export const AUTO_SELECTION_FORMAT = 'credit-risk-gitops/tune-auto-selection';

/** The rows the search cross-validates, by content: the same rows, split and seed give the same training rows. */
export interface AutoData {
  digest: string;
  rows: number;
  split: { train: number; validation: number; test: number };
  test_digest: string | null;
}

/** What makes two processes' work part of one search. */
export interface AutoSearchId {
  seed: number;
  data: AutoData;
  auto: AutoConfig;
  costs: Costs;
  plan: AutoPlan;
}

/** A stage file's first line. */
export interface AutoStageHeader extends AutoSearchId {
  type: 'plan';
  format: typeof AUTO_STAGE_FORMAT;
  format_version: 1;
  stage: {
    /** 1-based; past the plan's last stage a stage is empty. */
    index: number;
    of: number;
    /** Fits of the whole stage, over all shards. */
    fits: number;
    /** Digest of the scores the stages before it left (the input that decided its fits). */
    after: string;
  };
  /** This file's fits j with j mod count = index − 1. */
  shard: Shard;
}

export interface AutoFitRecord extends AutoFitResult {
  type: 'fit';
}

export interface AutoStageFile {
  file: string;
  header: AutoStageHeader;
  fits: AutoFitRecord[];
}

/** selection.json: a finished search's selection, and which search it is. */
export interface AutoSelectionFile extends AutoOutcome {
  format: typeof AUTO_SELECTION_FORMAT;
  format_version: 1;
  search: AutoSearchId;
}

export const stageFileName = (stage: number, shard: Shard): string =>
  `auto-stage-${stage}-shard-${shard.index}-of-${shard.count}.jsonl`;

/** The identity of a prepared search. */
export function searchIdOf(search: AutoSearch, data: AutoData): AutoSearchId {
  return {
    seed: search.config.seed,
    data,
    auto: search.cfg,
    costs: { ...search.config.costs },
    plan: search.plan,
  };
}

/** The identity alone (a stage file's header carries its stage and shard besides). */
const idOf = (id: AutoSearchId): AutoSearchId => ({
  seed: id.seed,
  data: id.data,
  auto: id.auto,
  costs: id.costs,
  plan: id.plan,
});

/** The fields in which two searches differ (empty when they are one search). */
export function searchDifferences(a: AutoSearchId, b: AutoSearchId): string[] {
  const x = idOf(a);
  const y = idOf(b);
  return (Object.keys(x) as (keyof AutoSearchId)[]).filter((k) => canonicalJson(x[k]) !== canonicalJson(y[k]));
}

/** What the stages applied so far left: the input that decides the next stage's fits. */
export function stateDigest(state: AutoState): string {
  return sha256Hex(
    canonicalJson({ stages: state.stages, scores: [...state.scores], errors: [...state.errors].sort() }),
  );
}

export function readStageFile(path: string): AutoStageFile {
  let header: AutoStageHeader | null = null;
  const fits: AutoFitRecord[] = [];
  for (const { line, rec } of readRecordLines(path)) {
    if (rec.type === 'plan') {
      if (header) throw inputError(`${path}:${line}: a second plan line`);
      const h = rec as AutoStageHeader;
      if (h.format !== AUTO_STAGE_FORMAT || h.format_version !== 1)
        throw inputError(
          `${path}:${line}: not a stage file of "mlops tune --engine auto" (format ${JSON.stringify(h.format)} v${h.format_version})`,
        );
      const { stage, shard } = h;
      if (
        !Number.isInteger(stage?.index) ||
        stage.index < 1 ||
        !Number.isInteger(shard?.count) ||
        !Number.isInteger(shard.index) ||
        shard.index < 1 ||
        shard.index > shard.count
      )
        throw inputError(
          `${path}:${line}: the plan line's stage or shard is not valid (stage ${JSON.stringify(stage?.index)}, shard ${JSON.stringify(shard)})`,
        );
      header = h;
    } else if (rec.type === 'fit') {
      if (!header) throw inputError(`${path}:${line}: a fit before the plan line`);
      fits.push(rec as AutoFitRecord);
    } else throw inputError(`${path}:${line}: unknown record type ${JSON.stringify(rec.type)}`);
  }
  if (!header) throw inputError(`${path}: no plan line; is this a stage file of "mlops tune --engine auto"?`);
  return { file: path, header, fits };
}

export interface Replayed {
  id: AutoSearchId;
  state: AutoState;
  /** Stage files replayed, stage by stage (the last stages may be empty ones past the end). */
  stages: number;
}

/**
 * Replays the stage files of one search, stage 1 first, into the state one process has after
 * those stages; refuses files of another search, a stage or shard missing or given twice,
 * fits that are not the stage's, and a stage run after other results than the ones given.
 */
export function replayStages(files: AutoStageFile[], expected?: AutoSearchId): Replayed {
  if (files.length === 0 && !expected) throw usageError('merge needs at least one stage file');
  const id = idOf(expected ?? files[0].header);
  const idSource = expected ? 'this search (data, config and seed)' : files[0].file;
  const byStage = new Map<number, AutoStageFile[]>();
  for (const f of files) {
    const diff = searchDifferences(f.header, id);
    if (diff.length > 0)
      throw inputError(`${f.file}: belongs to a different search than ${idSource} (differs in: ${diff.join(', ')})`);
    const list = byStage.get(f.header.stage.index) ?? [];
    list.push(f);
    byStage.set(f.header.stage.index, list);
  }
  const last = [...byStage.keys()].reduce((m, s) => Math.max(m, s), 0);
  const state = startState(id.plan);
  const higher = higherIsBetter(id.auto.metric);
  for (let s = 1; s <= last; s++) {
    const stage = byStage.get(s);
    if (!stage)
      throw inputError(
        `stage ${s} is missing: the files given have stage${byStage.size > 1 ? 's' : ''} ${[...byStage.keys()].sort((a, b) => a - b).join(', ')}`,
      );
    const fits = stageFits(state, id.auto);
    const after = stateDigest(state);
    const count = stage[0].header.shard.count;
    const seen = new Map<number, string>();
    const results = new Map<number, AutoFitRecord>();
    for (const f of stage) {
      const h = f.header;
      if (h.shard.count !== count)
        throw inputError(
          `${f.file}: stage ${s} shard ${h.shard.index}/${h.shard.count}, but ${stage[0].file} is of ${count} shards`,
        );
      const prev = seen.get(h.shard.index);
      if (prev !== undefined)
        throw inputError(`${f.file}: stage ${s} shard ${h.shard.index}/${count} is also in ${prev}`);
      seen.set(h.shard.index, f.file);
      if (h.stage.after !== after || h.stage.fits !== fits.length)
        throw inputError(
          `${f.file}: stage ${s} was run after other results of the stages before it than the files given (${h.stage.fits} fits planned, ${fits.length} here)`,
        );
      for (const r of f.fits) {
        const want = fits[r.fit];
        if (!want || r.fit % count !== h.shard.index - 1 || want.candidate !== r.candidate || want.fold !== r.fold)
          throw inputError(
            `${f.file}: fit ${r.fit} (${r.candidate}, fold ${r.fold + 1}) is not one of stage ${s} shard ${h.shard.index}/${count}'s fits`,
          );
        if (results.has(r.fit)) throw inputError(`${f.file}: fit ${r.fit} of stage ${s} appears twice`);
        results.set(r.fit, r);
      }
    }
    const missingShards: string[] = [];
    for (let i = 1; i <= count; i++) if (!seen.has(i)) missingShards.push(`${i}/${count}`);
    if (missingShards.length > 0)
      throw inputError(
        `stage ${s}: shard${missingShards.length > 1 ? 's' : ''} ${missingShards.join(', ')} missing (got ${[...seen.values()].join(', ')})`,
      );
    const missingFits = fits.filter((f) => !results.has(f.fit));
    if (missingFits.length > 0) {
      const w = missingFits[0];
      throw inputError(
        `stage ${s}: ${missingFits.length} fit${missingFits.length > 1 ? 's' : ''} missing, the first fit ${w.fit} (${w.candidate}) of shard ${(w.fit % count) + 1}/${count} in ${seen.get((w.fit % count) + 1)}: was that shard cut short?`,
      );
    }
    applyStage(state, id.auto, [...results.values()], higher);
  }
  return { id, state, stages: last };
}

export interface StageRun {
  file: string;
  stage: number;
  of: number;
  fits: number;
  mine: number;
  /** What the stage does, in words. */
  what: string;
}

/**
 * Runs this shard's share of the next stage after `previous` (none: stage 1) and writes it to
 * `dir`/auto-stage-<s>-shard-<i>-of-<N>.jsonl, one line per fit as it finishes.
 */
export async function runAutoShard(
  search: AutoSearch,
  data: AutoData,
  previous: AutoStageFile[],
  shard: Shard,
  dir: string,
  opts: Pick<AutoOptions, 'workers' | 'onStage' | 'onProgress'> = {},
): Promise<StageRun> {
  const id = searchIdOf(search, data);
  const { state, stages } = replayStages(previous, id);
  const fits = stageFits(state, search.cfg);
  const mine = fits.filter((f) => f.fit % shard.count === shard.index - 1);
  const header: AutoStageHeader = {
    type: 'plan',
    format: AUTO_STAGE_FORMAT,
    format_version: 1,
    ...id,
    stage: { index: stages + 1, of: stageCount(id.plan), fits: fits.length, after: stateDigest(state) },
    shard,
  };
  const file = `${dir}/${stageFileName(stages + 1, shard)}`;
  writeFileAtomic(file, JSON.stringify(header) + '\n');
  const what = describeStage(state, search.cfg);
  opts.onStage?.(
    `auto: stage ${stages + 1}/${stageCount(id.plan)}, ${what}: ${mine.length} of its ${fits.length} fits`,
  );
  // Each fit is written as it finishes (one append per line), so a cut-short shard leaves whole lines.
  await runFits(search, mine, {
    ...opts,
    onResult: (r) => appendFileSync(file, JSON.stringify({ type: 'fit', ...r } satisfies AutoFitRecord) + '\n'),
  });
  return { file, stage: stages + 1, of: stageCount(id.plan), fits: fits.length, mine: mine.length, what };
}

export type MergedAuto =
  | { done: false; stages: number; of: number; next: string; fits: number }
  | { done: true; stages: number; of: number; selection: AutoSelectionFile };

/** The stage files so far, reduced: what comes next, or the finished search's selection. */
export function mergeAutoStages(files: AutoStageFile[]): MergedAuto {
  const { id, state, stages } = replayStages(files);
  const of = stageCount(id.plan);
  if (state.stages < of)
    return {
      done: false,
      stages,
      of,
      next: describeStage(state, id.auto),
      fits: stageFits(state, id.auto).length,
    };
  // Fit seconds summed over the shards: what the search cost, not how long anyone waited.
  const seconds = [...state.seconds.values()].reduce((t, s) => t + s, 0);
  return {
    done: true,
    stages,
    of,
    selection: {
      format: AUTO_SELECTION_FORMAT,
      format_version: 1,
      search: id,
      ...outcomeOf(state, id.auto, id.costs, seconds),
    },
  };
}

export function selectionFileOf(search: AutoSearch, data: AutoData, outcome: AutoOutcome): AutoSelectionFile {
  return { format: AUTO_SELECTION_FORMAT, format_version: 1, search: searchIdOf(search, data), ...outcome };
}

/**
 * A finished search's selection, checked to be this search's (same data, config, seed and
 * plan), so training with it seals the bundle the search in one process would have.
 */
export function adoptSelection(
  file: AutoSelectionFile,
  source: string,
  search: AutoSearch,
  data: AutoData,
): AutoOutcome {
  if (file.format !== AUTO_SELECTION_FORMAT || file.format_version !== 1)
    throw inputError(
      `${source}: not a selection of "mlops tune --engine auto" (format ${JSON.stringify(file.format)})`,
    );
  const diff = searchDifferences(file.search, searchIdOf(search, data));
  if (diff.length > 0)
    throw inputError(
      `${source}: the selection was made by another search than this training's (differs in: ${diff.join(', ')}); run the search again or train with the config it was made with`,
    );
  return { selection: file.selection, fit_seconds: file.fit_seconds, seconds: file.seconds };
}
