import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICANT, startTestServer, trainedProject, type TestServer, type TrainedProject } from './helpers.ts';
import { readScoringLog } from '../../pipeline/gitops/drift/scoring-log.ts';
import { runCli } from '../helpers/cli.ts';
import { optionsFromEnv } from '../../service/config.ts';

let project: TrainedProject;
let server: TestServer;
let file: string;

beforeAll(async () => {
  project = await trainedProject();
  file = join(project.dir, 'logs', 'scoring.jsonl');
  server = await startTestServer(project, { scoringLog: { path: file, rate: 1, maxPerMinute: 1000 } });
});
afterAll(async () => {
  await server.close();
});

describe('scoring log for drift monitoring', () => {
  it('appends scored applicants (features only) that mlops drift reads as current data', async () => {
    for (let i = 0; i < 3; i++)
      expect((await server.post('/v1/predict', { ...APPLICANT, Age: 30 + i })).status).toBe(200);
    const batch = await server.post('/v1/predict/batch', [APPLICANT, { ...APPLICANT, Income: null }]);
    expect(batch.status).toBe(200);
    // Refused requests are not scored, so not logged.
    expect((await server.post('/v1/predict', { ...APPLICANT, Age: 'old' })).status).toBe(422);
    await server.state.scoringLog!.close();
    const lines = readScoringLog(file);
    expect(lines).toHaveLength(5);
    expect(lines[0].model).toBe(project.model.bundle.digest);
    expect(lines.map((l) => l.features.Age)).toEqual([30, 31, 32, APPLICANT.Age, APPLICANT.Age]);
    expect(lines[4].features.Income).toBeNull();
    expect(Object.keys(lines[0].features).sort()).toEqual(
      project.model.bundle.schema.features.map((f) => f.name).sort(),
    );
    const v1 = (await (await server.post('/v1/predict', APPLICANT)).json()) as { probability: number };
    expect(lines[3].probability).toBe(v1.probability);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(5);

    const drift = await runCli(
      ['drift', '--reference', 'data/credit_data.csv', '--current', file, '--model', project.modelPath, '--json'],
      project.dir,
    );
    expect(drift.code, drift.err).toBe(0);
    const report = JSON.parse(drift.out) as { features: { feature: string }[] };
    expect(report.features.map((f) => f.feature)).toContain('Age');
  });

  it('is off by default and refuses a sample rate outside 0–1', () => {
    expect(optionsFromEnv({}, '/srv').scoringLog.path).toBeNull();
    expect(optionsFromEnv({ SCORING_LOG: '/var/log/s.jsonl', SCORING_LOG_RATE: '0.2' }, '/srv').scoringLog).toEqual({
      path: '/var/log/s.jsonl',
      rate: 0.2,
      maxPerMinute: 600,
    });
    expect(() => optionsFromEnv({ SCORING_LOG_RATE: '5' }, '/srv')).toThrow(
      /SCORING_LOG_RATE must be a share from 0 to 1/,
    );
  });
});
