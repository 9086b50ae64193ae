import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BatchedLines, type LineSink } from '../../service/log-lines.ts';

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

  it('writes a batch as soon as it reaches the batch size', () => {
    const sink = recorder();
    const t = turns();
    const d = new BatchedLines(sink, 10, t.later);
    d.write('12345\n');
    d.write('67890\n');
    expect(sink.writes).toEqual(['12345\n67890\n']);
    d.write('x\n');
    t.end();
    expect(sink.writes).toEqual(['12345\n67890\n', 'x\n']);
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

  it('loses no line when the process exits before they are handed over', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'log-exit.ts'), '500'], {
      cwd: join(import.meta.dirname, '..', '..'),
    });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { i: number; msg: string });
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(new Set(lines.map((l) => l.msg))).toEqual(new Set(['line']));
  });
});
