import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { smallProject } from './helpers.ts';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

async function trainOne(dir: string): Promise<string> {
  const r = await runCli(['train', '--quiet'], dir);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(readFileSync(join(dir, 'runs', readdirSync(join(dir, 'runs'))[0], 'run.json'), 'utf8')).id;
}

describe('mlops runs reproduce', () => {
  it('matches on an unchanged repository, from the recorded config even if the config file changed since', async () => {
    const dir = smallProject();
    const id = await trainOne(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'mlops.config.json'), 'utf8'));
    writeFileSync(join(dir, 'mlops.config.json'), JSON.stringify({ ...cfg, seed: 999, engine: { name: 'forest' } }));
    const r = await runCli(['runs', 'reproduce', id.slice(0, 12), '--quiet'], dir);
    expect(r.code, r.err + r.out).toBe(0);
    const digest = JSON.parse(readFileSync(join(dir, 'runs', id, 'run.json'), 'utf8')).model.digest;
    expect(r.out).toBe(`reproduced: run ${id} retrained to the same model digest ${digest}`);

    // A record without the tracking section (written by older code or another tool)
    // is reproduced from its bundle's provenance.
    const file = join(dir, 'runs', id, 'run.json');
    const { tracking: _dropped, ...bare } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(bare));
    const again = await runCli(['runs', 'reproduce', id, '--quiet'], dir);
    expect(again.code, again.err + again.out).toBe(0);
    expect(again.out).toContain('retrained to the same model digest');
  });

  it('refuses when the data changed, naming the file and both digests', async () => {
    const dir = smallProject();
    const id = await trainOne(dir);
    const file = join(dir, 'data', 'credit.csv');
    const before = sha(file);
    appendFileSync(file, 'good,9,rent,60,30,married,no,freelance,73,129,0,0,800,846\n');
    const after = sha(file);
    const r = await runCli(['runs', 'reproduce', id, '--quiet'], dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `cannot reproduce run ${id}: the data changed since the run. ${file} now has sha256 ${after}; the run was trained on sha256 ${before} (1200 rows).`,
    );
  });

  it('explains a mismatch: the code commit moved since the run', async () => {
    const dir = smallProject();
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    };
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', 'data', 'mlops.config.json');
    git('commit', '-qm', 'first');
    const first = git('rev-parse', 'HEAD');
    const id = await trainOne(dir);
    git('commit', '-q', '--allow-empty', '-m', 'second');
    const second = git('rev-parse', 'HEAD');
    const r = await runCli(['runs', 'reproduce', id, '--quiet'], dir);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(
      new RegExp(`^not reproduced: run ${id} has model sha256:[0-9a-f]{64}, retraining gave sha256:[0-9a-f]{64}`),
    );
    expect(r.out).toContain(
      `  - code commit differs: the run was made at ${first.slice(0, 12)}, the repository is now at ${second.slice(0, 12)}`,
    );
    expect(r.out).not.toContain('data differs');
    expect(r.out).not.toContain('config differs');
    expect(r.out).toMatch(/bundle sections that differ: provenance$/m);
  });
});
