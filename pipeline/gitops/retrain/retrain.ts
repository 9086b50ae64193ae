/**
 * Scheduled retraining, start to finish, in one checkout:
 *   ingest → (nothing new? stop) → commit the data version → drift report → a training
 *   run (run/training-run.ts: run folder, tracking, MLflow, model card) → gate against the
 *   champion → on a pass, record the promotion in the registry and commit it with the report.
 * The result says whether the caller should publish (`publishRetrain`: a pull request
 * branch, or a direct push) or only report why not. Nothing here knows about GitHub.
 */
import { readFileSync } from 'node:fs';
import { markdownTable } from 'markdown-table';
import { join, relative } from 'node:path';
import {
  resolvePath,
  writeFileAtomic,
  isMlopsError,
  type LoadedConfig,
  type MetricsFile,
  type MlopsConfig,
} from '../../core/index.ts';
import { ingest, short, type IngestResult } from '../ingest/ingest.ts';
import { runDrift, writeDriftOutputs } from '../drift/run-drift.ts';
import { driftMarkdown } from '../drift/markdown.ts';
import type { DriftReport } from '../drift/drift.ts';
import { championModel, championTrainingData } from '../drift/champion.ts';
import { commitPaths } from '../git/commit.ts';
import { authorEnv, type GitAuthor } from '../git/identity.ts';
import { pushWithRetry } from '../git/push.ts';
import { git, gitOk } from '../git/run.ts';
import { metricsTable } from '../report/tables.ts';
import { trainingRun, versionReportDir } from '../run/training-run.ts';
import { versionReportTarget, writeVersionCard } from '../registry/version-card.ts';
import { evaluationParts, type EvaluationPart } from '../run/evaluation-rows.ts';
import { runDataRecord } from '../run/data-record.ts';
import {
  compareRun,
  promoteRun,
  registryDir,
  verdictMarkdown,
  type PromoteResult,
  type Verdict,
} from '../registry/index.ts';

export type RetrainStatus = 'no-new-data' | 'kept-champion' | 'promote';

export interface RetrainOptions {
  loaded: LoadedConfig;
  /** Who is retraining, for the registry history (e.g. the workflow's actor). */
  actor: string;
  ciRunUrl?: string | null;
  /** Commit identity of the data and registry commits. */
  author: GitAuthor;
  /** Retrain even when no new rows arrived (a manual dispatch, a config change). */
  force?: boolean;
  onStage?: (stage: string) => void;
  onWarning?: (message: string) => void;
}

export interface RetrainOutcome {
  status: RetrainStatus;
  /** One line for the job summary: why we stopped, kept or promote. */
  reason: string;
  ingest: IngestResult;
  drift: DriftReport | null;
  driftError: string | null;
  run: { id: string; dir: string } | null;
  verdict: Verdict | null;
  /** The registered version and champion after promotion (status `promote` only). */
  promotion: { version: number | null; champion: number | null } | null;
  /** Local commits made (data, then registry + report), oldest first. */
  commits: string[];
  /** The data commit, when new rows arrived. */
  dataCommit: string | null;
  /** Title and body for the pull request, and the job summary. */
  title: string;
  report: string;
  /** The challenger's training summary, for the report when the promotion is re-applied. */
  training: string | null;
}

/** Files scheduled retraining may change, relative to the config's folder. */
export function retrainPaths(config: MlopsConfig): { data: string[]; registry: string[] } {
  const i = config.ingest;
  return {
    data: [config.data.path, i.log, i.incoming, i.processed, i.quarantine],
    registry: [config.registry.path, config.retrain.report_path],
  };
}

