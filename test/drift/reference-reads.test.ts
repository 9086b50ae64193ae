/**
 * `mlops drift --reference FILE` reads the reference CSV once: its bytes are the sample,
 * the schema when no model brings one, and the start of the default current rows.
 * node:fs is wrapped to count the bytes read from it (helpers/fs-reads.ts).
 */
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (original) => (await import('../helpers/fs-reads.ts')).countingFs(await original()));

const { loadConfig } = await import('../../pipeline/core/config/load.ts');
const { train } = await import('../../pipeline/core/training/train.ts');
const { CreditModel } = await import('../../pipeline/core/model/credit-model.ts');
const { writeBundle } = await import('../../pipeline/core/model/bundle.ts');
const { runDrift } = await import('../../pipeline/gitops/drift/run-drift.ts');
const { tempProject } = await import('../helpers/cli.ts');
const { reads } = await import('../helpers/fs-reads.ts');

describe('mlops drift reads the reference CSV', () => {
  let dir: string;
  let model: InstanceType<typeof CreditModel>;
  beforeAll(async () => {
    dir = tempProject({
      data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
      engine: { name: 'logistic', params: {} },
    });
    const { config, baseDir } = loadConfig(null, dir);
    writeBundle(join(dir, 'model.json'), (await train({ config, baseDir })).bundle);
    model = CreditModel.load(join(dir, 'model.json'));
    copyFileSync(join(dir, 'data', 'credit_data.csv'), join(dir, 'reference.csv'));
    copyFileSync(join(dir, 'data', 'credit_data.csv'), join(dir, 'current.csv'));
  });

  const measured = (withModel: boolean): { bytes: number; report: ReturnType<typeof runDrift> } => {
    const { config, baseDir } = loadConfig(null, dir);
    reads.match = (name) => name === 'reference.csv';
    reads.bytes = 0;
    try {
      const report = runDrift({
        config,
        baseDir,
        reference: 'reference.csv',
        current: 'current.csv',
        model: withModel ? model : null,
      });
      return { bytes: reads.bytes, report };
    } finally {
      reads.match = null;
    }
  };

  it('once, with a model and without one (the schema then inferred from the reference itself)', () => {
    const size = statSync(join(dir, 'reference.csv')).size;
    for (const withModel of [true, false]) {
      const { bytes, report } = measured(withModel);
      expect(bytes, withModel ? 'with a model' : 'without a model').toBe(size);
      expect(report.reference).toMatchObject({ name: 'reference.csv', rows: 4454, kind: 'csv' });
      expect(report.features).toHaveLength(13);
      expect(report.features.every((f) => f.psi === 0 && !f.drifted)).toBe(true);
    }
  });
});
