/**
 * Promotion as data: read the registry, score the challenger against the champion it
 * holds, and append the outcome — a new version folder plus `registered`/`promoted`
 * events, or a `rejected` event — then write registry.json atomically. Because the
 * whole step is a function of (registry, challenger, policy), it can be re-applied on
 * top of whatever registry another writer pushed in the meantime.
 */
import { fairnessConfigOf, legacyDataRefs, type MlopsConfig, MlopsError } from '../../core/index.ts';
import { checkoutState } from '../git/checkout.ts';
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadChallenger, type Challenger } from './challenger.ts';
import { evaluationParts, type EvaluationPart } from '../run/evaluation-rows.ts';
import { evaluateChallenger, sizeMessage } from './policy.ts';
import { modelCard } from './card.ts';
import {
  emptyModel,
  type HistoryEvent,
  type HistoryEventKind,
  type Lineage,
  type ModelEntry,
  type RegistryFile,
  type VersionEntry,
} from './schema.ts';
import { findVersion, loadRegistry, loadVersionBundle, modelEntry, saveRegistry, writeVersionFolder } from './store.ts';
import { withRegistryLock } from './lock.ts';
import type { Verdict } from './verdict.ts';

/** Who did it, where, and when: recorded on every history event. */
export interface EventContext {
  actor: string;
  /** Link to the CI run (the CLI fills it from GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID). */
  ciRunUrl?: string | null;
  /** Code commit the event happened at; default: HEAD of the registry's git checkout, if any. */
  gitCommit?: string | null;
  now?: Date;
}

export interface CompareOptions {
  /** Registry folder (`models/`). */
  dir: string;
  config: MlopsConfig;
  /** Folder the config's relative paths (data, golden file) resolve against. */
  baseDir: string;
  /** A run folder, or a challenger already in memory. */
  challenger: string | Challenger;
  force?: { reason: string } | null;
  /** Evaluation rows computed earlier (re-used across retries so the data is read once). */
  rows?: EvaluationPart[];
}

export interface PromoteOptions extends CompareOptions, EventContext {
  /**
   * Register the challenger as a version even when the gate keeps the champion (it then
   * becomes the `challenger` alias). Used when a promotion approved earlier is re-applied
   * after another writer moved the registry: the version is kept, only the alias is re-decided.
   */
  registerOnKeep?: boolean;
  /** A note recorded on the events, e.g. that this is a re-application after a race. */
  note?: string | null;
  /** Record a `rejected` event when the gate keeps the champion (default true). */
  recordRejection?: boolean;
  /** Compute the verdict only; write nothing. */
  dryRun?: boolean;
}

export interface CompareResult {
  name: string;
  verdict: Verdict;
  challenger: Challenger;
  rows: EvaluationPart[];
}

export interface PromoteResult extends CompareResult {
  decision: Verdict['decision'];
  /** The version registered by this call, or null when the challenger was only rejected. */
  version: number | null;
  champion: number | null;
  previousChampion: number | null;
  events: HistoryEvent[];
  /** Paths written, relative to the registry folder. */
  files: string[];
  registry: RegistryFile;
}

/** Scores the challenger against the current champion; writes nothing. */
export function compareRun(opts: CompareOptions): CompareResult {
  const reg = loadRegistry(opts.dir);
  return compareWith(reg, opts);
}

function compareWith(reg: RegistryFile, opts: CompareOptions): CompareResult {
  const challenger = typeof opts.challenger === 'string' ? loadChallenger(opts.challenger) : opts.challenger;
  // The config names the model; a run trained under another name fails the validity rule.
  const name = opts.config.model_name;
  const model = modelEntry(reg, name);
  const rows =
    opts.rows ?? evaluationParts(challenger.bundle, challenger.record, opts.baseDir, opts.config.promotion.golden_path);
  const championEntry = model?.aliases.champion != null ? findVersion(model, model.aliases.champion) : null;
  const champion = championEntry
    ? { version: championEntry.version, bundle: loadVersionBundle(opts.dir, championEntry) }
    : null;
  const verdict = evaluateChallenger({
    name,
    challenger,
    champion,
    policy: opts.config.promotion,
    rows,
    maxBundleBytes: opts.config.registry.max_bundle_bytes,
    registered: model?.versions.map((v) => ({ version: v.version, digest: v.digest })) ?? [],
    force: opts.force ?? null,
    fairness: opts.config.promotion.fairness_guardrail ? fairnessConfigOf(opts.config) : null,
  });
  return { name, verdict, challenger, rows };
}

