/**
 * The service's log destination: pino's lines gathered in an array and handed to the
 * fd writer (sonic-boom) as one string per batch — when 16 KB have gathered (about a
 * hundred request lines) or 100 ms after the first line of the batch, whichever comes
 * first — and written synchronously, as pino's default destination does.
 *
 * Why not give each line to sonic-boom as it comes: sonic-boom appends every write to
 * its pending string and measures that string's UTF-8 length each time, which copies
 * it whole (V8 flattens the concatenation). At a log line per request that was 8.4 KB
 * allocated and 3.6 µs per line on top of pino's own 1.2 KB and 1.9 µs — a third of
 * the garbage a request made and a tenth of its CPU (measured with a 16 KB batch: see
 * docs/service.md, Performance). Joining a batch copies each line once.
 *
 * Why synchronous: one write of 16 KB per hundred lines is cheaper than handing each
 * batch to the thread pool (2.7–2.9 µs per line against 3.6–4.6, pino included), and it
 * keeps lines in order at exit — an asynchronous write still in flight when the process
 * exits lands after the lines written synchronously then. Handing over every event-loop
 * turn instead of at 16 KB was too often: at 30,000 requests a second a turn held a few
 * lines (6 % of a serving thread's time in writes). As with pino's default, a log reader
 * that stops reading stdout eventually stalls the writer.
 */
import type { DestinationStream } from 'pino';

/** What BatchedLines writes to: sonic-boom's methods that it uses. */
export interface LineSink {
  write(chunk: string): boolean;
  flush(cb: (err?: Error | null) => void): void;
  flushSync(): void;
}

export const BATCH_CHARS = 16 * 1024;
/** The longest a line waits to be handed over when traffic is light. */
export const MAX_DELAY_MS = 100;

export class BatchedLines implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;
  private scheduled = false;

  constructor(
    private readonly sink: LineSink,
    private readonly batchChars = BATCH_CHARS,
    /** Runs `fn` once after MAX_DELAY_MS; the timer does not keep the process alive (lines left at exit are written then). */
    private readonly later: (fn: () => void) => void = (fn) => void setTimeout(fn, MAX_DELAY_MS).unref(),
  ) {
    flushAtExit(this);
  }

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= this.batchChars) this.drain();
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
    this.chars = 0;
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
