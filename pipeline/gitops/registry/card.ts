/**
 * `card.md`, the one model card of a registered version, stored next to its bundle. At
 * registration it is the short card below; once the version's report exists it is the
 * report's full card (report/card.ts) followed by what only the registry knows (the
 * gate's verdict, the split, lineage) and the version's sign-offs, rendered from the history.
 */
import { markdownTable } from 'markdown-table';
import { engineLabel, num, type Bundle, type MetricsFile } from '../../core/index.ts';
import { metricsTable } from '../report/tables.ts';
import type { Verdict } from './verdict.ts';
import type { Lineage, ModelEntry, SignOff, VersionEntry } from './schema.ts';

interface RecordFacts {
  name: string;
  version: number;
  metrics: MetricsFile;
  verdict: Verdict | null;
  lineage: Lineage;
}

function splitLine({ lineage, metrics: m }: RecordFacts): string {
  const cfg = lineage.config as { split?: { train: number; validation: number; test: number } };
  return lineage.test_data
    ? `- Test data \`${lineage.test_data.path}\` (${lineage.test_data.rows} rows).`
    : `- Split ${cfg.split ? `${cfg.split.train}/${cfg.split.validation}/${cfg.split.test}` : 'n/a'} (train/validation/test), stratified, seed ${lineage.seed}: ${m.rows.train}/${m.rows.validation}/${m.rows.test} rows.`;
}

function overfittingLine({ metrics: m }: RecordFacts): string {
  return m.overfitting.flagged
    ? `- Train − test ROC AUC gap ${num(m.overfitting.gap)} exceeds ${m.overfitting.max_gap}: the model may be overfitted.`
    : `- Train − test ROC AUC gap ${num(m.overfitting.gap)} (limit ${m.overfitting.max_gap}).`;
}

const THRESHOLD_LIMIT =
  '- Probabilities are scored at a single threshold; a change in the cost of errors calls for a new threshold, not just a new model.';

function lineageLines({ name, version, lineage }: RecordFacts): string[] {
  return [
    `- Code commit \`${lineage.code_commit ?? 'unknown'}\`${lineage.code_dirty ? ' (with uncommitted changes)' : ''}; run ${lineage.run ? `\`${lineage.run.id}\`` : 'n/a'}${lineage.ci_run_url ? ` ([CI run](${lineage.ci_run_url}))` : ''}.`,
    `- Reproduce: \`mlops registry verify ${name}@v${version}\`.`,
  ];
}

/** The short card written at registration, before the version's report exists. */
export function modelCard(opts: RecordFacts & { bundle: Bundle; verdict: Verdict }): string {
  const { bundle: b, metrics: m, verdict: v, lineage } = opts;
  const positives = b.schema.positive;
  const lines = [
    `# ${opts.name} v${opts.version}`,
    '',
    `Engine **${engineLabel(b)}**, decision threshold **${num(b.threshold)}** (chosen on validation rows to minimise expected cost: a missed "${positives}" costs ${b.costs.false_negative}, a refused good applicant ${b.costs.false_positive}).`,
    '',
    `Bundle digest \`${b.digest}\`${lineage.run?.trained_at ? `, trained ${lineage.run.trained_at}` : ''}.`,
    '',
    '## Data',
    '',
    `- Training data \`${lineage.data.path}\` (${lineage.data.rows} rows, sha256 \`${lineage.data.sha256.slice(0, 16)}…\`), target \`${b.schema.target}\` (positive "${positives}", rate ${num(b.schema.positive_rate)}).`,
    splitLine(opts),
    `- Features (${b.schema.features.length}): ${b.schema.features.map((f) => `${f.name} (${f.kind})`).join(', ')}.`,
    '',
    '## Parameters',
    '',
    Object.keys(lineage.params).length
      ? markdownTable([['Parameter', 'Value'], ...Object.entries(lineage.params).map(([k, val]) => [k, String(val)])])
      : 'Engine defaults.',
    '',
    '## Metrics',
    '',
    metricsTable({ train: m.train, validation: m.validation, test: m.test }),
    '',
    `Promotion verdict: ${v.summary}`,
    '',
    '## Known limits',
    '',
    `- Trained on ${lineage.data.rows} historical applications; performance holds only while new applicants resemble them (watch for drift).`,
    THRESHOLD_LIMIT,
    overfittingLine(opts),
    '- Not assessed here: fairness across protected groups, and stability over time.',
    '',
    '## Lineage',
    '',
    ...lineageLines(opts),
    '',
  ];
  return lines.join('\n');
}

/**
 * The full card of a registered version: `reportCard` (report/card.ts, its links already
 * relative to card.md), then a "Registry" section with the facts the report does not hold,
 * then the version's sign-offs from the history, so re-rendering never loses one.
 */
export function fullModelCard(
  reportCard: string,
  model: ModelEntry,
  entry: VersionEntry,
  metrics: MetricsFile,
): string {
  const registered = model.history.find((h) => h.event === 'registered' && h.version === entry.version);
  const name = entry.path.split('/')[0];
  const facts: RecordFacts = {
    name,
    version: entry.version,
    metrics,
    verdict: registered?.verdict ?? null,
    lineage: entry.lineage,
  };
  const section = [
    '## Registry',
    '',
    `- Version v${entry.version} of \`${name}\`, registered ${entry.created_at}${entry.forced ? `, forced: ${entry.forced.reason}` : ''}.`,
    ...(facts.verdict ? [`- Promotion verdict: ${facts.verdict.summary}`] : []),
    splitLine(facts),
    overfittingLine(facts),
    THRESHOLD_LIMIT,
    ...lineageLines(facts),
    '',
  ].join('\n');
  return cardWithSignOffs(`${reportCard.replace(/\n*$/, '\n')}\n${section}`, model, entry.version);
}

/** `approved by alice ("fine for Q3"), bob in production`; dissenting reviewers follow after a semicolon. */
export function signOffText(s: SignOff): string {
  const who = (r: SignOff['reviewers'][number]): string => `${r.login}${r.comment ? ` ("${r.comment}")` : ''}`;
  const same = s.reviewers.filter((r) => r.state === s.state);
  const other = s.reviewers.filter((r) => r.state !== s.state);
  const dissent = other.length ? `; ${other[0].state} by ${other.map(who).join(', ')}` : '';
  return `${s.state} by ${same.map(who).join(', ')}${dissent} in ${s.environment}`;
}

const SECTION = '## Sign-off';

/**
 * The card with its "Sign-off" section (every sign-off of the version in the history,
 * oldest first) replaced or added; unchanged while the version has none.
 */
export function cardWithSignOffs(card: string, model: ModelEntry, version: number): string {
  const events = model.history.filter((h) => h.event === 'signed_off' && h.version === version && h.sign_off);
  if (events.length === 0) return card;
  const section = [
    SECTION,
    '',
    ...events.map((h) => `- ${h.time}: ${signOffText(h.sign_off!)}${h.ci_run_url ? ` ([run](${h.ci_run_url}))` : ''}.`),
    '',
  ].join('\n');
  const start = card.indexOf(`\n${SECTION}\n`);
  if (start < 0) return `${card.replace(/\n*$/, '\n')}\n${section}`;
  const next = card.indexOf('\n## ', start + SECTION.length + 1);
  return `${card.slice(0, start + 1)}${section}${next < 0 ? '' : card.slice(next)}`;
}
