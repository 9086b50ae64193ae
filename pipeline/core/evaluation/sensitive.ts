/**
 * Sensitive attributes used as model features. A column named in `fairness.attributes`, or
 * one whose name says it holds a characteristic lending law protects (race, sex, religion,
 * marital status, age…), lets the model treat those groups differently; training says so
 * unless the column is listed in `data.keep`, the config's way of saying "on purpose".
 */
import type { FairnessConfig } from './fairness.ts';

/** Name parts that usually mean a protected characteristic (US ECOA / Regulation B, EU equality law). */
const PROTECTED_WORDS = new Set([
  'race',
  'racial',
  'ethnic',
  'ethnicity',
  'colour',
  'color',
  'religion',
  'religious',
  'sex',
  'gender',
  'nationality',
  'ancestry',
  'citizenship',
  'marital',
  'age',
  'disability',
  'disabled',
  'pregnancy',
  'pregnant',
  'orientation',
]);

export interface SensitiveFeature {
  column: string;
  why: 'configured' | 'name';
}

/** The words of a column name: `maritalStatus`, `Marital_Status`, `marital-status` → marital, status. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function sensitiveFeatures(
  features: readonly string[],
  fairness: Pick<FairnessConfig, 'attributes'>,
  keep: readonly string[],
): SensitiveFeature[] {
  const configured = new Set(fairness.attributes.map((a) => a.column.toLowerCase()));
  const kept = new Set(keep.map((k) => k.toLowerCase()));
  const out: SensitiveFeature[] = [];
  for (const f of features) {
    if (kept.has(f.toLowerCase())) continue;
    if (configured.has(f.toLowerCase())) out.push({ column: f, why: 'configured' });
    else if (nameWords(f).some((w) => PROTECTED_WORDS.has(w))) out.push({ column: f, why: 'name' });
  }
  return out;
}

/** One warning for training and the report, or null when no sensitive column is a feature. */
export function sensitiveFeatureWarning(found: SensitiveFeature[]): string | null {
  if (!found.length) return null;
  const list = found
    .map(
      (s) =>
        `${s.column} (${s.why === 'configured' ? 'in fairness.attributes' : 'its name suggests a protected characteristic'})`,
    )
    .join(', ');
  return `sensitive attribute${found.length > 1 ? 's' : ''} used as model feature${found.length > 1 ? 's' : ''}: ${list}. The model can treat these groups differently: drop ${found.length > 1 ? 'them' : 'it'} (data.drop), or list ${found.length > 1 ? 'them' : 'it'} in data.keep if using ${found.length > 1 ? 'them' : 'it'} is deliberate and lawful.`;
}
