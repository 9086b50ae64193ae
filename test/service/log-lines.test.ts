import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES, BatchedLines, type LineSink } from '../../service/log-lines.ts';

/** A sink that records what it is given. */
function recorder(): LineSink & { writes: string[]; flushes: number; syncFlushes: number } {
  const r = {
    writes: [] as string[],
    flushes: 0,
    syncFlushes: 0,
    write: (s: string) => (r.writes.push(s), true),
    flush: (cb: (err?: Error | null) => void) => {
      r.flushes++;
      cb(null);
    },
    flushSync: () => void r.syncFlushes++,
  };
  return r;
}

/** A manual clock: `end` runs what is due. */
function turns(): { later: (fn: () => void) => void; end: () => void; pending: () => number } {
  let queue: (() => void)[] = [];
  return {
    later: (fn) => void queue.push(fn),
    end: () => {
      const q = queue;
      queue = [];
      for (const fn of q) fn();
    },
    pending: () => queue.length,
  };
}

describe('BatchedLines (the service log destination)', () => {
  it('hands the lines gathered until the delay runs out to the sink as one write, in order', () => {
    const sink = recorder();
    const t = turns();
    const d = new BatchedLines(sink, 1000, t.later);
    d.write('a\n');
    d.write('b\n');
    d.write('c\n');
    expect(sink.writes).toEqual([]);
    expect(t.pending()).toBe(1);
    t.end();
    expect(sink.writes).toEqual(['a\nb\nc\n']);
    d.write('d\n');
    t.end();
    expect(sink.writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes a batch once it is full, never more than the batch size in bytes, and never splits a line', () => {
    const sink = recorder();
    const t = turns();
    const d = new BatchedLines(sink, 12, t.later);
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
    const d = new BatchedLines(sink, undefined, t.later);
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

  it('flush and flushSync hand over what is gathered first', async () => {
    const sink = recorder();
    const t = turns();
    const d = new BatchedLines(sink, 1000, t.later);
    d.write('a\n');
    await new Promise<void>((resolve, reject) => d.flush((e) => (e ? reject(e) : resolve())));
    expect(sink).toMatchObject({ writes: ['a\n'], flushes: 1 });
    d.write('b\n');
    d.flushSync();
    expect(sink).toMatchObject({ writes: ['a\n', 'b\n'], syncFlushes: 1 });
    t.end();
    expect(sink.writes).toHaveLength(2);
  });

  /**
   * The `i` of every line the fixture's process wrote to stdout, in order. Its stdout is
   * left unread for the first 300 ms, as a log collector that falls behind would: the pipe
   * fills up and writes wait.
   */
  async function linesOf(mode: 'abrupt' | 'graceful', count: number): Promise<number[]> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'log-exit.ts'), mode, String(count)], {
      cwd: join(import.meta.dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += String(c)));
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 300);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    return out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { i: number }).i);
  }

  it('writes the lines not yet handed over when the process exits abruptly', async () => {
    // 20 lines fit in one batch: none was handed over before the exit.
    expect(await linesOf('abrupt', 20)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('flush waits until every batch is written, in order, even when the reader falls behind', async () => {
    // 5,000 lines, about 200 KB: more than a pipe holds, so most batches wait behind a full pipe.
    expect(await linesOf('graceful', 5000)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
