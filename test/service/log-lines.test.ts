import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES, BatchedLines, MAX_DELAY_MS, RETRY_MS, type LineSink } from '../../service/logging/log-lines.ts';

/** A sink that records what it is given; `busy` failed flushes come first. */
function recorder(busy = 0): LineSink & { writes: string[]; syncFlushes: number } {
  const r = {
    writes: [] as string[],
    syncFlushes: 0,
    write: (s: string) => (r.writes.push(s), true),
    flushSync: () => {
      r.syncFlushes++;
      if (busy-- > 0)
        throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN' });
    },
  };
  return r;
}

/** A manual clock: `end` runs what is due, `pending` lists the delays asked for. */
function turns(): { timer: (fn: () => void, ms: number) => void; end: () => void; pending: () => number[] } {
  let queue: { fn: () => void; ms: number }[] = [];
  return {
    timer: (fn, ms) => void queue.push({ fn, ms }),
    end: () => {
      const q = queue;
      queue = [];
      for (const { fn } of q) fn();
    },
    pending: () => queue.map((q) => q.ms),
  };
}

describe('BatchedLines (the service log destination)', () => {
  it('writes the lines gathered until the delay runs out as one write, in order', () => {
    const sink = recorder();
    const t = turns();
    const d = new BatchedLines(sink, 1000, t.timer);
    d.write('a\n');
    d.write('b\n');
    d.write('c\n');
    expect(sink.writes).toEqual([]);
    expect(t.pending()).toEqual([MAX_DELAY_MS]);
    t.end();
    expect(sink.writes).toEqual(['a\nb\nc\n']);
    d.write('d\n');
    t.end();
    expect(sink.writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes a batch once it is full, never more than the batch size in bytes, and never splits a line', () => {
    const sink = recorder();
    const t = turns();
    const d = new BatchedLines(sink, 12, t.timer);
    d.write('123456\n');
    d.write('abcde\n'); // 7 + 6 = 13 bytes: would overflow, so it starts the next batch
    expect(sink.writes).toEqual(['123456\n']);
    d.write('xyzuv\n'); // 6 + 6 = 12: full
    expect(sink.writes).toEqual(['123456\n', 'abcde\nxyzuv\n']);
    d.write('a line longer than a batch\n'); // written on its own
    d.write('é\n');
    t.end();
    expect(sink.writes).toEqual(['123456\n', 'abcde\nxyzuv\n', 'a line longer than a batch\n', 'é\n']);
  });

  it('keeps every batch within PIPE_BUF bytes, counting multi-byte characters, and loses or reorders nothing', () => {
    const sink = recorder();
    const t = turns();
    const d = new BatchedLines(sink, undefined, t.timer);
    const lines: string[] = [];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      // ASCII, two-byte, three-byte and four-byte characters, lines of 1 to ~400 bytes.
      const line = `{"i":${i},"m":"${'aé€𝄞'.repeat(next() % 40)}"}\n`;
      lines.push(line);
      d.write(line);
      if (next() % 50 === 0) t.end();
    }
    t.end();
    expect(sink.writes.join('')).toBe(lines.join(''));
    for (const w of sink.writes) {
      expect(Buffer.byteLength(w)).toBeLessThanOrEqual(BATCH_BYTES);
      expect(w.endsWith('\n')).toBe(true);
    }
    expect(sink.writes.length).toBeLessThan(lines.length / 5);
  });

  it('tries a busy fd again soon, once however often it is told, instead of waiting', () => {
    const sink = recorder(1);
    const t = turns();
    const d = new BatchedLines(sink, 1000, t.timer);
    const eagain = Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
    d.writeFailed(eagain);
    d.writeFailed(eagain);
    expect(t.pending()).toEqual([RETRY_MS]);
    t.end(); // still busy: asks again
    expect(sink.syncFlushes).toBe(1);
    expect(t.pending()).toEqual([RETRY_MS]);
    t.end();
    expect(sink.syncFlushes).toBe(2);
    expect(t.pending()).toEqual([]);
  });

  it('flush writes what is gathered and keeps trying a busy fd before it answers', async () => {
    const sink = recorder(2);
    const d = new BatchedLines(sink, 1000, (fn) => void setTimeout(fn, 1));
    d.write('a\n');
    await new Promise<void>((resolve, reject) => d.flush((e) => (e ? reject(e) : resolve())));
    expect(sink).toMatchObject({ writes: ['a\n'], syncFlushes: 3 });
    d.write('b\n');
    d.flushSync();
    expect(sink).toMatchObject({ writes: ['a\n', 'b\n'], syncFlushes: 4 });
  });

  /**
   * The `i` of every line the fixture's process wrote to stdout, in order, and whether its
   * logging loop ended while nobody read that stdout. The pipe is left unread until the
   * loop reports its end on stderr, as a log collector that falls behind would leave it: the
   * pipe fills up and writes are refused. A loop that waited for the reader would never end
   * on its own; after 20 s the pipe is read anyway, so such a loop fails the test instead of
   * hanging it.
   */
  async function linesOf(
    mode: 'abrupt' | 'graceful',
    count: number,
  ): Promise<{ lines: number[]; loopEndedUnread: boolean }> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'log-exit.ts'), mode, String(count)],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    let reading = false;
    let loopEndedUnread = false;
    const read = (): void => {
      reading = true;
      child.stdout.resume();
    };
    const guard = setTimeout(read, 20_000);
    child.stderr.on('data', (c) => {
      err += String(c);
      if (!reading && err.includes('loopMs')) {
        loopEndedUnread = true;
        clearTimeout(guard);
        read();
      }
    });
    child.stdout.on('data', (c) => (out += String(c)));
    child.stdout.pause();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, err).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { i: number }).i);
    clearTimeout(guard);
    return { lines, loopEndedUnread };
  }

  it('writes the lines not yet handed over when the process exits abruptly', async () => {
    // 20 lines fit in one batch: none was handed over before the exit.
    expect((await linesOf('abrupt', 20)).lines).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a reader that falls behind delays the logs, not the logging thread, and flush waits for every line, in order', async () => {
    // 10,000 lines, about 1 MB: more than the pipe holds, so most batches wait for the reader.
    const { lines, loopEndedUnread } = await linesOf('graceful', 10_000);
    expect(lines).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    // sonic-boom's own retry would sleep 100 ms at a time in the loop until the reader came
    // back; here the loop ends while the pipe is still full and unread.
    expect(loopEndedUnread).toBe(true);
  });
});
