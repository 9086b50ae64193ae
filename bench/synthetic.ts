/**
 * A seeded synthetic credit set shaped like the 30,000 × 23 credit-card default data:
 * limits and bill amounts (log-normal), repayment status codes, demographics; the
 * default depends on them non-linearly (thresholds and interactions), ~22 % positive.
 * Used to measure how the engines scale to 100,000 and 1,000,000 rows.
 */
import type { FeatureMatrix } from '../pipeline/core/engines/engine.ts';
import { Rng } from '../pipeline/core/common/random.ts';

export const SYNTHETIC_FEATURES = 23;

export function syntheticCredit(rows: number, seed: number): { X: FeatureMatrix; y: Uint8Array } {
  const rng = new Rng(seed);
  const gauss = (): number => {
    const u = Math.max(rng.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const cols = Array.from({ length: SYNTHETIC_FEATURES }, () => new Float64Array(rows));
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const limit = Math.exp(11 + 0.8 * gauss());
    const age = Math.round(Math.min(75, Math.max(21, 35 + 9 * gauss())));
    const education = 1 + rng.int(4);
    const marriage = 1 + rng.int(3);
    const sex = 1 + rng.int(2);
    const risk = gauss();
    cols[0][i] = limit;
    cols[1][i] = sex;
    cols[2][i] = education;
    cols[3][i] = marriage;
    cols[4][i] = age;
    let late = 0;
    for (let m = 0; m < 6; m++) {
      // Repayment status: -1 paid duly, 0 revolving, 1..8 months late; persistent per person.
      const s = Math.round(Math.max(-2, Math.min(8, risk * 1.2 + 0.4 * gauss() - 0.3 + (m === 0 ? 0.2 * gauss() : 0))));
      cols[5 + m][i] = s;
      if (s > 0) late += s;
    }
    for (let m = 0; m < 6; m++) {
      const bill = Math.max(0, limit * Math.min(1.1, Math.max(0, 0.45 + 0.25 * gauss() + 0.1 * risk)));
      cols[11 + m][i] = Math.round(bill);
      cols[17 + m][i] = Math.round(Math.max(0, bill * Math.max(0, 0.08 + 0.05 * gauss() - 0.03 * risk)));
    }
    const utilisation = cols[11][i] / limit;
    const payRatio = cols[17][i] / Math.max(1, cols[11][i]);
    const margin =
      -2.1 +
      0.55 * Math.min(late, 6) +
      (cols[5][i] >= 2 ? 1.1 : 0) +
      0.9 * (utilisation > 0.9 ? 1 : 0) -
      2.5 * Math.min(payRatio, 0.3) -
      0.25 * Math.log(limit / 60000) +
      (age < 25 ? 0.3 : 0) +
      0.15 * (education === 4 ? 1 : 0) +
      0.6 * gauss();
    y[i] = rng.next() < 1 / (1 + Math.exp(-margin)) ? 1 : 0;
  }
  const names = [
    'LIMIT_BAL',
    'SEX',
    'EDUCATION',
    'MARRIAGE',
    'AGE',
    ...[0, 2, 3, 4, 5, 6].map((m) => `PAY_${m}`),
    ...[1, 2, 3, 4, 5, 6].map((m) => `BILL_AMT${m}`),
    ...[1, 2, 3, 4, 5, 6].map((m) => `PAY_AMT${m}`),
  ];
  return { X: { names, rows, columns: cols, categorical: new Array(SYNTHETIC_FEATURES).fill(false) }, y };
}
