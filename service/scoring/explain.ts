/**
 * Explanations for `?explain=true`, from pipeline/core/explain (exact TreeSHAP for a tree
 * ensemble, coefficient × value for a linear model, as the model's engine declares). A
 * model whose engine declares no attribution has no explainer, and the route answers 501.
 */
import {
  type CreditModel,
  type Explanation,
  attributionOf,
  explainRows,
  recordsToDataset,
} from '../../pipeline/core/index.ts';

export function loadExplainer(model: CreditModel): ((records: Record<string, unknown>[]) => Explanation[]) | null {
  if (!attributionOf(model)) return null;
  return (records) => explainRows(model, recordsToDataset(records, model.bundle.schema));
}
