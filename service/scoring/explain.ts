/**
 * Explanations for `?explain=true`, from pipeline/core/explain (exact TreeSHAP for the tree
 * engines, coefficient × value for logistic). An engine it cannot explain answers 501.
 */
import {
  type CreditModel,
  type Explanation,
  explainRows,
  recordsToDataset,
  isMlopsError,
} from '../../pipeline/core/index.ts';
import { HttpError } from '../http/http-error.ts';

export function loadExplainer(model: CreditModel): ((records: Record<string, unknown>[]) => Explanation[]) | null {
  return (records) => {
    try {
      return explainRows(model, recordsToDataset(records, model.bundle.schema));
    } catch (e) {
      if (isMlopsError(e)) throw new HttpError(501, 'NOT_IMPLEMENTED', `this model cannot be explained: ${e.message}`);
      throw e;
    }
  };
}
