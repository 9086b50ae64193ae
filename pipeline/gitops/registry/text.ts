/** Plain-text and Markdown views of verdicts and the registry, for the CLI and reports. */
import { markdownTable } from 'markdown-table';
import { num } from '../../core/index.ts';
import { METRIC_ROWS } from '../report/tables.ts';
import type { HistoryEvent, ModelEntry, RegistryFile, VersionEntry } from './schema.ts';
import type { Verdict } from './verdict.ts';

/** The verdict as a reviewer reads it: the decision line, then one row per rule. */
export function verdictMarkdown(v: Verdict): string {
  const rows = v.rules.map((r) => [
    r.passed ? '✅' : '❌',
    r.id,
    num(r.champion),
    num(r.challenger),
    r.required,
    r.detail,
  ]);
  const on = v.evaluated_on.map((e) => `${e.name} (${e.rows} rows)`).join(' + ');
  return [
    `**${v.decision === 'promote' ? 'PROMOTE' : 'KEEP CHAMPION'}** — ${v.summary}`,
    '',
    `Champion ${v.champion ? `v${v.champion.version} (${short(v.champion.digest)})` : 'none'} vs challenger ${short(v.challenger.digest)}${v.challenger.run_id ? ` (run ${v.challenger.run_id})` : ''}, both scored on ${on}.`,
    '',
    markdownTable([['', 'Rule', 'Champion', 'Challenger', 'Required', 'Detail'], ...rows], {
      align: ['c', 'l', 'r', 'r', 'l', 'l'],
    }),
  ].join('\n');
}

export function registryListText(reg: RegistryFile): string {
  const names = Object.keys(reg.models).sort();
  if (names.length === 0)
    return 'The registry is empty: promote a run with "mlops promote --run DIR" (or "mlops run").';
  return names
    .map((name) => {
      const m = reg.models[name];
      const rows = m.versions.map((v) => [
        `v${v.version}`,
        aliasesOf(m, v.version),
        short(v.digest),
        v.engine,
        num(v.metrics.test.roc_auc),
        v.created_at,
        v.lineage.code_commit?.slice(0, 7) ?? 'n/a',
      ]);
      return [
        `${name}: champion ${m.aliases.champion ? `v${m.aliases.champion}` : 'none'} · ${m.versions.length} version(s) · ${m.history.length} event(s)`,
        '',
        markdownTable([['Version', 'Aliases', 'Digest', 'Engine', 'Test ROC AUC', 'Registered', 'Commit'], ...rows]),
      ].join('\n');
    })
    .join('\n\n');
}

export function versionText(name: string, model: ModelEntry, v: VersionEntry): string {
  const l = v.lineage;
  const metrics = METRIC_ROWS.filter((r) => Object.hasOwn(v.metrics.test, r.key)).map((r) => [
    r.label,
    num(v.metrics.test[r.key]),
    num(v.metrics.evaluation?.[r.key]),
  ]);
  return [
    `${name}@v${v.version}${aliasesOf(model, v.version) ? ` (${aliasesOf(model, v.version)})` : ''}`,
    `  digest      ${v.digest}`,
    `  bundle      ${v.path}/${v.bundle.file} (${v.bundle.bytes} bytes, sha256 ${v.bundle.sha256.slice(0, 16)}…)`,
    `  engine      ${v.engine} ${JSON.stringify(l.params)}`,
    `  threshold   ${num(v.threshold)}`,
    `  data        ${l.data.path} (${l.data.rows} rows, sha256 ${l.data.sha256.slice(0, 16)}…)${l.test_data ? ` · test ${l.test_data.path}` : ''}${l.golden ? ` · golden ${l.golden.path}` : ''}`,
    `  seed        ${l.seed}`,
    `  code        ${l.code_commit ?? 'unknown'}${l.code_dirty ? ' (uncommitted changes)' : ''}`,
    `  run         ${l.run?.id ?? 'n/a'}${l.ci_run_url ? ` · ${l.ci_run_url}` : ''}`,
    `  registered  ${v.created_at}${v.forced ? ` · forced: ${v.forced.reason}` : ''}`,
    '',
    markdownTable([['Metric', 'Test split', 'Promotion rows'], ...metrics], { align: ['l', 'r', 'r'] }),
  ].join('\n');
}

export function historyText(name: string, events: HistoryEvent[]): string {
  if (events.length === 0) return `${name}: no history yet`;
  const rows = events.map((e) => [
    String(e.seq),
    e.time,
    e.event,
    e.version ? `v${e.version}` : '—',
    e.previous_champion ? `v${e.previous_champion}` : '—',
    e.actor,
    e.git_commit?.slice(0, 7) ?? '—',
    clip(e.reason ?? '', 100) + (e.ci_run_url ? ` (${e.ci_run_url})` : ''),
  ]);
  return `${name}\n\n${markdownTable([['#', 'Time', 'Event', 'Version', 'Was champion', 'Actor', 'Commit', 'Reason'], ...rows])}`;
}

function aliasesOf(m: ModelEntry, version: number): string {
  return (['champion', 'challenger'] as const).filter((a) => m.aliases[a] === version).join(', ');
}

const short = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
