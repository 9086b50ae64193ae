/**
 * Appends a sample of scored applicants to the scoring log, the drift monitor's view of
 * live traffic: a JSON-lines file (whole lines written with O_APPEND, so several cluster
 * workers can share one file), or with SCORING_LOG=postgres:TABLE a PostgreSQL table
 * written in batches in the background (pipeline/gitops/drift/scoring-log-postgres.ts).
 * Write errors are logged and never fail or slow a request.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { CreditModel } from '../../pipeline/core/index.ts';
import {
  formatScoringLogLine,
  PostgresScoringLog,
  ScoringLogSampler,
  scoringLogLine,
} from '../../pipeline/gitops/index.ts';
import type { ServiceOptions } from '../config.ts';

export interface ScoringLog {
  record(applicant: unknown, probability: number): void;
  close(): Promise<void>;
}

export function openScoringLog(
  options: ServiceOptions['scoringLog'],
  model: CreditModel,
  logger: Logger,
): ScoringLog | null {
  if (!options.path) return null;
  if (options.path.startsWith('postgres:'))
    return openTableLog(options, options.path.slice('postgres:'.length), model, logger);
  mkdirSync(dirname(options.path), { recursive: true });
  const stream: WriteStream = createWriteStream(options.path, { flags: 'a' });
  let failed = false;
  stream.on('error', (err) => {
    if (!failed)
      logger.error(
        { err: { message: err.message }, file: options.path },
        'scoring log write failed; scoring continues without it',
      );
    failed = true;
  });
  // Seeded per process so cluster workers do not all pick the same requests.
  const sampler = new ScoringLogSampler(options.rate, options.maxPerMinute, process.pid);
  const schema = model.bundle.schema;
  logger.info(
    { file: options.path, rate: options.rate },
    'scoring log on: a sample of applicants is written for drift monitoring',
  );
  return {
    record(applicant, probability) {
      if (failed || !sampler.sample()) return;
      stream.write(
        formatScoringLogLine({
          time: new Date(),
          model: model.bundle.digest,
          schema,
          record: applicant as Record<string, unknown>,
          probability,
        }),
      );
    },
    close: () => new Promise((resolve) => stream.end(() => resolve())),
  };
}

function openTableLog(
  options: ServiceOptions['scoringLog'],
  table: string,
  model: CreditModel,
  logger: Logger,
): ScoringLog {
  const sink = new PostgresScoringLog({
    table,
    onEvent: (event, detail) =>
      event === 'recovered' ? logger.info({ table }, detail) : logger.warn({ table }, `scoring log: ${detail}`),
  });
  const sampler = new ScoringLogSampler(options.rate, options.maxPerMinute, process.pid);
  const schema = model.bundle.schema;
  logger.info(
    { table, rate: options.rate },
    'scoring log on: a sample of applicants goes to PostgreSQL for drift monitoring',
  );
  return {
    record(applicant, probability) {
      if (!sampler.sample()) return;
      sink.write(
        scoringLogLine({
          time: new Date(),
          model: model.bundle.digest,
          schema,
          record: applicant as Record<string, unknown>,
          probability,
        }),
      );
    },
    close: () => sink.close(),
  };
}
