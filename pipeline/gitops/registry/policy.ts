/**
 * The promotion gate. Champion and challenger are scored on the same rows, each at its
 * own decision threshold and with the same costs; then the policy's rules are checked
 * one by one and every rule reports both values, what was required and whether it
 * passed. The challenger is promoted only when every rule passes (or when a person
 * forces it, with a reason that goes into the history).
 */
import {
  bytes as formatBytes,
  num,
  pct,
  signed,
  type Bundle,
  bundleBytes,
  CreditModel,
  toDataset,
  computeMetrics,
  HIGHER_IS_BETTER,
  type SplitMetrics,
  type MlopsConfig,
  configError,
  MlopsError,
  fairnessGuardrail,
  fairnessReport,
  resolveColumn,
  type FairnessConfig,
  type FairnessReport,
} from '../../core/index.ts';
import type { Challenger } from './challenger.ts';
import type { EvaluationPart } from '../run/evaluation-rows.ts';
import type { Verdict, VerdictRule } from './verdict.ts';

export type PromotionPolicy = MlopsConfig['promotion'];

export interface EvaluateInput {
  /** Registry name of the model. */
  name: string;
  challenger: Challenger;
  champion: { version: number; bundle: Bundle } | null;
  policy: PromotionPolicy;
  rows: EvaluationPart[];
  maxBundleBytes: number;
  /** Versions already registered, so an identical bundle is not registered twice. */
  registered?: { version: number; digest: string }[];
  force?: { reason: string } | null;
  /** With `promotion.fairness_guardrail`: the fairness bounds the challenger must meet on the evaluation rows. */
  fairness?: FairnessConfig | null;
}

const EPS = 1e-12;

