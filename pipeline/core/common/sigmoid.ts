/** The logistic function 1 / (1 + e^-x), computed without overflow for large |x|: log-odds to probability. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