/** Compares and records the outcome in the registry (files + registry.json). */
export function promoteRun(opts: PromoteOptions): PromoteResult {
  return opts.dryRun ? promoteUnlocked(opts) : withRegistryLock(opts.dir, () => promoteUnlocked(opts));
}

function promoteUnlocked(opts: PromoteOptions): PromoteResult {
  if (opts.force && !opts.force.reason?.trim())
    throw new MlopsError('usage', 'a forced promotion needs a reason (--reason TEXT)');
  const reg = loadRegistry(opts.dir);
  const cmp = compareWith(reg, opts);
  const { name, verdict, challenger } = cmp;
  if (opts.dryRun) {
    const champion = modelEntry(reg, name)?.aliases.champion ?? null;
    return {
      ...cmp,
      decision: verdict.decision,
      version: null,
      champion,
      previousChampion: champion,
      events: [],
      files: [],
      registry: reg,
    };
  }
  const size = verdict.rules.find((r) => r.id === 'validity:size');
  if (size && !size.passed)
    throw new MlopsError(
      'state',
      `refusing to register ${name}: ${sizeMessage(size.challenger ?? 0, opts.config.registry.max_bundle_bytes)}`,
    );

  const model: ModelEntry = modelEntry(reg, name) ?? emptyModel();
  reg.models[name] = model;
  const previousChampion = model.aliases.champion;
  const ctx = eventContext(opts);
  const base = {
    digest: challenger.bundle.digest,
    run_id: challenger.run?.id ?? null,
    ci_run_url: ctx.ciRunUrl,
    git_commit: ctx.gitCommit,
    actor: ctx.actor,
    time: ctx.time,
  };
  const note = opts.note ? ` (${opts.note})` : '';
  const events: HistoryEvent[] = [];
  const push = (event: HistoryEventKind, fields: Partial<HistoryEvent>): void => {
    const e: HistoryEvent = {
      seq: model.history.length + 1,
      event,
      version: null,
      previous_champion: null,
      reason: null,
      verdict,
      ...base,
      ...fields,
    };
    model.history.push(e);
    events.push(e);
  };
  const isDuplicate = verdict.rules.some((r) => r.id === 'validity:new-model' && !r.passed);
  const register =
    verdict.decision === 'promote' ||
    (Boolean(opts.registerOnKeep) &&
      !isDuplicate &&
      verdict.rules.filter((r) => r.kind === 'validity').every((r) => r.passed));
  let version: number | null = null;
  const files: string[] = [];
  if (register) {
    version = (model.versions.at(-1)?.version ?? 0) + 1;
    const entry = versionEntry(name, version, challenger, verdict, cmp.rows, ctx);
    const lineage = entry.lineage;
    const card = modelCard({ name, version, bundle: challenger.bundle, metrics: challenger.metrics, verdict, lineage });
    const stored = writeVersionFolder(
      opts.dir,
      entry.path,
      challenger.bundle,
      versionMetrics(challenger, verdict),
      card,
    );
    entry.bundle = { file: entry.bundle.file, ...stored };
    model.versions.push(entry);
    files.push(`${entry.path}/model.json.gz`, `${entry.path}/metrics.json`, `${entry.path}/card.md`);
    push('registered', { version, reason: `registered from run ${challenger.run?.id ?? 'in memory'}${note}` });
  }
  if (verdict.decision === 'promote') {
    model.aliases.champion = version;
    if (model.aliases.challenger === version) model.aliases.challenger = null;
    push('promoted', {
      version,
      previous_champion: previousChampion,
      reason: verdict.forced ? `forced: ${verdict.forced.reason}${note}` : `${verdict.summary}${note}`,
    });
  } else {
    if (version !== null) model.aliases.challenger = version;
    if (opts.recordRejection !== false)
      push('rejected', { version, previous_champion: previousChampion, reason: `${verdict.summary}${note}` });
  }
  try {
    if (events.length > 0) saveRegistry(opts.dir, reg);
  } catch (e) {
    // Without its registry entry the new folder would be an orphan that blocks the next promotion.
    if (version !== null) rmSync(resolve(opts.dir, `${name}/v${version}`), { recursive: true, force: true });
    throw e;
  }
  files.push('registry.json');
  return {
    ...cmp,
    decision: verdict.decision,
    version,
    champion: model.aliases.champion,
    previousChampion,
    events,
    files,
    registry: reg,
  };
}