export function evaluateChallenger(input: EvaluateInput): Verdict {
  const { policy, challenger, champion, name } = input;
  checkPolicy(policy);
  const costs = challenger.bundle.costs;
  const primary = policy.primary_metric;
  const rules: VerdictRule[] = [];
  // Validity rules are listed after the metric rules: reviewers read the metric story first.
  const validity: VerdictRule[] = [];

  const chScores = scoreParts(challenger.bundle, input.rows);
  checkReproduces(challenger, input.rows, chScores);
  const chMetrics = computeMetrics(chScores.y, chScores.p, challenger.bundle.threshold, costs);

  let champMetrics: SplitMetrics | null = null;
  let champError: string | null = null;
  if (champion) {
    try {
      const s = scoreParts(champion.bundle, input.rows);
      champMetrics = computeMetrics(s.y, s.p, champion.bundle.threshold, costs);
    } catch (e) {
      champError = (e as Error).message;
    }
  }

  // Validity: things no policy and no force can waive.
  const bytes = bundleBytes(challenger.bundle, true).length;
  validity.push({
    id: 'validity:model-name',
    kind: 'validity',
    metric: null,
    champion: null,
    challenger: null,
    required: `bundle name "${name}"`,
    passed: challenger.bundle.name === name,
    detail:
      challenger.bundle.name === name ? 'bundle belongs to this model' : `bundle is model "${challenger.bundle.name}"`,
  });
  validity.push({
    id: 'validity:size',
    kind: 'validity',
    metric: 'bundle_bytes',
    champion: null,
    challenger: bytes,
    required: `≤ ${input.maxBundleBytes} bytes gzipped`,
    passed: bytes <= input.maxBundleBytes,
    detail: bytes <= input.maxBundleBytes ? `${formatBytes(bytes)} gzipped` : sizeMessage(bytes, input.maxBundleBytes),
  });
  const dup = (input.registered ?? []).find((v) => v.digest === challenger.bundle.digest);
  validity.push({
    id: 'validity:new-model',
    kind: 'validity',
    metric: null,
    champion: null,
    challenger: null,
    required: 'not already registered',
    passed: !dup,
    detail: dup
      ? `identical to v${dup.version} (same digest ${challenger.bundle.digest.slice(0, 19)}…); ${
          champion?.version === dup.version
            ? `v${dup.version} is already the champion: nothing to do`
            : `to serve it again use "mlops rollback --to v${dup.version}"`
        }`
      : 'a new bundle',
  });
  validity.push({
    id: `validity:${primary}`,
    kind: 'validity',
    metric: primary,
    champion: null,
    challenger: metricValue(chMetrics, primary),
    required: 'computable on the evaluation rows',
    passed: metricValue(chMetrics, primary) !== null,
    detail: metricValue(chMetrics, primary) !== null ? 'ok' : 'the evaluation rows hold only one class',
  });

  if (!champion) {
    rules.push({
      id: 'first-model',
      kind: 'first-model',
      metric: null,
      champion: null,
      challenger: null,
      required: 'no champion yet',
      passed: true,
      detail: `${name} has no champion: the first valid model is promoted`,
    });
  } else if (champError || !champMetrics) {
    rules.push({
      id: `primary:${primary}`,
      kind: 'primary',
      metric: primary,
      champion: null,
      challenger: metricValue(chMetrics, primary),
      required: 'champion scored on the same rows',
      passed: false,
      detail: `champion v${champion.version} of ${name} cannot be scored on the challenger's rows (${champError}); a model of another data set is another model: give it its own name (model_name in the config, or --model-name NAME), or promote with --force and a reason if the data set changed on purpose`,
    });
  } else {
    for (const r of primaryRules(primary, policy, metricValue(champMetrics, primary), metricValue(chMetrics, primary)))
      rules.push(r);
    for (const g of policy.guardrails)
      rules.push(
        guardrailRule(
          g.metric,
          g.max_regression,
          metricValue(champMetrics, g.metric),
          metricValue(chMetrics, g.metric),
        ),
      );
  }
  if (policy.max_overfitting_gap !== null)
    rules.push(overfittingRule(primary, policy.max_overfitting_gap, challenger.bundle));
  if (input.fairness && input.fairness.attributes.length > 0)
    rules.push(fairnessRule(input.fairness, input.rows, challenger.bundle, chScores, champion?.bundle ?? null));
  for (const r of validity) rules.push(r);

  const validityOk = rules.filter((r) => r.kind === 'validity').every((r) => r.passed);
  const gateOk = rules.every((r) => r.passed);
  const forced = input.force ? { reason: input.force.reason } : null;
  if (forced) {
    rules.push({
      id: 'forced',
      kind: 'forced',
      metric: null,
      champion: null,
      challenger: null,
      required: 'a reason',
      passed: validityOk,
      detail: validityOk ? `forced by a person: ${forced.reason}` : 'forcing cannot waive a failed validity rule',
    });
  }
  const decision = validityOk && (gateOk || forced) ? 'promote' : 'keep';
  const verdict: Verdict = {
    decision,
    summary: '',
    model: name,
    champion: champion ? { version: champion.version, digest: champion.bundle.digest } : null,
    challenger: { digest: challenger.bundle.digest, run_id: challenger.run?.id ?? null },
    evaluated_on: input.rows.map((p) => ({ name: p.name, rows: p.rows, sha256: p.sha256 })),
    metrics: { champion: champMetrics ? numericMetrics(champMetrics) : null, challenger: numericMetrics(chMetrics) },
    rules,
    forced,
  };
  verdict.summary = summarize(verdict, primary);
  return verdict;
}

export function checkPolicy(policy: PromotionPolicy): void {
  for (const [key, metric] of [
    ['promotion.primary_metric', policy.primary_metric],
    ...policy.guardrails.map((g, i) => [`promotion.guardrails[${i}].metric`, g.metric]),
  ]) {
    if (!Object.hasOwn(HIGHER_IS_BETTER, metric)) {
      throw configError(`${key}: unknown metric "${metric}" (one of ${Object.keys(HIGHER_IS_BETTER).join(', ')})`);
    }
  }
}

function primaryRules(metric: string, policy: PromotionPolicy, champ: number | null, ch: number | null): VerdictRule[] {
  const hib = HIGHER_IS_BETTER[metric];
  const gain = champ === null || ch === null ? null : hib ? ch - champ : champ - ch;
  const rules: VerdictRule[] = [
    {
      id: `primary:${metric}`,
      kind: 'primary',
      metric,
      champion: champ,
      challenger: ch,
      required: `improvement ≥ ${policy.min_delta}`,
      passed: gain !== null && gain >= policy.min_delta - EPS,
      detail: gain === null ? 'not computable' : `improvement ${signed(gain)} (${hib ? 'higher' : 'lower'} is better)`,
    },
  ];
  if (policy.min_relative > 0) {
    const rel = gain === null || champ === null || champ === 0 ? null : gain / Math.abs(champ);
    rules.push({
      id: `primary:${metric}:relative`,
      kind: 'primary',
      metric,
      champion: champ,
      challenger: ch,
      required: `relative improvement ≥ ${pct(policy.min_relative)}`,
      passed: rel !== null && rel >= policy.min_relative - EPS,
      detail: rel === null ? 'not computable' : `relative improvement ${rel >= 0 ? '+' : ''}${pct(rel)}`,
    });
  }
  return rules;
}

