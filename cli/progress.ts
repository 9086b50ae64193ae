/**
 * Progress of long work, on stderr only (stdout carries results, CSV and --json). Each step
 * is named when it begins ("• loading data"). On a terminal one line is then redrawn with
 * the step's count, elapsed time and time left; when stderr is not a terminal (a CI log)
 * the same line is printed every few seconds instead (MLOPS_PROGRESS_INTERVAL_MS). A step
 * that took a second or more ends with a line saying how long it took. The core only calls
 * `onStage` / `onProgress` (ProgressCallbacks); how they look is decided here.
 */
import { BYTES_READ, bytes, duration, pct, usageError, type ProgressCallbacks } from '../pipeline/core/index.ts';
import type { CliIO } from './command.ts';

/** The environment variable that sets how often a CI log gets a progress line. */
export const PROGRESS_INTERVAL_ENV = 'MLOPS_PROGRESS_INTERVAL_MS';
const DEFAULT_INTERVAL_MS = 5000;
/** A step this long or longer ends with its time; shorter ones are not worth a line. */
const TIMED_STEP_MS = 1000;
/** How often a terminal's line is redrawn at most, and its clock ticks. */
const REDRAW_MS = 250;

export interface ProgressOutput {
  /** Whether one line may be redrawn in place (stderr is a terminal). */
  tty: boolean;
  /** A whole line. */
  line: (text: string) => void;
  /** Raw text, for redrawing on a terminal. */
  write: (text: string) => void;
}

interface Step {
  name: string;
  start: number;
  done: number | null;
  total: number | null;
  label: string;
}

export class ProgressDisplay implements Required<ProgressCallbacks> {
  private step: Step | null = null;
  /** When the log last got a line, or the terminal's line was last drawn. */
  private last = 0;
  private drawn = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: ProgressOutput,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  readonly onStage = (stage: string): void => {
    this.endStep();
    this.out.line(`• ${stage}`);
    this.begin(stage);
  };

  readonly onProgress = (done: number, total: number, label: string): void => {
    if (!(total > 0)) return;
    if (!this.step) this.begin(label);
    const step = this.step!;
    step.done = Math.min(done, total);
    step.total = total;
    step.label = label;
    this.tick();
  };

  /** A line of its own (a trial's result, a warning) that must not be drawn over. */
  message(text: string): void {
    this.erase();
    this.out.line(text);
  }

  /** Ends the last step and stops the clock; call it when the command is done, with `failed` when it failed (no "done in"). */
  close(failed = false): void {
    if (failed) this.erase();
    else this.endStep();
    this.step = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The state of the current step: `name: 120/300 trees (40 %), 2.0 s elapsed, ETA 3.0 s`. */
  status(): string {
    const step = this.step;
    if (!step) return '';
    const elapsed = (this.now() - step.start) / 1000;
    const parts = [`${duration(elapsed)} elapsed`];
    let amount = '';
    if (step.done !== null && step.total !== null) {
      amount = `${countText(step.done, step.total, step.label)} (${pct(step.done / step.total, 0)}), `;
      const left = eta(elapsed, step.done, step.total);
      if (left !== null) parts.push(`ETA ${duration(left)}`);
    }
    return `  ${step.name}: ${amount}${parts.join(', ')}`;
  }

  private begin(name: string): void {
    const t = this.now();
    this.step = { name, start: t, done: null, total: null, label: '' };
    this.last = t;
    if (!this.timer) {
      // The clock keeps a waiting step's line alive (threads working, a database answering).
      this.timer = setInterval(() => this.tick(), this.out.tty ? REDRAW_MS : Math.max(this.intervalMs, 100));
      this.timer.unref();
    }
  }

  private tick(): void {
    if (!this.step) return;
    const t = this.now();
    if (this.out.tty) {
      if (t - this.last < REDRAW_MS && this.drawn) return;
      this.out.write(`\r\x1b[K${this.status()}`);
      this.drawn = true;
    } else {
      if (t - this.last < this.intervalMs) return;
      this.out.line(this.status());
    }
    this.last = t;
  }

  private erase(): void {
    if (!this.drawn) return;
    this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private endStep(): void {
    const step = this.step;
    if (!step) return;
    this.erase();
    this.step = null;
    const ms = this.now() - step.start;
    if (ms < (this.out.tty ? TIMED_STEP_MS : Math.min(TIMED_STEP_MS, this.intervalMs))) return;
    const amount = step.done !== null && step.total !== null ? `${countText(step.done, step.total, step.label)}, ` : '';
    this.out.line(`  ${step.name}: ${amount}done in ${duration(ms / 1000)}`);
  }
}

/** Time left at the pace so far; null before the first unit or after the last. */
export function eta(elapsedSeconds: number, done: number, total: number): number | null {
  if (done <= 0 || done >= total) return null;
  return (elapsedSeconds * (total - done)) / done;
}

function countText(done: number, total: number, label: string): string {
  return label === BYTES_READ ? `${bytes(done)} of ${bytes(total)} read` : `${done}/${total} ${label}`;
}

/** How often a CI log gets a line: MLOPS_PROGRESS_INTERVAL_MS, in milliseconds (default 5000). */
export function progressInterval(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[PROGRESS_INTERVAL_ENV];
  if (v === undefined || v === '') return DEFAULT_INTERVAL_MS;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
    throw usageError(`${PROGRESS_INTERVAL_ENV} must be a whole number of milliseconds (got ${JSON.stringify(v)})`);
  return n;
}

/** The command's progress display on stderr; with --quiet, one that shows nothing. */
export function progressFor(io: CliIO, quiet = false): ProgressCallbacks & Pick<ProgressDisplay, 'message' | 'close'> {
  if (quiet) return { message: (text) => io.err(text), close: () => undefined };
  return new ProgressDisplay(
    { tty: io.tty, line: (text) => io.err(text), write: (text) => process.stderr.write(text) },
    progressInterval(),
  );
}

/** Runs `work` with the command's progress display, closed when the work ends (or fails) and before results print. */
export async function withProgress<T>(
  io: CliIO,
  quiet: boolean,
  work: (progress: ReturnType<typeof progressFor>) => Promise<T> | T,
): Promise<T> {
  const progress = progressFor(io, quiet);
  try {
    const result = await work(progress);
    progress.close();
    return result;
  } catch (e) {
    progress.close(true);
    throw e;
  }
}
