import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  championBundlePath,
  loadRegistry,
  promoteRun,
  saveRegistry,
  type RegistryFile,
} from '../../pipeline/gitops/registry/index.ts';
import { sha256Hex } from '../../pipeline/core/common/canonical-json.ts';
import { projectDir, testConfig, tmp, trainRun, VARIANTS, removeTemporaryFolders } from './helpers.ts';
import { runCli } from '../helpers/cli.ts';
import { resolveModelSource } from '../../service/scoring/model-source.ts';

afterAll(removeTemporaryFolders);

let project: string;
let pristine: string;
const runs: Record<string, string> = {};

beforeAll(async () => {
  project = projectDir();
  runs.weak = await trainRun(project, join(project, 'runs/weak'), testConfig(VARIANTS.weak));
  runs.strong = await trainRun(project, join(project, 'runs/strong'), testConfig(VARIANTS.strong));
  runs.twin = await trainRun(project, join(project, 'runs/twin'), testConfig(VARIANTS.twin));
  const config = testConfig();
  for (const r of [runs.weak, runs.strong])
    promoteRun({
      dir: join(project, 'models'),
      config,
      baseDir: project,
      challenger: r,
      actor: 'alice',
      gitCommit: null,
    });
  pristine = readFileSync(join(project, 'models/registry.json'), 'utf8');
});

/** A copy of the project with a damaged registry; returns its folder. */
function damaged(edit: (models: string) => void): string {
  const dir = tmp('corrupt');
  cpSync(project, dir, { recursive: true });
  edit(join(dir, 'models'));
  return dir;
}

const editJson = (models: string, f: (reg: RegistryFile) => void): void => {
  const reg = JSON.parse(readFileSync(join(models, 'registry.json'), 'utf8')) as RegistryFile;
  f(reg);
  writeFileSync(join(models, 'registry.json'), JSON.stringify(reg, null, 2));
};