function guardrailRule(metric: string, maxRegression: number, champ: number | null, ch: number | null): VerdictRule {
  const hib = HIGHER_IS_BETTER[metric];
  const regression = champ === null || ch === null ? null : hib ? champ - ch : ch - champ;
  return {
    id: `guardrail:${metric}`,
    kind: 'guardrail',
    metric,
    champion: champ,
    challenger: ch,
    required: `regression ≤ ${maxRegression}`,
    passed: regression !== null && regression <= maxRegression + EPS,
    detail:
      regression === null
        ? 'not computable'
        : regression > 0
          ? `worse by ${num(regression)}`
          : `no regression (${signed(-regression)} better)`,
  };
}

function overfittingRule(metric: string, limit: number, bundle: Bundle): VerdictRule {
  const tr = metricValue(bundle.metrics.train, metric);
  const te = metricValue(bundle.metrics.test, metric);
  const gap = tr === null || te === null ? null : HIGHER_IS_BETTER[metric] ? tr - te : te - tr;
  return {
    id: 'overfitting',
    kind: 'overfitting',
    metric,
    champion: null,
    challenger: gap,
    required: `train − test ${metric} gap ≤ ${limit}`,
    passed: gap !== null && gap <= limit + EPS,
    detail: gap === null ? 'not computable' : `train ${num(tr!)} vs test ${num(te!)}: gap ${num(gap)}`,
  };
}

/** Scores every part with the model's own schema and joins the scores. */
function scoreParts(
  bundle: Bundle,
  parts: EvaluationPart[],
): { y: Uint8Array; p: Float64Array; per: { y: Uint8Array; p: Float64Array }[] } {
  const model = new CreditModel(bundle);
  const per = parts.map((part) => {
    const ds = toDataset(part.table, bundle.schema, { requireTarget: true });
    return { y: ds.y!, p: model.score(ds) };
  });
  const n = per.reduce((s, x) => s + x.y.length, 0);
  const y = new Uint8Array(n);
  const p = new Float64Array(n);
  let off = 0;
  for (const x of per) {
    y.set(x.y, off);
    p.set(x.p, off);
    off += x.y.length;
  }
  return { y, p, per };
}

/**
 * The re-created test rows must give the challenger exactly the test metrics training
 * recorded; otherwise they are not the same rows and the comparison would be unfair.
 */
function checkReproduces(
  challenger: Challenger,
  parts: EvaluationPart[],
  scores: { per: { y: Uint8Array; p: Float64Array }[] },
): void {
  const i = parts.findIndex((p) => p.name === 'test');
  if (i < 0) return;
  const b = challenger.bundle;
  const m = computeMetrics(scores.per[i].y, scores.per[i].p, b.threshold, b.costs);
  const want = b.metrics.test;
  const same = (a: number | null, c: number | null): boolean =>
    a === null ? c === null : c !== null && Math.abs(a - c) < 1e-9;
  if (
    m.confusion_matrix.tp + m.confusion_matrix.fn + m.confusion_matrix.fp + m.confusion_matrix.tn !==
      scores.per[i].y.length ||
    !same(m.roc_auc, want.roc_auc) ||
    !same(m.brier, want.brier)
  ) {
    throw new MlopsError(
      'input',
      `the challenger's re-created test rows (${parts[i].path}, ${parts[i].rows} rows) do not reproduce its recorded test metrics (roc_auc ${m.roc_auc} vs ${want.roc_auc}); the data or split differ from training`,
    );
  }
}

function numericMetrics(m: SplitMetrics): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' || v === null) out[k] = v;
  return out;
}

function metricValue(m: SplitMetrics, metric: string): number | null {
  const v = (m as unknown as Record<string, unknown>)[metric];
  return typeof v === 'number' ? v : null;
}