export function eventContext(ctx: EventContext & { dir: string }): {
  actor: string;
  ciRunUrl: string | null;
  gitCommit: string | null;
  time: string;
} {
  if (!ctx.actor?.trim())
    throw new MlopsError('usage', 'an actor (who is doing this) is required for the registry history');
  return {
    actor: ctx.actor,
    ciRunUrl: ctx.ciRunUrl ?? null,
    gitCommit: ctx.gitCommit !== undefined ? ctx.gitCommit : checkoutState(existingAncestor(ctx.dir)).commit,
    time: (ctx.now ?? new Date()).toISOString(),
  };
}

export function existingAncestor(p: string): string {
  let d = resolve(p);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

function versionEntry(
  name: string,
  version: number,
  ch: Challenger,
  verdict: Verdict,
  rows: EvaluationPart[],
  ctx: { ciRunUrl: string | null; time: string },
): VersionEntry {
  const b = ch.bundle;
  const p = b.provenance;
  const golden = rows.find((r) => r.name === 'golden');
  const lineage: Lineage = {
    data: ch.record.data,
    test_data: ch.record.test_data,
    golden: golden ? { path: golden.path, sha256: golden.sha256, rows: golden.rows } : null,
    config: lineageConfig(ch),
    seed: p.seed,
    engine: p.engine,
    params: b.engine.params,
    code_commit: p.git.commit,
    code_dirty: p.git.dirty,
    packages: p.packages,
    run: ch.run,
    ci_run_url: ctx.ciRunUrl,
  };
  const test: Record<string, number | null> = {};
  for (const [k, val] of Object.entries(b.metrics.test)) if (typeof val === 'number' || val === null) test[k] = val;
  return {
    version,
    path: `${name}/v${version}`,
    digest: b.digest,
    bundle: { file: 'model.json.gz', sha256: '0'.repeat(64), bytes: 1 },
    created_at: ctx.time,
    engine: b.engine.engine,
    threshold: b.threshold,
    metrics: { test, evaluation: verdict.metrics.challenger },
    forced: verdict.forced,
    lineage,
  };
}

/**
 * The model-relevant config with where the rows were read from put back (the bundle leaves
 * that out): what `registry verify` retrains with.
 */
function lineageConfig(ch: Challenger): object {
  const config = ch.bundle.provenance.config as { data?: object };
  const location =
    ch.dataLocation ??
    (legacyDataRefs(ch.bundle)
      ? null
      : {
          path: ch.record.data.path,
          test_path: ch.record.test_data?.path ?? null,
          ...(ch.record.source ? { source: ch.record.source.source } : {}),
        });
  return location ? { ...config, data: { ...config.data, ...location } } : config;
}

function versionMetrics(ch: Challenger, verdict: Verdict): unknown {
  return {
    ...ch.metrics,
    evaluation: { evaluated_on: verdict.evaluated_on, champion: verdict.champion, metrics: verdict.metrics },
  };
}
