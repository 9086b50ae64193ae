/**
 * Rollback moves the `champion` alias back to an earlier version. Nothing is deleted:
 * the bundles stay, and the history gets a `rolled_back` event with the reason.
 */
import { MlopsError } from '../../core/index.ts';
import { eventContext, type EventContext } from './promote.ts';
import type { HistoryEvent, RegistryFile } from './schema.ts';
import { findVersion, loadRegistry, loadVersionBundle, modelEntry, saveRegistry } from './store.ts';
import { withRegistryLock } from './lock.ts';

export interface RollbackOptions extends EventContext {
  /** Registry folder (`models/`). */
  dir: string;
  name: string;
  /** Target version; default: the newest earlier version that has served as champion. */
  to?: number | null;
  reason: string;
}

export interface RollbackResult {
  name: string;
  from: number;
  to: number;
  event: HistoryEvent;
  registry: RegistryFile;
}

export function rollback(opts: RollbackOptions): RollbackResult {
  return withRegistryLock(opts.dir, () => rollbackUnlocked(opts));
}

function rollbackUnlocked(opts: RollbackOptions): RollbackResult {
  if (!opts.reason?.trim())
    throw new MlopsError('usage', 'a rollback needs a reason (--reason TEXT); it goes into the registry history');
  const reg = loadRegistry(opts.dir);
  const model = modelEntry(reg, opts.name);
  if (!model) throw new MlopsError('input', `no model "${opts.name}" in the registry`);
  const from = model.aliases.champion;
  if (from == null) throw new MlopsError('state', `${opts.name} has no champion to roll back`);
  let to = opts.to ?? null;
  if (to === null) {
    const served = new Set(
      model.history
        .filter((h) => (h.event === 'promoted' || h.event === 'rolled_back') && h.version !== null)
        .map((h) => h.version!),
    );
    const earlier = model.versions.filter((v) => v.version < from && served.has(v.version)).at(-1);
    if (!earlier)
      throw new MlopsError('state', `${opts.name} has no earlier champion than v${from}; name one with --to vN`);
    to = earlier.version;
  }
  const target = findVersion(model, to);
  if (!target)
    throw new MlopsError(
      'input',
      `${opts.name} has no version v${to} (versions: ${model.versions.map((v) => `v${v.version}`).join(', ')})`,
    );
  if (to === from) throw new MlopsError('state', `v${to} is already the champion of ${opts.name}`);
  loadVersionBundle(opts.dir, target);
  const ctx = eventContext(opts);
  const event: HistoryEvent = {
    seq: model.history.length + 1,
    event: 'rolled_back',
    time: ctx.time,
    actor: ctx.actor,
    version: to,
    previous_champion: from,
    digest: target.digest,
    run_id: target.lineage.run?.id ?? null,
    git_commit: ctx.gitCommit,
    ci_run_url: ctx.ciRunUrl,
    reason: opts.reason,
    verdict: null,
  };
  model.history.push(event);
  model.aliases.champion = to;
  if (model.aliases.challenger === to) model.aliases.challenger = null;
  saveRegistry(opts.dir, reg);
  return { name: opts.name, from, to, event, registry: reg };
}
