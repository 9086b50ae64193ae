/**
 * Temporary files: every one the code makes is named `.<target>.<pid>.<random>.tmp` (or is
 * ingestion's `.<data>.ingest-<sha>.staged`), git ignores them all, and the next run
 * removes the ones a killed process left behind.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempProject } from '../helpers/cli.ts';
import { readIngestionLog } from '../../pipeline/gitops/ingest/log.ts';
import {
  removeStaleTemps,
  sha256File,
  tempSibling,
  writeAppendedCopyAtomic,
  writeFileAtomic,
} from '../../pipeline/core/common/fs-atomic.ts';
import { sha256Hex } from '../../pipeline/core/common/canonical-json.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** A process id that is certainly not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('temporary files', () => {
  it('every kind the code writes is ignored by git', () => {
    const names = [
      tempSibling('data/credit_data.csv'),
      tempSibling('data/.credit_data.csv.ingest-0123456789ab.staged'),
      'data/.credit_data.csv.ingest-0123456789ab.staged',
      tempSibling('runs/20260101T000000Z-abcdef12'),
      tempSibling('models/credit-default/v3'),
      tempSibling('models/registry.json'),
      tempSibling('scores.csv'),
    ];
    const r = spawnSync('git', ['check-ignore', '--no-index', '--stdin', '-v'], {
      cwd: ROOT,
      input: names.join('\n'),
      encoding: 'utf8',
    });
    const ignored = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[1]);
    expect(ignored.sort()).toEqual([...names].sort());
  });

  it('the next atomic write beside one removes those of processes that are gone, never a live one', () => {
    const dir = tempProject();
    const target = join(dir, 'out.json');
    const stale = join(dir, `.out.json.${deadPid()}.0badc0de.tmp`);
    const live = join(dir, `.out.json.${process.pid}.0000beef.tmp`);
    const other = join(dir, `.other.json.${deadPid()}.00c0ffee.tmp`);
    for (const f of [stale, live, other]) writeFileSync(f, 'half written');
    writeFileAtomic(target, '{}');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    mkdirSync(join(dir, `.v3.${deadPid()}.0badf00d.tmp`));
    removeStaleTemps(dir);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([`.out.json.${process.pid}.0000beef.tmp`]);
  });

  it('ingest removes what an ingestion killed while staging left in the data folder', async () => {
    const dir = tempProject();
    const data = join(dir, 'data');
    // What a kill during step 2 (staging the new data set) leaves: the staged file's own temporary file.
    const leftovers = [
      `..credit_data.csv.ingest-0123456789ab.staged.${deadPid()}.a1b2c3d4.tmp`,
      '.credit_data.csv.ingest-0123456789ab.staged',
    ];
    for (const f of leftovers) writeFileSync(join(data, f), 'x'.repeat(1000));
    const ignored = execFileSync('git', ['check-ignore', '--no-index', ...leftovers.map((f) => `data/${f}`)], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(ignored.trim().split('\n')).toHaveLength(2);
    const r = await runCli(['ingest'], dir);
    expect(r.code, r.err).toBe(0);
    for (const f of leftovers) expect(existsSync(join(data, f)), f).toBe(false);
  });

  it('a real kill while the new data set is being staged leaves nothing that outlives the next ingest', async () => {
    const dir = tempProject();
    const data = join(dir, 'data');
    const lines = readFileSync(join(data, 'credit_data.csv'), 'utf8').trim().split('\n');
    // Rows the data set does not hold yet: the known rows with another price.
    const fresh = lines.slice(1, 200).map((l) => l.replace(/,(\d+)$/, (_, p: string) => `,${Number(p) + 7}`));
    writeFileSync(join(data, 'incoming', 'batch.csv'), [lines[0], ...fresh].join('\n') + '\n');
    const before = readFileSync(join(data, 'credit_data.csv'));
    // The CLI in its own process, SIGKILLed by the operating system's rules at the moment the
    // staged data set's temporary file is complete but not yet renamed (its fsync).
    const preload = join(dir, 'kill-while-staging.mjs');
    writeFileSync(
      preload,
      `import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const fsync = fs.fsyncSync;
fs.fsyncSync = (fd) => {
  fsync(fd);
  if (/\\.staged\\.\\d+\\.[0-9a-f]{8}\\.tmp$/.test(fs.readlinkSync('/proc/self/fd/' + fd))) process.kill(process.pid, 'SIGKILL');
};
syncBuiltinESMExports();
`,
    );
    const killed = spawnSync(process.execPath, ['--import', preload, join(ROOT, 'bin/mlops.mjs'), 'ingest'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const left = readdirSync(data).filter((f) => f.endsWith('.tmp'));
    expect(left, 'the kill came while staging').toHaveLength(1);
    expect(left[0]).toMatch(/^\.\.credit_data\.csv\.ingest-[0-9a-f]+\.staged\.\d+\.[0-9a-f]{8}\.tmp$/);
    expect(readFileSync(join(data, 'credit_data.csv')).equals(before)).toBe(true);
    const ignored = spawnSync('git', ['check-ignore', '--no-index', `data/${left[0]}`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(ignored.status, 'git ignores it').toBe(0);

    // Another batch by the next run (a staged file of its own): only the recovery can remove the leftover.
    writeFileSync(join(data, 'incoming', 'batch.csv'), [lines[0], ...fresh.slice(0, 100)].join('\n') + '\n');
    const r = await runCli(['ingest', '--json'], dir);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).files[0].status).toBe('ingested');
    expect(readdirSync(data).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(readIngestionLog(join(data, 'ingestion-log.jsonl'))).toHaveLength(1);
  }, 60_000);

  it('an appended copy is the source then the tail, written whole or not at all, and returns its digest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-append-'));
    const src = join(dir, 'data.csv');
    const big = Buffer.alloc(3 * (1 << 20) + 17, 'a');
    writeFileSync(src, big);
    chmodSync(src, 0o640);
    const out = join(dir, '.data.csv.staged');
    const digest = writeAppendedCopyAtomic(out, src, Buffer.from('tail\n'));
    expect(readFileSync(out).equals(Buffer.concat([big, Buffer.from('tail\n')]))).toBe(true);
    expect(digest).toBe(sha256Hex(readFileSync(out)));
    expect(sha256File(out)).toBe(digest);
    expect(statSync(out).mode & 0o777, 'the copy keeps the source permissions').toBe(0o640);
    expect(() => writeAppendedCopyAtomic(join(dir, 'other'), join(dir, 'missing.csv'), Buffer.from('x'))).toThrow(
      /ENOENT/,
    );
    expect(readdirSync(dir).sort()).toEqual(['.data.csv.staged', 'data.csv']);
  });
});
