import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempProject } from '../helpers/cli.ts';

let dir: string;
beforeAll(() => {
  dir = tempProject();
});

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const quick = ['--engine', 'logistic', '--quiet'];

describe('bad input gets a clear message and exit code, never a stack trace', () => {
  it('missing file', async () => {
    const r = await runCli(['train', '--data', 'nope.csv', ...quick], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/data file not found: .*nope\.csv/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('empty file', async () => {
    write('empty.csv', '');
    const r = await runCli(['train', '--data', 'empty.csv', ...quick], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/empty\.csv: the file is empty/);
  });

  it('missing target column', async () => {
    write('notarget.csv', 'a,b\n1,2\n3,4\n');
    const r = await runCli(['train', '--data', 'notarget.csv', ...quick], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/target column "Status" not found \(columns: a, b\)/);
  });

  it('target with other than two labels', async () => {
    write('three.csv', 'Status,x\nbad,1\ngood,2\nunknown,3\n');
    const r = await runCli(['train', '--data', 'three.csv', ...quick], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/must have exactly two labels, found 3: "bad", "good", "unknown"/);
  });

  it('a text value in a numeric column names the line and the column', async () => {
    const rows = ['Status,Income,Home'];
    for (let i = 0; i < 60; i++) rows.push(`${i % 3 ? 'good' : 'bad'},${100 + i},rent`);
    rows[31] = 'good,abc,rent'; // line 32 of the file
    write('text.csv', rows.join('\n') + '\n');
    const r = await runCli(['train', '--data', 'text.csv', ...quick], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 32, column "Income": "abc" is not a number/);
  });

  it('unknown engine is a usage error (exit 2)', async () => {
    const r = await runCli(['train', '--engine', 'xgboost', '--quiet'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown engine "xgboost" \(choose one of: .*logistic/);
  });

  it('unknown or invalid engine parameter is a usage error', async () => {
    let r = await runCli(['train', ...quick, '--param', 'depth=3'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/engine "logistic" has no parameter "depth"/);
    r = await runCli(['train', ...quick, '--param', 'C=-1'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/parameter "C" must be ≥/);
  });

  it('malformed config and a config with a wrong key name the file and key', async () => {
    write('bad.json', '{ "data": ');
    let r = await runCli(['train', '--config', 'bad.json', ...quick], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.json: malformed JSON/);
    write(
      'wrong.json',
      JSON.stringify({ data: { path: 'x.csv', target: 'Status', positive: 'bad' }, split: { train: 2 }, colour: 1 }),
    );
    r = await runCli(['train', '--config', 'wrong.json', ...quick], dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\/split\/train: must be <= 1/);
    write('yaml.yaml', 'data:\n  path: x.csv\n  target: [\n');
    r = await runCli(['train', '--config', 'yaml.yaml', ...quick], dir);
    expect(r.err).toMatch(/yaml\.yaml: malformed YAML at line/);
  });

  it('unknown flag and unknown command are usage errors', async () => {
    expect((await runCli(['train', '--nope'], dir)).code).toBe(2);
    expect((await runCli(['frobnicate'], dir)).code).toBe(2);
  });

  it('the installed bin runs TypeScript through tsx and exits with the command code', () => {
    const help = spawnSync(process.execPath, [join(ROOT, 'bin/mlops.mjs'), '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: mlops <command>/);
    const bad = spawnSync(process.execPath, [join(ROOT, 'bin/mlops.mjs'), 'train', '--data', 'missing.csv'], {
      encoding: 'utf8',
      cwd: dir,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/data file not found/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('--help of the commands that train', () => {
  it("lists every engine's parameters from the engine registry", async () => {
    const { ENGINES } = await import('../../pipeline/core/engines/index.ts');
    for (const cmd of ['train', 'run', 'tune']) {
      const r = await runCli([cmd, '--help'], process.cwd());
      expect(r.code).toBe(0);
      for (const [name, f] of ENGINES) {
        expect(r.out, `${cmd} ${name}`).toMatch(new RegExp(`^  ${name}$`, 'm'));
        for (const [key, s] of Object.entries(f.paramSpec))
          expect(r.out, `${cmd} ${name}.${key}`).toMatch(
            new RegExp(`^    ${key} +.*default ${String(s.default).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `, 'm'),
          );
      }
    }
  });
});