export async function retrain(opts: RetrainOptions): Promise<RetrainOutcome> {
  const { config, baseDir } = opts.loaded;
  const stage = opts.onStage ?? (() => undefined);
  const dataPath = resolvePath(baseDir, config.data.path);
  const before = readFileSync(dataPath);
  const paths = retrainPaths(config);
  const commits: string[] = [];

  stage('ingesting new data');
  const ing = ingest({ config, baseDir });
  const newRows = ing.version_after !== ing.version_before;
  let dataCommit: string | null = null;
  const base = {
    ingest: ing,
    drift: null,
    driftError: null,
    run: null,
    verdict: null,
    promotion: null,
    commits,
    dataCommit,
    training: null,
  };
  if (!newRows && !opts.force && !config.retrain.always) {
    const reason =
      ing.files.length === 0
        ? 'no new data: the incoming folder holds no new CSV files'
        : `no new data: ${ing.files.length} incoming file${ing.files.length > 1 ? 's' : ''} added no rows (see the ingestion table)`;
    const title = 'Retraining: nothing new';
    return { ...base, status: 'no-new-data', reason, title, report: report({ title, reason, ing }) };
  }
  if (newRows) {
    const accepted = ing.files.reduce((s, f) => s + (f.status === 'ingested' ? f.entry.accepted : 0), 0);
    dataCommit = await commitPaths(
      baseDir,
      paths.data,
      `data: ingest ${accepted} rows from ${ing.files.map((f) => f.file).join(', ')}\n\n${config.data.path}: ${short(ing.version_before)} → ${short(ing.version_after)} (${ing.rows_before} → ${ing.rows_after} rows)`,
      opts.author,
    );
    if (dataCommit) commits.push(dataCommit);
  }

  const champion = championModel(config, baseDir);
  let drift: DriftReport | null = null;
  let driftError: string | null = null;
  if (newRows) {
    stage('measuring drift');
    try {
      drift = runDrift({
        config,
        baseDir,
        model: champion,
        trainedData: championTrainingData(config, baseDir),
        // Without a champion, the new rows are compared with the data set they were added to.
        referenceData: champion ? null : { bytes: before, name: `${config.data.path}@${short(ing.version_before)}` },
      });
    } catch (e) {
      if (!isMlopsError(e)) throw e;
      driftError = e.message;
      opts.onWarning?.(`drift report skipped: ${e.message}`);
    }
  }

  stage(`training ${config.engine.name}`);
  let verdict!: Verdict;
  let promoted: PromoteResult | null = null;
  const trained = await trainingRun({
    loaded: opts.loaded,
    command: 'retrain',
    onStage: stage,
    warn: opts.onWarning ?? (() => undefined),
    beforeReport: async ({ dir, result, record }) => {
      if (drift) await writeDriftOutputs(join(dir, 'drift'), drift);
      stage('comparing with the champion');
      // The rows just read: a database or snapshot source is not read a second time.
      const rows = evaluationParts(
        result.bundle,
        runDataRecord(record),
        baseDir,
        config.promotion.golden_path,
        result.evaluationTable,
      );
      verdict = compareRun({ dir: registryDir(config, baseDir), config, baseDir, challenger: dir, rows }).verdict;
      if (verdict.decision !== 'promote') return;
      stage('recording the promotion');
      promoted = register(opts, dir, false, rows);
      // The report goes to the run folder and, for the new version, to reports/<model>/v<N>/ with its full card.md.
      const version = promoted.version;
      return { version, alsoTo: version === null ? [] : [versionReportTarget(opts.loaded, version)] };
    },
  });
  const run = { id: trained.id, dir: trained.dir };
  const training = trainingSection(trained.result.metrics, trained.result.data);
  const done = { ...base, dataCommit, drift, driftError, run, training };
  const recorded = promoted ? await commitPromotion(opts, promoted, { ing, drift, driftError, training }) : null;
  if (!recorded) {
    const reason = `kept champion: ${verdict.summary}`;
    const title = 'Retraining: champion kept';
    return {
      ...done,
      verdict,
      status: 'kept-champion',
      reason,
      title,
      report: report({ title, reason, ing, drift, driftError, training, verdict }),
    };
  }
  const r: Recorded = recorded;
  if (r.commit) commits.push(r.commit);
  return { ...done, ...outcomeOf(r) };
}

interface Recorded {
  promoted: PromoteResult;
  commit: string | null;
  title: string;
  reason: string;
  body: string;
}

/**
 * Registers the challenger in run folder `dir` (the gate decides promote or keep). On a
 * re-application (`again`) a version the gate approved the first time stays registered
 * even if a newer champion now wins.
 */
