/**
 * One error type for everything a user can fix: bad input, bad config, bad flags.
 * Adapters (CLI, actions, service) print `message` as is — no stack trace — and map
 * `kind` to their own convention (exit code 2 for usage, 1 otherwise; HTTP 400/422).
 */
export type ErrorKind = 'usage' | 'input' | 'config' | 'integrity' | 'state';

export class MlopsError extends Error {
  readonly kind: ErrorKind;
  /** Optional structured detail, e.g. a list of validation problems. */
  readonly details?: unknown;

  constructor(kind: ErrorKind, message: string, details?: unknown) {
    super(message);
    this.name = 'MlopsError';
    this.kind = kind;
    this.details = details;
  }
}

export const usageError = (message: string): MlopsError => new MlopsError('usage', message);
export const inputError = (message: string, details?: unknown): MlopsError => new MlopsError('input', message, details);
export const configError = (message: string, details?: unknown): MlopsError =>
  new MlopsError('config', message, details);

export function isMlopsError(e: unknown): e is MlopsError {
  return e instanceof MlopsError;
}
