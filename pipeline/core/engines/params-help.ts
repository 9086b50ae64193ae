/** Every engine's parameters as `--help` text, from the engine registry's parameter specs. */
import { ENGINES } from './index.ts';
import type { ParamSpec } from './engine.ts';

function range(s: ParamSpec): string {
  if (s.type === 'boolean') return 'true|false';
  if (s.type === 'string') return s.values ? s.values.join('|') : 'text';
  const bounds =
    s.min !== undefined && s.max !== undefined
      ? ` ${s.min}–${s.max}`
      : s.min !== undefined
        ? ` ≥ ${s.min}`
        : s.max !== undefined
          ? ` ≤ ${s.max}`
          : '';
  return `${s.type}${bounds}${s.values ? ` or ${s.values.join('|')}` : ''}`;
}

export function engineParamsHelp(): string {
  const lines = ['Engine parameters (--param key=value; unknown or out-of-range values are refused):'];
  for (const [name, f] of ENGINES) {
    lines.push(`  ${name}`);
    const entries = Object.entries(f.paramSpec);
    const width = entries.reduce((w, [k]) => Math.max(w, k.length), 0);
    for (const [key, s] of entries)
      lines.push(`    ${key.padEnd(width)}  ${range(s)}, default ${String(s.default)}: ${s.description}`);
  }
  return lines.join('\n');
}
