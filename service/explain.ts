/**
 * Explanations for `?explain=true`. The explanation code lives in pipeline/explain; until
 * that module is part of the build, the service answers explain requests with 501.
 */
import type { CreditModel } from '../pipeline/model.ts';
import type { Explanation } from '../pipeline/explain/types.ts';

export function loadExplainer(_model: CreditModel): ((records: Record<string, unknown>[]) => Explanation[]) | null {
  return null;
}