function register(opts: RetrainOptions, dir: string, again: boolean, rows?: EvaluationPart[]): PromoteResult {
  const { config, baseDir } = opts.loaded;
  return promoteRun({
    dir: registryDir(config, baseDir),
    config,
    baseDir,
    challenger: dir,
    rows,
    actor: opts.actor,
    ciRunUrl: opts.ciRunUrl ?? null,
    registerOnKeep: again,
    note: again ? 're-applied after another writer moved the branch' : null,
  });
}

/** Writes the retraining report and commits it with the registry and the version's model card. */
async function commitPromotion(
  opts: RetrainOptions,
  promoted: PromoteResult,
  run: { ing: IngestResult; drift: DriftReport | null; driftError: string | null; training: string },
): Promise<Recorded> {
  const { config, baseDir } = opts.loaded;
  const v = promoted.version === null ? '' : ` v${promoted.version}`;
  const promote = promoted.decision === 'promote';
  const reason = `${promote ? 'promote' : 'kept champion'}: ${promoted.verdict.summary}`;
  const title = promote
    ? `Retrain ${config.model_name}${v} on data ${short(run.ing.version_after)}`
    : 'Retraining: champion kept';
  const body = report({ ...run, ing: run.ing, title, reason, verdict: promoted.verdict });
  writeFileAtomic(resolvePath(baseDir, config.retrain.report_path), body + '\n');
  const versionReport =
    promoted.version === null ? [] : [relative(baseDir, versionReportDir(opts.loaded, promoted.version))];
  const commit = await commitPaths(
    baseDir,
    [...retrainPaths(config).registry, ...versionReport],
    `registry: ${promote ? 'promote' : 'register'} ${config.model_name}${v}${promote ? '' : ` as challenger, champion v${promoted.champion} kept`} (scheduled retraining)\n\n${promoted.verdict.summary}`,
    opts.author,
  );
  return { promoted, commit, title, reason, body };
}

function outcomeOf(
  r: Recorded,
): Pick<RetrainOutcome, 'status' | 'reason' | 'title' | 'report' | 'verdict' | 'promotion'> {
  return {
    status: r.promoted.decision === 'promote' ? 'promote' : 'kept-champion',
    reason: r.reason,
    title: r.title,
    report: r.body,
    verdict: r.promoted.verdict,
    promotion: { version: r.promoted.version, champion: r.promoted.champion },
  };
}

export interface PublishTarget {
  remote: string;
  branch: string;
  /**
   * The bot's own branch, rebuilt from the base branch on every run: pushed with --force,
   * so only a lost ref-lock race is retried. A shared branch (direct promotion) is never forced.
   */
  force: boolean;
  maxAttempts?: number;
  backoffMs?: number;
}

/**
 * Pushes a promoting retrain's commits. When the branch moved meanwhile (either
 * rejection kind, git/push.ts), the work is re-applied on the new tip: the data commit is
 * cherry-picked and the promotion is recorded again as data (a new version number, the gate
 * re-checked against the champion found there), never merged as text. A data commit that
 * conflicts, or a data file that changed under the model (the evaluation rows no longer
 * match), cannot be re-applied: the push fails and says so, nothing is pushed, and the local
 * commits stay as they were.
 */
