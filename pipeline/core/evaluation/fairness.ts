/**
 * Group fairness of credit decisions on labelled rows: for each sensitive attribute
 * named in the config (age bands, marital status, …), per group the share refused
 * (predicted "bad"), the approval rate, TPR and FPR, and the disparate-impact ratio —
 * the group's approval rate over that of the most-approved group. The four-fifths
 * rule of US employment law (adopted by credit fairness reviews) flags a ratio below
 * 0.8. Groups smaller than `min_group_size` are shown but never flagged: their rates
 * are too noisy to accuse a model on.
 *
 * `fairnessGuardrail` turns a report into a pass/fail verdict the registry's
 * promotion policy can use alongside its metric guardrails.
 */
import { configError } from '../common/errors.ts';

export interface FairnessAttribute {
  /** Column of the data file (it need not be a model feature). */
  column: string;
  /** For numeric columns: cut points, e.g. [25, 35, 50] → <25, 25–34, 35–49, ≥50. */
  bands?: number[];
}

export interface FairnessConfig {
  attributes: FairnessAttribute[];
  /** Lowest acceptable disparate-impact ratio (four-fifths rule: 0.8). */
  min_disparate_impact: number;
  /** Groups with fewer rows are reported but not flagged. */
  min_group_size: number;
  /** Largest acceptable gap in TPR (refused share of actual defaulters) to the reference group; null = not checked. */
  max_tpr_gap: number | null;
  /** Largest acceptable gap in FPR (refused share of good payers) to the reference group; null = not checked. */
  max_fpr_gap: number | null;
}

export const DEFAULT_FAIRNESS: FairnessConfig = {
  attributes: [],
  min_disparate_impact: 0.8,
  min_group_size: 30,
  max_tpr_gap: null,
  max_fpr_gap: null,
};

export interface GroupFairness {
  group: string;
  rows: number;
  /** Observed default rate. */
  actual_positive_rate: number;
  /** Share predicted positive ("bad", refused). */
  positive_rate: number;
  approval_rate: number;
  /** Share of actual positives predicted positive (null when the group has none). */
  tpr: number | null;
  /** Share of actual negatives predicted positive (null when the group has none). */
  fpr: number | null;
  /** approval_rate / the reference group's approval rate. */
  disparate_impact: number | null;
  /** Too few rows to be judged. */
  small: boolean;
  /** Why the group is flagged (empty = fine). */
  flags: string[];
}

export interface AttributeFairness {
  attribute: string;
  /** The most-approved group among those large enough to judge. */
  reference_group: string | null;
  groups: GroupFairness[];
  flagged: boolean;
}

export interface FairnessReport {
  config: FairnessConfig;
  attributes: AttributeFairness[];
  flagged: boolean;
  /** One line per flagged group, for logs and PR comments. */
  failures: string[];
  /** Attributes that could not be evaluated (column absent), with the reason. */
  skipped: { attribute: string; reason: string }[];
  /** The one verdict every face shows, so a card never says "not evaluated" and "passed" at once. */
  verdict: FairnessVerdict;
}

export interface FairnessVerdict {
  /** not_configured: no attributes; not_evaluated: none of them is in the data; else the bounds' outcome. */
  status: 'not_configured' | 'not_evaluated' | 'passed' | 'failed';
  /** One sentence for people. */
  text: string;
}

/**
 * The column of the data a configured name refers to: the exact name, else the one column
 * that matches ignoring case (`Age` finds `age`); null when none or several do.
 */
export function resolveColumn(name: string, columns: Iterable<string>): string | null {
  const all = [...columns];
  if (all.includes(name)) return name;
  const folded = all.filter((c) => c.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : null;
}

function fairnessVerdict(
  config: FairnessConfig,
  attributes: AttributeFairness[],
  failures: string[],
  skipped: FairnessReport['skipped'],
): FairnessVerdict {
  const notEvaluated = skipped.map((s) => `${s.attribute} (${s.reason})`).join(', ');
  if (!config.attributes.length)
    return {
      status: 'not_configured',
      text: 'No sensitive attributes are configured (`fairness.attributes` in mlops.config.json), so group fairness was not checked.',
    };
  if (!attributes.length)
    return {
      status: 'not_evaluated',
      text: `Fairness not evaluated: none of the configured sensitive attributes is in the data: ${notEvaluated}.`,
    };
  const checked = attributes.map((a) => a.attribute).join(', ');
  const rest = skipped.length ? `; not evaluated: ${notEvaluated}` : '';
  return failures.length
    ? { status: 'failed', text: `Fairness bounds not met (checked ${checked}${rest}): ${failures.join('; ')}.` }
    : { status: 'passed', text: `Fairness bounds met for ${checked}${rest}.` };
}

export type ColumnValues = ArrayLike<number> | readonly (string | number | null)[];

const MISSING = '(missing)';

/** Group label of every row: the category, or the band of a number. */
export function groupLabels(values: ColumnValues, bands?: readonly number[]): string[] {
  const out: string[] = [];
  const cuts = bands ? [...bands].sort((a, b) => a - b) : null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as string | number | null;
    if (v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v))) {
      out.push(MISSING);
      continue;
    }
    if (!cuts) {
      out.push(String(v));
      continue;
    }
    const x = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(x)) {
      out.push(MISSING);
      continue;
    }
    out.push(bandLabel(x, cuts));
  }
  return out;
}

export function bandLabel(x: number, cuts: readonly number[]): string {
  if (x < cuts[0]) return `<${cuts[0]}`;
  for (let k = 1; k < cuts.length; k++) if (x < cuts[k]) return `${cuts[k - 1]}–${cuts[k]}`;
  return `≥${cuts[cuts.length - 1]}`;
}