describe('registry.json is validated on every read', () => {
  it('reads a healthy registry and finds the champion bundle', () => {
    const reg = loadRegistry(join(project, 'models'));
    expect(reg.schema_version).toBe(2);
    expect(reg.models['credit-default'].aliases.champion).toBe(2);
    expect(championBundlePath(join(project, 'models'), 'credit-default')).toBe(
      join(project, 'models/credit-default/v2/model.json.gz'),
    );
    expect(championBundlePath(join(project, 'models'), 'other')).toBeNull();
  });

  it('reads a version-1 file (before signed_off events) and writes it back as version 2', () => {
    const dir = damaged((m) => editJson(m, (r) => ((r as { schema_version: number }).schema_version = 1)));
    const reg = loadRegistry(join(dir, 'models'));
    expect(reg.schema_version).toBe(1);
    saveRegistry(join(dir, 'models'), reg);
    expect(JSON.parse(readFileSync(join(dir, 'models/registry.json'), 'utf8')).schema_version).toBe(2);
  });

  const cases: [string, (models: string) => void, RegExp][] = [
    [
      'bad JSON',
      (m) => writeFileSync(join(m, 'registry.json'), pristine.slice(0, 200)),
      /registry\.json: \(whole file\): malformed JSON/,
    ],
    [
      'a newer schema version',
      (m) => editJson(m, (r) => ((r as { schema_version: number }).schema_version = 3)),
      /registry\.json: schema_version: schema version 3 is not supported/,
    ],
    [
      'a version missing a field',
      (m) => editJson(m, (r) => delete (r.models['credit-default'].versions[1] as { digest?: string }).digest),
      /registry\.json: models\.credit-default\.versions\[1\] \(v2\): invalid registry \(schema\): .*must have required property 'digest'/,
    ],
    [
      'an alias to a missing version',
      (m) => editJson(m, (r) => (r.models['credit-default'].aliases.champion = 7)),
      /registry\.json: models\.credit-default\.aliases\.champion: points to v7, which is not a registered version/,
    ],
    [
      'a rewritten history',
      (m) => editJson(m, (r) => r.models['credit-default'].history.splice(1, 1)),
      /registry\.json: models\.credit-default\.history\[1\] \(event 3\): history must be append-only/,
    ],
    [
      'a replaced bundle file',
      (m) => cpSync(join(m, 'credit-default/v1/model.json.gz'), join(m, 'credit-default/v2/model.json.gz')),
      /registry\.json: models\.credit-default\.versions\[1\] \(v2\): bundle digest does not match: .*credit-default\/v2\/model\.json\.gz hashes to sha256 [0-9a-f]{64} but the entry records/,
    ],
    [
      'an edited digest in the entry',
      (m) => editJson(m, (r) => (r.models['credit-default'].versions[0].digest = `sha256:${'0'.repeat(64)}`)),
      /registry\.json: models\.credit-default\.history\[0\] \(event 1\): it records sha256:[0-9a-f]{64} for v1, but the version's digest is sha256:0{64}/,
    ],
    [
      'an edited digest in the entry and its history',
      (m) =>
        editJson(m, (r) => {
          const model = r.models['credit-default'];
          model.versions[0].digest = `sha256:${'0'.repeat(64)}`;
          for (const h of model.history) if (h.version === 1) h.digest = model.versions[0].digest;
        }),
      /registry\.json: models\.credit-default\.versions\[0\] \(v1\): bundle digest does not match: .*v1\/model\.json\.gz holds sha256:[0-9a-f]{64} but the entry records sha256:0{64}/,
    ],
    [
      'a version deleted while the history still names it',
      (m) =>
        editJson(m, (r) => {
          const model = r.models['credit-default'];
          model.versions.splice(1, 1);
          model.aliases.champion = 1;
        }),
      /registry\.json: models\.credit-default\.history\[\d+\] \(event \d+\): its version is v2, which is not a registered version/,
    ],
    [
      'a version deleted with its history but not its folder',
      (m) =>
        editJson(m, (r) => {
          const model = r.models['credit-default'];
          model.versions.splice(1, 1);
          model.history = model.history.filter((h) => h.version !== 2 && h.previous_champion !== 2);
          model.aliases.champion = 1;
        }),
      /registry\.json: models\.credit-default\.versions: the folder .*credit-default\/v2 holds a version that registry\.json does not list/,
    ],
    [
      'a champion no promotion made',
      (m) => editJson(m, (r) => (r.models['credit-default'].aliases.champion = 1)),
      /registry\.json: models\.credit-default\.aliases\.champion: is v1, but models\.credit-default\.history\[\d+\] \(event \d+\) made v2 the champion/,
    ],
    [
      'an event recording another digest than its version',
      (m) =>
        editJson(m, (r) => {
          const h = r.models['credit-default'].history.find((e) => e.event === 'promoted' && e.version === 2)!;
          h.digest = r.models['credit-default'].versions[0].digest;
        }),
      /it records sha256:[0-9a-f]{64} for v2, but the version's digest is sha256:[0-9a-f]{64}/,
    ],
    [
      'a version folder of a model the registry does not list',
      (m) => cpSync(join(m, 'credit-default/v1'), join(m, 'other-model/v1'), { recursive: true }),
      /registry\.json: models\.other-model: the folder .*other-model\/v1 holds a version that registry\.json does not list/,
    ],
    [
      'a tampered bundle with a matching file hash',
      (m) => {
        const p = join(m, 'credit-default/v1/model.json.gz');
        const text = gunzipSync(readFileSync(p)).toString('utf8').replace('"threshold":0.', '"threshold":0.9');
        const bytes = gzipSync(text);
        writeFileSync(p, bytes);
        editJson(m, (r) => (r.models['credit-default'].versions[0].bundle.sha256 = sha256Hex(bytes)));
      },
      /registry\.json: models\.credit-default\.versions\[0\] \(v1\): refusing model bundle .*digest mismatch/,
    ],
  ];

  for (const [what, edit, message] of cases) {
    it(`reports ${what} with the file and the entry, and overwrites nothing`, async () => {
      const dir = damaged(edit);
      const before = readFileSync(join(dir, 'models/registry.json'), 'utf8');
      expect(() => loadRegistry(join(dir, 'models'))).toThrow(message);
      const r = await runCli(
        ['promote', '--run', runs.twin, '--force', '--reason', 'should not happen', '--actor', 'x'],
        dir,
      );
      expect(r.code).toBe(1);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/Nothing was changed/);
      expect(readFileSync(join(dir, 'models/registry.json'), 'utf8')).toBe(before);
      const list = await runCli(['registry', 'list'], dir);
      expect(list.code).toBe(1);
    });
  }
});

describe('a version deleted from registry.json while the history names it (reproduction 7)', () => {
  it('every command that reads the registry refuses it, serving included, and promote writes nothing', async () => {
    const dir = damaged((m) =>
      editJson(m, (r) => {
        const model = r.models['credit-default'];
        model.versions.splice(1, 1);
        model.aliases.champion = 1;
      }),
    );
    const before = readFileSync(join(dir, 'models/registry.json'), 'utf8');
    const problem = /history\[\d+\] \(event \d+\): its version is v2, which is not a registered version/;
    for (const args of [
      ['registry', 'list'],
      ['registry', 'show'],
      ['registry', 'show', 'v1'],
      ['registry', 'history'],
      ['registry', 'verify'],
      ['registry', 'verify', 'v1'],
      ['promote', '--run', runs.twin, '--force', '--reason', 'should not happen', '--actor', 'x'],
      ['rollback', '--to', 'v1', '--reason', 'should not happen', '--actor', 'x'],
    ]) {
      const r = await runCli(args, dir);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(problem);
    }
    expect(() =>
      resolveModelSource({ modelPath: null, modelVersion: null, root: dir, modelName: 'credit-default' }),
    ).toThrow(problem);
    expect(readFileSync(join(dir, 'models/registry.json'), 'utf8')).toBe(before);
  });

  it('registry verify without a reference reports a healthy registry', async () => {
    const r = await runCli(['registry', 'verify', '--json'], project);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ models: 1, versions: 2, events: 4, consistent: true });
  });
});