export async function publishRetrain(
  opts: RetrainOptions,
  outcome: RetrainOutcome,
  target: PublishTarget,
): Promise<RetrainOutcome & { pushed: { commit: string; attempts: number } }> {
  const { baseDir } = opts.loaded;
  const root = await gitOk(['rev-parse', '--show-toplevel'], baseDir);
  const origHead = await gitOk(['rev-parse', 'HEAD'], root);
  const env = authorEnv(opts.author);
  let current = outcome;
  const pushed = await pushWithRetry({
    root,
    remote: target.remote,
    branch: target.branch,
    force: target.force,
    maxAttempts: target.maxAttempts,
    backoffMs: target.backoffMs,
    what: 'the retrained model',
    restore: async () => {
      const r = await git(['reset', '-q', '--keep', origHead], root);
      return r.code === 0
        ? `the local commits are kept at ${origHead.slice(0, 7)}; the next run starts from the new tip`
        : `could not move back to ${origHead.slice(0, 7)}: ${r.stderr.trim()}`;
    },
    reapply: async (tip) => {
      // A forced push replaces the branch: there is nothing to re-apply, only the race to retry.
      if (target.force) return;
      if (!outcome.run || !outcome.training) throw new Error('there is no trained challenger to re-apply');
      const mv = await git(['reset', '-q', '--keep', tip], root);
      if (mv.code !== 0) throw new Error(`cannot move to ${tip.slice(0, 7)}: ${mv.stderr.trim()}.`);
      const commits: string[] = [];
      let dataCommit: string | null = null;
      if (outcome.dataCommit) {
        const pick = await git(['-c', 'commit.gpgsign=false', 'cherry-pick', outcome.dataCommit], root, env);
        if (pick.code !== 0) {
          await git(['cherry-pick', '--abort'], root);
          throw new Error(
            `the new data (${outcome.dataCommit.slice(0, 7)}) conflicts with changes on the new tip: ${(pick.stderr || pick.stdout).trim()}`,
          );
        }
        dataCommit = await gitOk(['rev-parse', 'HEAD'], root);
        commits.push(dataCommit);
      }
      const promoted = register(opts, outcome.run.dir, true);
      if (promoted.version !== null) await writeVersionCard(opts.loaded, outcome.run.dir, promoted.version);
      const r = await commitPromotion(opts, promoted, {
        ing: outcome.ingest,
        drift: outcome.drift,
        driftError: outcome.driftError,
        training: outcome.training,
      });
      if (r.commit) commits.push(r.commit);
      current = { ...outcome, ...outcomeOf(r), commits, dataCommit };
    },
  });
  return { ...current, pushed };
}

function trainingSection(m: MetricsFile, data: { path: string; sha256: string; rows: number }): string {
  return [
    `Trained on \`${data.path}\` @ \`${short(data.sha256)}\` (${data.rows} rows; ${m.rows.train}/${m.rows.validation}/${m.rows.test} train/validation/test).`,
    '',
    metricsTable({ validation: m.validation, test: m.test }),
  ].join('\n');
}

function ingestTable(ing: IngestResult): string {
  if (ing.files.length === 0) return 'No new files in the incoming folder.';
  const rows = ing.files.map((f) => {
    const e = f.entry;
    const status = f.status === 'already-ingested' ? 'already ingested' : f.status;
    // The reasons travel with the table: on a runner, the quarantine file is gone after the job.
    const reasons = Object.entries(e.reasons).map(([r, n]) => `${n} × ${r}`);
    if (e.error) reasons.push(e.error);
    return [
      f.file,
      status,
      String(e.rows_read),
      String(e.accepted),
      String(e.rejected),
      String(e.duplicates),
      reasons.join('; ') || '—',
    ];
  });
  return markdownTable(
    [['File', 'Status', 'Rows read', 'Accepted', 'Rejected', 'Duplicates', 'Why rejected'], ...rows],
    { align: ['l', 'l', 'r', 'r', 'r', 'r', 'l'] },
  );
}

function report(p: {
  title: string;
  reason: string;
  ing: IngestResult;
  drift?: DriftReport | null;
  driftError?: string | null;
  training?: string;
  verdict?: Verdict;
}): string {
  const { ing } = p;
  const parts = [
    `## ${p.title}`,
    '',
    `**${p.reason}**`,
    '',
    '### Data',
    '',
    ing.version_after === ing.version_before
      ? `Data set \`${ing.data_path}\` unchanged at \`${short(ing.version_after)}\` (${ing.rows_after} rows).`
      : `Data set \`${ing.data_path}\`: \`${short(ing.version_before)}\` → \`${short(ing.version_after)}\` (${ing.rows_before} → ${ing.rows_after} rows).`,
    '',
    ingestTable(ing),
    '',
  ];
  if (p.drift) parts.push(driftMarkdown(p.drift, { heading: '### Drift' }));
  else if (p.driftError) parts.push('### Drift', '', `Not measured: ${p.driftError}`, '');
  if (p.training) parts.push('### Challenger', '', p.training, '');
  if (p.verdict) parts.push('### Promotion gate', '', verdictMarkdown(p.verdict), '');
  // GitHub caps a pull request body at 65,536 characters.
  const text = parts.join('\n');
  return text.length > 60_000
    ? text.slice(0, 60_000) + '\n\n… (truncated; the full report is in the run folder)'
    : text;
}