/** Band order for display: numeric bands ascending, categories by size. */
function orderGroups(groups: GroupFairness[], bands?: readonly number[]): GroupFairness[] {
  if (bands) {
    const labels = [
      `<${bands[0]}`,
      ...bands.slice(1).map((b, k) => `${bands[k]}–${b}`),
      `≥${bands[bands.length - 1]}`,
      MISSING,
    ];
    return [...groups].sort((a, b) => labels.indexOf(a.group) - labels.indexOf(b.group));
  }
  return [...groups].sort((a, b) => b.rows - a.rows || (a.group < b.group ? -1 : 1));
}

export interface FairnessInput {
  /** 1 = positive (default) label. */
  y: ArrayLike<number>;
  /** Predicted probability of the positive class. */
  p: ArrayLike<number>;
  threshold: number;
  /** Values of the sensitive columns, same row order as y. */
  columns: Map<string, ColumnValues>;
}

export function fairnessReport(input: FairnessInput, config: FairnessConfig): FairnessReport {
  const { y, p, threshold } = input;
  const attributes: AttributeFairness[] = [];
  const skipped: FairnessReport['skipped'] = [];
  const failures: string[] = [];
  for (const attr of config.attributes) {
    const column = resolveColumn(attr.column, input.columns.keys());
    const values = column === null ? undefined : input.columns.get(column);
    if (column === null || !values) {
      skipped.push({ attribute: attr.column, reason: `column "${attr.column}" is not in the data` });
      continue;
    }
    if (values.length !== y.length)
      throw configError(`fairness: column "${column}" has ${values.length} values for ${y.length} rows`);
    const labels = groupLabels(values, attr.bands);
    const acc = new Map<string, { n: number; pos: number; predPos: number; tp: number; fp: number }>();
    for (let i = 0; i < labels.length; i++) {
      const g = acc.get(labels[i]) ?? { n: 0, pos: 0, predPos: 0, tp: 0, fp: 0 };
      const refused = p[i] >= threshold ? 1 : 0;
      g.n++;
      g.pos += y[i];
      g.predPos += refused;
      if (y[i] === 1) g.tp += refused;
      else g.fp += refused;
      acc.set(labels[i], g);
    }
    let groups: GroupFairness[] = [...acc.entries()].map(([group, g]) => ({
      group,
      rows: g.n,
      actual_positive_rate: g.pos / g.n,
      positive_rate: g.predPos / g.n,
      approval_rate: 1 - g.predPos / g.n,
      tpr: g.pos > 0 ? g.tp / g.pos : null,
      fpr: g.n - g.pos > 0 ? g.fp / (g.n - g.pos) : null,
      disparate_impact: null,
      small: g.n < config.min_group_size,
      flags: [],
    }));
    const judged = groups.filter((g) => !g.small && g.group !== MISSING);
    const ref = judged.reduce<GroupFairness | null>(
      (best, g) => (!best || g.approval_rate > best.approval_rate ? g : best),
      null,
    );
    for (const g of groups) {
      if (!ref) break;
      g.disparate_impact = ref.approval_rate > 0 ? g.approval_rate / ref.approval_rate : null;
      if (g.small || g.group === MISSING) continue;
      if (g.disparate_impact !== null && g.disparate_impact < config.min_disparate_impact) {
        g.flags.push(`disparate impact ${g.disparate_impact.toFixed(3)} < ${config.min_disparate_impact}`);
      }
      if (
        config.max_tpr_gap !== null &&
        g.tpr !== null &&
        ref.tpr !== null &&
        Math.abs(g.tpr - ref.tpr) > config.max_tpr_gap
      ) {
        g.flags.push(`TPR gap ${Math.abs(g.tpr - ref.tpr).toFixed(3)} > ${config.max_tpr_gap}`);
      }
      if (
        config.max_fpr_gap !== null &&
        g.fpr !== null &&
        ref.fpr !== null &&
        Math.abs(g.fpr - ref.fpr) > config.max_fpr_gap
      ) {
        g.flags.push(`FPR gap ${Math.abs(g.fpr - ref.fpr).toFixed(3)} > ${config.max_fpr_gap}`);
      }
    }
    groups = orderGroups(groups, attr.bands ? [...attr.bands].sort((a, b) => a - b) : undefined);
    for (const g of groups) for (const f of g.flags) failures.push(`${column} = ${g.group}: ${f}`);
    attributes.push({
      attribute: column,
      reference_group: ref?.group ?? null,
      groups,
      flagged: groups.some((g) => g.flags.length > 0),
    });
  }
  return {
    config,
    attributes,
    flagged: failures.length > 0,
    failures,
    skipped,
    verdict: fairnessVerdict(config, attributes, failures, skipped),
  };
}

/**
 * Verdict for the promotion policy: a model whose decisions fail the configured
 * fairness bounds on the evaluation rows should not become the champion unattended.
 */
export function fairnessGuardrail(report: FairnessReport): { passed: boolean; reasons: string[] } {
  return { passed: !report.flagged, reasons: report.failures.map((f) => `fairness: ${f}`) };
}

/** The `fairness` config section with defaults filled in (the section is optional). */
export function fairnessConfigOf(config: { fairness?: unknown }): FairnessConfig {
  const given = (config.fairness ?? {}) as Partial<FairnessConfig>;
  return { ...DEFAULT_FAIRNESS, ...given, attributes: given.attributes ?? [] };
}
