/**
 * The one error shape every endpoint answers with. It extends MLflow's
 * `{error_code, message}` so MLflow clients read it, and lists every bad field in
 * `errors` so a client can fix a request in one round trip.
 */

export interface FieldError {
  /** The field (column) at fault, or null for the request as a whole. */
  field: string | null;
  /** Row index in a batch (0-based); absent for single-applicant requests. */
  row?: number;
  /** Line of the CSV body the row starts on, for CSV requests. */
  line?: number;
  problem: 'missing' | 'wrong_type' | 'unknown_category' | 'non_finite' | 'unknown_field' | 'invalid';
  message: string;
  /** Allowed categories, for `unknown_category`. */
  allowed?: (string | null)[];
}

export interface ErrorBody {
  error_code: string;
  message: string;
  status: number;
  request_id: string;
  errors?: FieldError[];
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, errors?: FieldError[]): HttpError =>
  new HttpError(400, 'BAD_REQUEST', message, errors);
export const invalidInput = (message: string, errors: FieldError[]): HttpError =>
  new HttpError(422, 'INVALID_PARAMETER_VALUE', message, errors);
