/**
 * One home per orchestration (docs/architecture.md): git is started only in
 * pipeline/gitops/git/, the training-run sequence is written only in
 * pipeline/gitops/run/training-run.ts, and numbers are formatted for people only in
 * pipeline/core/common/format.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from './import-graph.ts';

const FILES = sourceFiles(['pipeline', 'cli', 'actions', 'service', 'scripts', 'bench']);
const text = (f: string): string => readFileSync(join(ROOT, f), 'utf8');
const filesMatching = (re: RegExp): string[] => FILES.filter((f) => re.test(text(f)));

describe('one call site per orchestration', () => {
  it('git is started only inside pipeline/gitops/git/', () => {
    const spawnsGit = /\b(execFile|execFileSync|spawn|spawnSync|exec|execSync)\(\s*['"`]git['"`]/;
    const found = filesMatching(spawnsGit);
    expect(found).toContain('pipeline/gitops/git/run.ts');
    expect(found.filter((f) => !f.startsWith('pipeline/gitops/git/'))).toEqual([]);
  });

  it('the training-run sequence (run record, run folder, tracking) is written only in run/training-run.ts', () => {
    for (const step of ['buildRunRecord', 'writeRunFolder', 'trackTrainedRun', 'trackingSection']) {
      const calls = filesMatching(new RegExp(`(?<!function )\\b${step}\\(`));
      const defined = filesMatching(new RegExp(`export (async )?function ${step}\\(`));
      expect(defined, step).toHaveLength(1);
      expect(
        calls.filter((f) => !defined.includes(f) && f !== 'pipeline/gitops/tracking/track.ts'),
        step,
      ).toEqual(['pipeline/gitops/run/training-run.ts']);
    }
    // Outside the core, models are trained by the run sequence, or retrained to check a digest
    // (scripts and benchmarks time or fingerprint the core itself).
    const trains = filesMatching(/\bawait train\(\{/).filter(
      (f) => !f.startsWith('pipeline/core/') && !f.startsWith('scripts/') && !f.startsWith('bench/'),
    );
    expect(trains).toEqual(['pipeline/gitops/run/training-run.ts', 'pipeline/gitops/tracking/reproduce.ts']);
  });

  it('number formatters are defined only in pipeline/core/common/format.ts', () => {
    const formatter =
      /(\bfunction\s+(pct|signed|num|round|fmt|f4|formatBytes)\s*\(|\bconst\s+(pct|signed|round|fmt|f4|formatBytes)\s*=\s*\(|\bconst\s+num\s*=\s*\([^)]*\)\s*:\s*string)/;
    const found = filesMatching(formatter);
    expect(found).toContain('pipeline/core/common/format.ts');
    expect(found.filter((f) => f !== 'pipeline/core/common/format.ts')).toEqual([]);
  });
});
