/**
 * Behaviour fingerprint for refactors: trains the embedded data with three gbdt
 * configurations, a forest and a logistic model through the CLI (the path users take),
 * scores the fixed test split with each, and prints one sha256 per model for its engine
 * state (trees, bins' split points, coefficients), its preprocessing and its scores.
 * Provenance (git commit, versions, time) is left out, so the figures compare across
 * commits: run it before and after a change that must not alter models.
 *
 *   npx tsx scripts/fingerprint.ts [--out FILE]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const CASES: [string, string[]][] = [
  ['gbdt-default', ['--engine', 'gbdt']],
  ['gbdt-deep', ['--engine', 'gbdt', '--param', 'maxDepth=8', '--param', 'learningRate=0.05']],
  [
    'gbdt-subsample',
    [
      '--engine',
      'gbdt',
      '--param',
      'subsample=0.7',
      '--param',
      'nRounds=150',
      '--param',
      'growth=leaf',
      '--param',
      'colsampleBytree=0.8',
    ],
  ],
  ['forest', ['--engine', 'forest']],
  ['logistic', ['--engine', 'logistic']],
];

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);
const mlops = (args: string[]): string =>
  execFileSync(process.execPath, [join(ROOT, 'bin/mlops.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

const work = mkdtempSync(join(tmpdir(), 'fingerprint-'));
const lines: string[] = [];
try {
  for (const [name, args] of CASES) {
    const out = join(work, name);
    mlops(['train', ...args, '--workers', '1', '--quiet', '--out', out]);
    const bundle = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as Record<string, unknown>;
    const scores = join(out, 'scores.csv');
    mlops(['predict', '--model', join(out, 'model.json'), '--data', 'data/credit_data/test.csv', '--out', scores]);
    const threshold = String(bundle.threshold);
    lines.push(
      `${name.padEnd(16)} engine ${sha(JSON.stringify(bundle.engine))}  preprocessing ${sha(JSON.stringify(bundle.preprocessing))}  scores ${sha(readFileSync(scores, 'utf8'))}  threshold ${threshold}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const text = lines.join('\n') + '\n';
process.stdout.write(text);
const outIndex = process.argv.indexOf('--out');
if (outIndex > 0) writeFileSync(process.argv[outIndex + 1], text);
