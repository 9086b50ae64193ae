/**
 * Structured JSON logs with pino. The destination gathers lines into batches, each one
 * write (service/logging/log-lines.ts over sonic-boom), so a log line per request costs little at
 * tens of thousands of requests a second; it is flushed on shutdown and at exit.
 * Applicant data is never logged unless LOG_PAYLOADS is set.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { BATCH_BYTES, BatchedLines } from './log-lines.ts';

/** Most bytes kept for a busy stdout before lines are dropped (service/logging/log-lines.ts). */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const dest = destination ?? stdoutLines();
  return pino(
    {
      level,
      base: { service: 'credit-risk-scoring', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Defence in depth: even a stray object with these keys never reaches the log in clear.
      redact: {
        paths: [
          'headers.authorization',
          'headers["x-api-key"]',
          'req.headers.authorization',
          'req.headers["x-api-key"]',
        ],
        censor: '[redacted]',
      },
    },
    dest,
  );
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane token, else a new one. */
export function requestId(given: string | string[] | undefined, fresh: () => string): string {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : fresh();
}

/** The service's stdout destination: batched lines (service/logging/log-lines.ts) over sonic-boom. */
function stdoutLines(): BatchedLines {
  const sonic = pino.destination({
    dest: 1,
    sync: true,
    // Batches arrive gathered: write each at once, never join two (each stays within PIPE_BUF).
    minLength: 0,
    maxWrite: BATCH_BYTES,
    // A full pipe: no 100 ms sleep; the batch is kept and tried again (BatchedLines.writeFailed).
    retryEAGAIN: () => false,
    maxLength: MAX_PENDING_BYTES,
  });
  const lines = new BatchedLines(sonic);
  sonic.on('error', (e: Error) => lines.writeFailed(e));
  return lines;
}
