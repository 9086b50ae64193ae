/**
 * The service's log destination: pino's lines gathered in an array and handed to the
 * fd writer (sonic-boom, asynchronous) as one string per batch. A batch is at most 4,096
 * bytes (about twenty request lines) and is handed over once it is full or 100 ms after
 * its first line, whichever comes first.
 *
 * Why not give each line to sonic-boom as it comes: sonic-boom appends every write to
 * its pending string and measures that string's UTF-8 length each time, which copies
 * it whole (V8 flattens the concatenation). At a log line per request that was 8.4 KB
 * allocated and 3.6 µs per line on top of pino's own 1.2 KB and 1.9 µs — a third of
 * the garbage a request made and a tenth of its CPU (docs/service.md, Performance).
 * Joining a batch copies each line once. (Handing batches over every event-loop turn
 * was too often: at 30,000 requests a second a turn held a few lines, and writes took 6 %
 * of a serving thread's time.)
 *
 * Why 4,096 bytes: that is PIPE_BUF, the largest write Linux keeps whole on a pipe, and
 * stdout is a pipe under Docker and Kubernetes, shared by every serving thread (and every
 * cluster worker). A larger write can be cut short when the pipe is nearly full, and
 * another thread's write then lands in the middle of a line; sonic-boom's `maxWrite` is
 * set to the same size so that it never joins batches either (service/logging.ts). A line
 * longer than that (a logged payload) is written on its own.
 *
 * Why asynchronous: Node leaves a stdout pipe non-blocking, and when the pipe is full
 * (the log collector is behind) a synchronous sonic-boom sleeps 100 ms before retrying,
 * stalling every request on the thread. Written from the thread pool, a full pipe only
 * delays the logs. The price is at an abrupt exit (process.exit without a shutdown): a
 * batch the thread pool is still writing may land after the lines written at exit, or be
 * lost. A graceful shutdown waits for every batch (`flush`).
 */
import type { DestinationStream } from 'pino';

/** What BatchedLines writes to: sonic-boom's methods that it uses. */
export interface LineSink {
  write(chunk: string): boolean;
  flush(cb: (err?: Error | null) => void): void;
  flushSync(): void;
}

/** PIPE_BUF on Linux: a write to a pipe up to this size is never split. */
export const BATCH_BYTES = 4096;
/** The longest a line waits to be handed over when traffic is light. */
export const MAX_DELAY_MS = 100;

export class BatchedLines implements DestinationStream {
  private lines: string[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly sink: LineSink,
    private readonly batchBytes = BATCH_BYTES,
    /** Runs `fn` once after MAX_DELAY_MS; the timer does not keep the process alive (lines left at exit are written then). */
    private readonly later: (fn: () => void) => void = (fn) => void setTimeout(fn, MAX_DELAY_MS).unref(),
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
      this.later(() => {
        this.scheduled = false;
        this.drain();
      });
    }
  }

  /** Hands every gathered line to the sink, then waits for the sink to write them. */
  flush(cb: (err?: Error | null) => void = () => undefined): void {
    this.drain();
    this.sink.flush(cb);
  }

  flushSync(): void {
    this.drain();
    this.sink.flushSync();
  }

  /** At exit: what is gathered, written synchronously; nothing more can be done if that fails (a closed stdout). */
  exitFlush(): void {
    try {
      this.flushSync();
    } catch {
      // ignored: the process is exiting
    }
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
