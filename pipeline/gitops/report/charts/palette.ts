/**
 * One palette for every chart (Okabe–Ito, readable for the common forms of colour
 * blindness): the model under review is always blue, the champion orange, defaults
 * ("bad") vermillion, repaid ("good") green.
 */
export const PALETTE = {
  challenger: '#0072B2',
  champion: '#E69F00',
  bad: '#D55E00',
  good: '#009E73',
  neutral: '#7f7f7f',
  reference: '#b0b0b0',
  /** Low → high feature value in the SHAP summary. */
  low: '#0072B2',
  high: '#D55E00',
} as const;
