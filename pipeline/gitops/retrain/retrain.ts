/**
 * Scheduled retraining, start to finish, in one checkout:
 *   ingest → (nothing new? stop) → commit the data version → drift report → train with
 *   the current config → gate against the champion → on a pass, record the promotion in
 *   the registry and commit it with the report.
 * The result says whether the caller should publish (a pull request, or a direct push)
 * or only report why not. Commits are local; pushing and GitHub are the adapter's job.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { markdownTable } from 'markdown-table';
import { resolvePath, type MlopsConfig, train, writeFileAtomic, isMlopsError } from '../../core/index.ts';
import { ingest, short, type IngestResult } from '../ingest/ingest.ts';
import { runDrift, writeDriftOutputs } from '../drift/run-drift.ts';
import { driftMarkdown } from '../drift/markdown.ts';
import type { DriftReport } from '../drift/drift.ts';
import { championModel } from '../drift/champion.ts';
import { buildRunRecord, newRunId, writeRunFolder } from '../run/run-folder.ts';
import { metricsTable } from '../report/tables.ts';
import { compareRun, promoteRun, registryDir, verdictMarkdown, type Verdict } from '../registry/index.ts';
import { commitPaths, type Author } from './git.ts';

export type RetrainStatus = 'no-new-data' | 'kept-champion' | 'promote';

export interface RetrainOptions {
  config: MlopsConfig;
  baseDir: string;
  /** Who is retraining, for the registry history (e.g. the workflow's actor). */
  actor: string;
  ciRunUrl?: string | null;
  /** Commit identity of the data and registry commits. */
  author: Author;
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
  /** Title and body for the pull request, and the job summary. */
  title: string;
  report: string;
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
  const { config, baseDir } = opts;
  const stage = opts.onStage ?? (() => undefined);
  const dataPath = resolvePath(baseDir, config.data.path);
  const before = readFileSync(dataPath);
  const paths = retrainPaths(config);
  const commits: string[] = [];

  stage('ingesting new data');
  const ing = ingest({ config, baseDir });
  const newRows = ing.version_after !== ing.version_before;
  const base = { ingest: ing, drift: null, driftError: null, run: null, verdict: null, promotion: null, commits };
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
    const c = await commitPaths(
      baseDir,
      paths.data,
      `data: ingest ${accepted} rows from ${ing.files.map((f) => f.file).join(', ')}\n\n${config.data.path}: ${short(ing.version_before)} → ${short(ing.version_after)} (${ing.rows_before} → ${ing.rows_after} rows)`,
      opts.author,
    );
    if (c) commits.push(c);
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
  const result = await train({ config, baseDir, onWarning: opts.onWarning });
  const id = newRunId(result.bundle.digest);
  const runDir = join(resolvePath(baseDir, config.runs_dir), id);
  writeRunFolder(runDir, result, buildRunRecord(result, 'retrain', id));
  if (drift) await writeDriftOutputs(join(runDir, 'drift'), drift);

  stage('comparing with the champion');
  const regDir = registryDir(config, baseDir);
  const verdict = compareRun({ dir: regDir, config, baseDir, challenger: runDir }).verdict;
  const run = { id, dir: runDir };
  const training = trainingSection(result.metrics, result.data);
  if (verdict.decision !== 'promote') {
    const reason = `kept champion: ${verdict.summary}`;
    const title = 'Retraining: champion kept';
    return {
      ...base,
      drift,
      driftError,
      run,
      verdict,
      status: 'kept-champion',
      reason,
      title,
      report: report({ title, reason, ing, drift, driftError, training, verdict }),
    };
  }

  stage('recording the promotion');
  const promoted = promoteRun({
    dir: regDir,
    config,
    baseDir,
    challenger: runDir,
    actor: opts.actor,
    ciRunUrl: opts.ciRunUrl ?? null,
  });
  const version = promoted.version;
  const reason = `promote: ${verdict.summary}`;
  const title = `Retrain ${config.model_name}${version !== null ? ` v${version}` : ''} on data ${short(ing.version_after)}`;
  const body = report({ title, reason, ing, drift, driftError, training, verdict });
  writeFileAtomic(resolvePath(baseDir, config.retrain.report_path), body + '\n');
  const c = await commitPaths(
    baseDir,
    paths.registry,
    `registry: promote ${config.model_name}${version !== null ? ` v${version}` : ''} (scheduled retraining)\n\n${verdict.summary}`,
    opts.author,
  );
  if (c) commits.push(c);
  return {
    ...base,
    drift,
    driftError,
    run,
    verdict,
    status: 'promote',
    reason,
    title,
    report: body,
    promotion: { version, champion: promoted.champion },
  };
}

function trainingSection(
  m: Awaited<ReturnType<typeof train>>['metrics'],
  data: { path: string; sha256: string; rows: number },
): string {
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
