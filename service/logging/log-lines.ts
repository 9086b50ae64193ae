/**
 * The service's log destination: pino's lines gathered in an array and written to stdout
 * (through sonic-boom, synchronously) as one string per batch. A batch is at most 4,096
 * bytes (about twenty request lines) and is written once it is full or 100 ms after its
 * first line, whichever comes first.
 *
 * Why not give each line to sonic-boom as it comes: sonic-boom appends every write to
 * its pending string and measures that string's UTF-8 length each time, which copies
 * it whole (V8 flattens the concatenation): at a log line per request, more garbage and
 * CPU per line than pino's own work (docs/service.md, Performance). Joining a batch
 * copies each line once. (Writing a batch every event-loop turn was too often: under
 * load a turn held only a few lines.)
 *
 * Why 4,096 bytes: that is PIPE_BUF, the largest write Linux keeps whole on a pipe, and
 * stdout is a pipe under Docker and Kubernetes, shared by every serving thread (and every
 * cluster worker). A larger write can be cut short when the pipe is nearly full, and
 * another thread's write then lands in the middle of a line. A line longer than that (a
 * logged payload) is written on its own.
 *
 * Why synchronous, and what happens when the log collector falls behind: a write of one
 * batch costs less than handing it to the thread pool, and keeps lines in order at exit.
 * Node leaves a stdout pipe non-blocking, so when the pipe is full the write fails with
 * EAGAIN. sonic-boom would sleep 100 ms and try again, stalling every request on the
 * thread; here it is told not to (service/logging/logging.ts): it keeps the batch, the next
 * batch or a retry 20 ms later writes it first, and past 4 MB waiting it drops lines
 * rather than grow. Logs wait for the collector; requests do not.
 */
import type { DestinationStream } from 'pino';

/** What BatchedLines writes to: the sonic-boom methods it uses. */
export interface LineSink {
  /** Writes now, or keeps the text for later when the fd is busy (reported as an 'error'). */
  write(chunk: string): boolean;
  /** Writes everything kept; throws EAGAIN when the fd is still busy. */
  flushSync(): void;
}

/** PIPE_BUF on Linux: a write to a pipe up to this size is never split. */
export const BATCH_BYTES = 4096;
/** The longest a line waits to be written when traffic is light. */
export const MAX_DELAY_MS = 100;
/** How soon a batch the fd could not take is tried again. */
export const RETRY_MS = 20;
/** How long a graceful flush keeps trying a busy fd. */
export const FLUSH_TIMEOUT_MS = 5000;

/** Runs `fn` after `ms`; only a flush's timer keeps the process alive (lines left at exit are written then). */
type Timer = (fn: () => void, ms: number, keepAlive: boolean) => void;
const nodeTimer: Timer = (fn, ms, keepAlive) => {
  const t = setTimeout(fn, ms);
  if (!keepAlive) t.unref();
};

/** The fd cannot take more now: a full pipe. */
export function isBusy(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EAGAIN' || code === 'EBUSY';
}

export class BatchedLines implements DestinationStream {
  private lines: string[] = [];
  private bytes = 0;
  private scheduled = false;
  private retrying = false;
  private reported = false;

  constructor(
    private readonly sink: LineSink,
    private readonly batchBytes = BATCH_BYTES,
    private readonly timer: Timer = nodeTimer,
  ) {
    flushAtExit(this);
  }

  write(line: string): void {
    const size = Buffer.byteLength(line);
    // A line that would overflow the batch starts the next one.
    if (this.bytes + size > this.batchBytes) this.drain();
    this.lines.push(line);
    this.bytes += size;
    if (this.bytes >= this.batchBytes) this.drain();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.timer(
        () => {
          this.scheduled = false;
          this.drain();
        },
        MAX_DELAY_MS,
        false,
      );
    }
  }

  /**
   * What the sink reports when a write fails: a busy fd is tried again soon; anything
   * else (a closed stdout) is said once on stderr, and logging goes on without it.
   */
  writeFailed(e: unknown): void {
    if (isBusy(e)) return this.retrySoon();
    if ((e as NodeJS.ErrnoException | null)?.code === 'EPIPE' || this.reported) return;
    this.reported = true;
    process.stderr.write(`log lines could not be written to stdout: ${(e as Error).message}\n`);
  }

  /** Writes every gathered line, waiting up to FLUSH_TIMEOUT_MS for a busy fd (graceful shutdown). */
  flush(cb: (err?: Error | null) => void = () => undefined): void {
    this.drain();
    const deadline = Date.now() + FLUSH_TIMEOUT_MS;
    const attempt = (): void => {
      try {
        this.sink.flushSync();
        cb(null);
      } catch (e) {
        // A timer that keeps the process alive: a shutdown waits for its logs.
        if (isBusy(e) && Date.now() < deadline) this.timer(attempt, RETRY_MS, true);
        else cb(e as Error);
      }
    };
    attempt();
  }

  flushSync(): void {
    this.drain();
    this.sink.flushSync();
  }

  /** At exit: what is gathered, written synchronously; nothing more can be done if that fails (a closed stdout, a full pipe). */
  exitFlush(): void {
    try {
      this.flushSync();
    } catch {
      // ignored: the process is exiting
    }
  }

  private retrySoon(): void {
    if (this.retrying) return;
    this.retrying = true;
    this.timer(
      () => {
        this.retrying = false;
        try {
          this.sink.flushSync();
        } catch (e) {
          this.writeFailed(e);
        }
      },
      RETRY_MS,
      false,
    );
  }

  private drain(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    this.sink.write(text);
  }
}

/**
 * Lines still gathered when the process (or this thread) exits are written
 * synchronously, as pino does for sonic-boom itself: one exit listener for every
 * destination, which it holds weakly so that a logger dropped (in tests) can be collected.
 */
const live = new Set<WeakRef<BatchedLines>>();
function flushAtExit(d: BatchedLines): void {
  if (live.size === 0) {
    process.once('exit', () => {
      for (const ref of live) ref.deref()?.exitFlush();
    });
  }
  live.add(new WeakRef(d));
}
