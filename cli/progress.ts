/** Progress for long work on stderr: one redrawn line on a terminal, a few lines in CI logs. */
import type { CliIO } from './command.ts';

export function progressReporter(io: CliIO, quiet: boolean): (done: number, total: number, label: string) => void {
  let lastPct = -1;
  return (done, total, label) => {
    if (quiet || total <= 0) return;
    const pct = Math.floor((100 * done) / total);
    if (io.tty) {
      process.stderr.write(`\r  ${label}: ${done}/${total} (${pct}%)${done >= total ? '\n' : ''}`);
    } else if (pct >= lastPct + 25 || done >= total) {
      if (pct !== lastPct) io.err(`  ${label}: ${done}/${total} (${pct}%)`);
    }
    lastPct = pct;
  };
}
