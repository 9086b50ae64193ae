/**
 * Numbers for people, one way everywhere: the model card, report.html, the pull-request
 * comment, the promotion gate's text, CLI tables and the dashboard print the same metric
 * the same way. A value that is not zero never prints as zero: below the last digit shown
 * it keeps two significant digits (0.000031, not 0.0000), so a gate that fails on a tiny
 * regression says how large it was.
 */

/** Rounds to `digits` decimals as a number (for values stored in JSON, not for display). */
export function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

/** `digits` decimals, or two significant digits when that would show a nonzero value as zero. */
function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return v !== 0 && Number(s) === 0 ? v.toPrecision(2) : s;
}

/** A metric or any other number: integers as they are, others to `digits` decimals; `n/a` when unknown. */
export function num(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return Number.isInteger(v) ? String(v) : fixed(v, digits);
}

/** A difference: `+0.0123`, `−0.0123` (a true minus sign), `±0` for none. */
export function signed(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (v === 0) return '±0';
  return `${v > 0 ? '+' : '−'}${num(Math.abs(v), digits)}`;
}

/** A share as a percentage: 0.2817 → `28.2 %`; `n/a` when unknown. */
export function pct(share: number | null | undefined, digits = 1): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return 'n/a';
  return `${fixed(100 * share, digits)} %`;
}

/** A size: `512 B`, `309.1 KB`, `4.8 MB`. */
export function bytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`;
}

/** A duration for people: `0.4 s`, `12 s`, `3 min 05 s`, `1 h 02 min`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'n/a';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