function summarize(v: Verdict, primary: string): string {
  const rule = v.rules.find((r) => r.id === `primary:${primary}`);
  const change =
    rule && rule.champion !== null && rule.challenger !== null
      ? `${primary} ${signed(rule.challenger - rule.champion)} vs champion v${v.champion?.version}`
      : null;
  const failed = v.rules.filter((r) => !r.passed && r.kind !== 'forced').map((r) => r.id);
  if (v.decision === 'promote') {
    if (v.forced)
      return `promote (forced: ${v.forced.reason})${change ? `: ${change}` : ''}${failed.length ? `; the gate alone would keep the champion (failed: ${failed.join(', ')})` : ''}`;
    if (!v.champion) return `promote: first model for ${v.model} (no champion yet)`;
    return `promote: ${change} (${rule?.required} required); all ${v.rules.length} rules passed`;
  }
  // The reader wants the metric story first, then the bookkeeping reasons.
  const order = ['primary', 'guardrail', 'overfitting', 'validity', 'forced', 'first-model'];
  const reasons = v.rules
    .filter((r) => !r.passed)
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))
    .map((r) =>
      r.kind === 'validity' || r.kind === 'forced'
        ? `${r.id}: ${r.detail}`
        : `${r.id} ${r.detail}, ${r.required} required`,
    );
  return `keep ${v.champion ? `champion v${v.champion.version}` : 'no champion'}: ${reasons.join('; ')}`;
}

export function sizeMessage(bytes: number, max: number): string {
  return `the bundle is ${formatBytes(bytes)} gzipped, over the registry budget of ${formatBytes(max)} (registry.max_bundle_bytes); keep large bundles in Git LFS ("git lfs track 'models/**/model.json.gz'") and raise registry.max_bundle_bytes`;
}

/**
 * The fairness guardrail: the challenger's decisions on the evaluation rows must stay
 * within the configured bounds (four-fifths rule on approval rates, optional TPR/FPR
 * gaps) for every sensitive attribute. The champion's worst disparate impact is shown
 * beside it for context; the rule itself is absolute, so a biased champion cannot make
 * a biased challenger acceptable.
 */
function fairnessRule(
  config: FairnessConfig,
  parts: EvaluationPart[],
  challenger: Bundle,
  scores: { y: Uint8Array; p: Float64Array },
  champion: Bundle | null,
): VerdictRule {
  // The sensitive columns come from the evaluation rows themselves (not the model's features):
  // an attribute the model does not use, such as age band, is still judged.
  const columns = (): Map<string, (string | null)[] | Float64Array> => {
    const out = new Map<string, (string | null)[] | Float64Array>();
    for (const a of config.attributes) {
      const column = resolveColumn(a.column, parts[0]?.table.header ?? []);
      if (column === null) continue;
      const raw = parts.flatMap((part) => part.table.columns.get(column)?.toArray() ?? []);
      if (raw.length !== scores.y.length) continue;
      out.set(column, a.bands ? Float64Array.from(raw, (v) => (v === null ? NaN : Number(v))) : raw);
    }
    return out;
  };
  const report = fairnessReport(
    { y: scores.y, p: scores.p, threshold: challenger.threshold, columns: columns() },
    config,
  );
  const worst = (r: FairnessReport): number | null => {
    const ratios = r.attributes
      .flatMap((a) => a.groups.filter((g) => !g.small).map((g) => g.disparate_impact))
      .filter((x): x is number => x !== null);
    return ratios.length ? ratios.reduce((a, b) => Math.min(a, b)) : null;
  };
  let championWorst: number | null = null;
  if (champion) {
    try {
      const s = scoreParts(champion, parts);
      championWorst = worst(
        fairnessReport({ y: s.y, p: s.p, threshold: champion.threshold, columns: columns() }, config),
      );
    } catch {
      championWorst = null;
    }
  }
  const check = fairnessGuardrail(report);
  const skipped = report.skipped.map((s) => `${s.attribute}: ${s.reason}`);
  return {
    id: 'guardrail:fairness',
    kind: 'guardrail',
    metric: 'disparate_impact',
    champion: championWorst,
    challenger: worst(report),
    required: `disparate impact ≥ ${config.min_disparate_impact} in every group of ${config.attributes.map((a) => a.column).join(', ')}`,
    passed: check.passed,
    detail: check.passed
      ? `within bounds${skipped.length ? ` (skipped ${skipped.join('; ')})` : ''}`
      : check.reasons.join('; '),
  };
}
