/**
 * Model-risk sign-off, recorded beside the promotion it released. The release job runs in
 * a GitHub Environment with required reviewers; the adapter reads the run's reviews
 * (approved or rejected, who, comment) and this module turns them into one `signed_off`
 * history event for the champion version, and a "Sign-off" section in that version's
 * model card. Recording is idempotent: the same run's reviews are recorded once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MlopsError, writeFileAtomic } from '../../core/index.ts';
import { commitRegistryChange, type CommitOptions, type CommitOutcome } from './commit.ts';
import { withRegistryLock } from './lock.ts';
import { eventContext, type EventContext } from './promote.ts';
import { cardWithSignOffs, signOffText } from './card.ts';
import type { HistoryEvent, SignOff } from './schema.ts';
import { findVersion, loadRegistry, saveRegistry } from './store.ts';

/** One review of a deployment environment, as GitHub reports it for a run. */
export interface EnvironmentReview {
  login: string;
  state: 'approved' | 'rejected' | 'pending';
  comment: string | null;
  environments: string[];
}

/** The sign-off the reviews of `environment` amount to, or null when nobody reviewed it. */
export function signOffFrom(reviews: EnvironmentReview[], environment: string, runId: number | null): SignOff | null {
  const mine = reviews.filter(
    (r): r is EnvironmentReview & { state: 'approved' | 'rejected' } =>
      r.state !== 'pending' && r.environments.includes(environment),
  );
  if (mine.length === 0) return null;
  return {
    environment,
    state: mine.some((r) => r.state === 'rejected') ? 'rejected' : 'approved',
    // Comments are free text from the review dialog: one line, bounded, for the history and the card.
    reviewers: mine.map((r) => ({
      login: r.login,
      state: r.state,
      comment: r.comment?.replace(/\s+/g, ' ').trim().slice(0, 500) || null,
    })),
    run_id: runId,
  };
}

export interface SignOffOptions extends EventContext {
  dir: string;
  name: string;
  environment: string;
  reviews: EnvironmentReview[];
  runId: number | null;
  /** The version being released; default the champion. */
  version?: number | null;
}

export interface SignOffResult {
  /** `none`: the environment has no reviews in this run (no environment, or no required reviewers). */
  state: SignOff['state'] | 'none';
  version: number;
  /** The recorded event, or the one recorded earlier for the same reviews. */
  event: HistoryEvent | null;
  /** False when nothing was written (no reviews, or already recorded). */
  recorded: boolean;
}

const sameSignOff = (a: SignOff, b: SignOff): boolean =>
  a.environment === b.environment &&
  a.state === b.state &&
  a.run_id === b.run_id &&
  JSON.stringify(a.reviewers) === JSON.stringify(b.reviewers);

/** Records the sign-off in the working tree (registry history and model card). */
export function recordSignOff(o: SignOffOptions): SignOffResult {
  return withRegistryLock(o.dir, () => {
    const reg = loadRegistry(o.dir);
    const model = reg.models[o.name];
    if (!model) throw new MlopsError('input', `no model "${o.name}" in the registry`);
    const version = o.version ?? model.aliases.champion;
    if (version == null) throw new MlopsError('state', `${o.name} has no champion to sign off`);
    const entry = findVersion(model, version);
    if (!entry) throw new MlopsError('input', `${o.name} has no version v${version}`);
    const signOff = signOffFrom(o.reviews, o.environment, o.runId);
    if (!signOff) return { state: 'none', version, event: null, recorded: false };
    const earlier = model.history.find(
      (h) => h.event === 'signed_off' && h.version === version && h.sign_off && sameSignOff(h.sign_off, signOff),
    );
    if (earlier) return { state: signOff.state, version, event: earlier, recorded: false };
    const ctx = eventContext(o);
    const event: HistoryEvent = {
      seq: model.history.length + 1,
      event: 'signed_off',
      time: ctx.time,
      actor: signOff.reviewers.map((r) => r.login).join(', '),
      version,
      previous_champion: null,
      digest: entry.digest,
      run_id: entry.lineage.run?.id ?? null,
      git_commit: ctx.gitCommit,
      ci_run_url: ctx.ciRunUrl,
      reason: signOffText(signOff),
      verdict: null,
      sign_off: signOff,
    };
    model.history.push(event);
    saveRegistry(o.dir, reg);
    const card = join(o.dir, entry.path, 'card.md');
    if (existsSync(card)) writeFileAtomic(card, cardWithSignOffs(readFileSync(card, 'utf8'), model, version));
    return { state: signOff.state, version, event, recorded: true };
  });
}

/** `recordSignOff`, committed and pushed with the registry's race-safe retry (nothing is committed when nothing is new). */
export async function recordSignOffAndCommit(
  o: SignOffOptions & CommitOptions,
): Promise<SignOffResult & { commit: CommitOutcome | null }> {
  const reg = loadRegistry(o.dir);
  const model = reg.models[o.name];
  const version = o.version ?? model?.aliases.champion ?? null;
  const signOff = signOffFrom(o.reviews, o.environment, o.runId);
  const done =
    !model ||
    version === null ||
    !signOff ||
    model.history.some(
      (h) => h.event === 'signed_off' && h.version === version && h.sign_off && sameSignOff(h.sign_off, signOff),
    );
  // Validates and answers the "nothing to record" cases without a commit.
  if (done) return { ...recordSignOff({ ...o, version }), commit: null };
  const out = await commitRegistryChange(o.dir, o, () => {
    const r = recordSignOff({ ...o, version });
    if (!r.recorded) throw new MlopsError('state', `the sign-off of ${o.name} v${version} is already recorded`);
    return {
      result: r,
      message: `registry: ${o.name} v${version} ${r.state === 'approved' ? 'signed off' : 'sign-off rejected'} in ${o.environment} by ${r.event!.actor}\n\n${r.event!.reason}\n${o.ciRunUrl ? `CI run: ${o.ciRunUrl}\n` : ''}`,
    };
  });
  const { commit, pushed, attempts, branch, result } = out;
  return { ...result, commit: { commit, pushed, attempts, branch } };
}
