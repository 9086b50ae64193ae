import { describe, expect, it, vi } from 'vitest';
import { ProgressDisplay, eta, progressInterval } from '../../cli/progress.ts';
import { BYTES_READ } from '../../pipeline/core/index.ts';

/** A display on a fake clock, recording what it prints. */
function display(tty: boolean, intervalMs = 5000) {
  let now = 0;
  const lines: string[] = [];
  const writes: string[] = [];
  const d = new ProgressDisplay(
    { tty, line: (t) => lines.push(t), write: (t) => writes.push(t) },
    intervalMs,
    () => now,
  );
  return { d, lines, writes, at: (ms: number) => (now = ms) };
}

describe('time left', () => {
  it('is the elapsed time scaled by the work left over the work done', () => {
    expect(eta(10, 25, 100)).toBe(30);
    expect(eta(3, 1, 4)).toBe(9);
  });
  it('is unknown before the first unit and after the last', () => {
    expect(eta(5, 0, 100)).toBeNull();
    expect(eta(5, 100, 100)).toBeNull();
  });
});

describe('in a log (stderr not a terminal)', () => {
  it('names each step, prints a line with elapsed time and ETA once per interval, and times a long step', () => {
    const { d, lines, writes, at } = display(false);
    d.onStage('loading data');
    at(1000);
    d.onProgress(10, 100, 'rows read');
    expect(lines).toEqual(['• loading data']);
    at(6000);
    d.onProgress(50, 100, 'rows read');
    at(7000);
    d.onProgress(60, 100, 'rows read');
    at(8000);
    d.close();
    expect(lines).toEqual([
      '• loading data',
      '  loading data: 50/100 rows read (50 %), 6.0 s elapsed, ETA 6.0 s',
      '  loading data: 60/100 rows read, done in 8.0 s',
    ]);
    expect(writes).toEqual([]);
  });

  it('says only the elapsed time when the amount of work is unknown (the clock prints it), and nothing for a short step', () => {
    vi.useFakeTimers();
    try {
      const { d, lines, at } = display(false, 2000);
      d.onStage('explaining');
      at(2500);
      vi.advanceTimersByTime(2000);
      at(2600);
      d.onStage('charts');
      at(2900);
      d.close();
      expect(lines).toEqual(['• explaining', '  explaining: 2.5 s elapsed', '  explaining: done in 2.6 s', '• charts']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('says nothing of a step that failed (the error is the last word)', () => {
    const { d, lines, at } = display(false, 0);
    d.onStage('loading data');
    at(3000);
    d.close(true);
    expect(lines).toEqual(['• loading data']);
  });

  it('shows a byte count as sizes', () => {
    const { d, lines, at } = display(false, 0);
    d.onStage('scoring');
    at(2000);
    d.onProgress(1024 * 1024, 4 * 1024 * 1024, BYTES_READ);
    expect(lines[1]).toBe('  scoring: 1.0 MB of 4.0 MB read (25 %), 2.0 s elapsed, ETA 6.0 s');
    d.close();
  });
});

describe('on a terminal', () => {
  it('redraws one line in place and leaves the time of a long step behind', () => {
    const { d, lines, writes, at } = display(true);
    d.onStage('training gbdt');
    at(500);
    d.onProgress(1, 4, 'rounds');
    at(600);
    d.onProgress(2, 4, 'rounds'); // too soon after the last redraw
    at(1500);
    d.onProgress(3, 4, 'rounds');
    d.message('warning: something');
    at(2000);
    d.close();
    expect(writes).toEqual([
      '\r\x1b[K  training gbdt: 1/4 rounds (25 %), 0.5 s elapsed, ETA 1.5 s',
      '\r\x1b[K  training gbdt: 3/4 rounds (75 %), 1.5 s elapsed, ETA 0.5 s',
      '\r\x1b[K',
    ]);
    expect(lines).toEqual(['• training gbdt', 'warning: something', '  training gbdt: 3/4 rounds, done in 2.0 s']);
  });

  it('keeps no line for a step under a second', () => {
    const { d, lines, writes, at } = display(true);
    d.onStage('preprocessing');
    at(100);
    d.onProgress(1, 2, 'columns');
    at(400);
    d.close();
    expect(lines).toEqual(['• preprocessing']);
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });
});

describe('MLOPS_PROGRESS_INTERVAL_MS', () => {
  it('defaults to five seconds and takes whole milliseconds', () => {
    expect(progressInterval({})).toBe(5000);
    expect(progressInterval({ MLOPS_PROGRESS_INTERVAL_MS: '0' })).toBe(0);
    expect(progressInterval({ MLOPS_PROGRESS_INTERVAL_MS: '250' })).toBe(250);
  });
  it('refuses anything else, naming the variable', () => {
    for (const bad of ['-1', '1.5', 'soon'])
      expect(() => progressInterval({ MLOPS_PROGRESS_INTERVAL_MS: bad })).toThrow(
        /MLOPS_PROGRESS_INTERVAL_MS must be a whole number of milliseconds/,
      );
  });
});
