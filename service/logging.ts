/**
 * Structured JSON logs with pino. The destination gathers lines into batches, each one
 * asynchronous write (service/log-lines.ts over sonic-boom), so a log line per request
 * costs little at tens of thousands of requests a second; it is flushed on shutdown.
 * Applicant data is never logged unless LOG_PAYLOADS is set.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { BATCH_BYTES, BatchedLines } from './log-lines.ts';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  // Batches arrive gathered, so sonic-boom writes each at once (minLength 1: its flush()
  // then waits for writes in flight, which it does not with 0) and never joins two
  // (maxWrite: one batch, at most PIPE_BUF, so no write to a pipe is split).
  const dest = destination ?? new BatchedLines(pino.destination({ dest: 1, sync: false, minLength: 1, maxWrite: BATCH_BYTES }));
  return pino(
    {
      level,
      base: { service: 'credit-risk-scoring', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Defence in depth: even a stray object with these keys never reaches the log in clear.
      redact: { paths: ['headers.authorization', 'headers["x-api-key"]', 'req.headers.authorization', 'req.headers["x-api-key"]'], censor: '[redacted]' },
    },
    dest,
  );
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane token, else a new one. */
export function requestId(given: string | string[] | undefined, fresh: () => string): string {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : fresh();
}
