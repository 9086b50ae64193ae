/**
 * Explanations for `?explain=true`, from pipeline/explain (exact TreeSHAP for the tree
 * engines, coefficient × value for logistic). An engine it cannot explain answers 501.
 */
import type { CreditModel } from '../pipeline/model.ts';
import type { Explanation } from '../pipeline/explain/types.ts';
import { explainRows } from '../pipeline/explain/index.ts';
import { recordsToDataset } from '../pipeline/data/dataset.ts';
import { isMlopsError } from '../pipeline/errors.ts';
import { HttpError } from './http-error.ts';

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
