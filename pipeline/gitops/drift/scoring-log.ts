/**
 * Scoring logs: the service may append a sample of the requests it scored to a
 * JSON-lines file, which `mlops drift --current <file>.jsonl` reads as the current data.
 * One object per line:
 *
 *   {"time":"2026-11-22T04:00:00.000Z","model":"sha256:…","features":{"Seniority":9,…},"probability":0.183}
 *
 * Off by default: the features are personal data of applicants (see docs/monitoring.md
 * for the privacy note). Only the model's input features are logged — never ID columns,
 * names or free text — and sampling keeps the volume, and the exposure, small.
 */
import { existsSync, readFileSync } from 'node:fs';
import { inputError, Rng, type DataSchema } from '../../core/index.ts';

export interface ScoringLogLine {
  /** ISO 8601 time the request was scored. */
  time: string;
  /** Digest of the model that scored it (`sha256:…`). */
  model: string;
  /** The model's input features, by name; missing values as null. */
  features: Record<string, number | string | null>;
  /** Probability of default the model returned. */
  probability: number;
}

/**
 * One line of the log, newline included. Only the schema's features are kept, so a
 * request carrying extra fields (an applicant's name, an ID) never reaches the file.
 */
export function formatScoringLogLine(input: ScoringLogInput): string {
  return JSON.stringify(scoringLogLine(input)) + '\n';
}

interface ScoringLogInput {
  time: Date | string;
  model: string;
  schema: Pick<DataSchema, 'features'>;
  record: Record<string, unknown>;
  probability: number;
}

/** The line as an object (a database row), with only the schema's features. */
export function scoringLogLine(input: ScoringLogInput): ScoringLogLine {
  const features: Record<string, number | string | null> = {};
  for (const f of input.schema.features) {
    const v = input.record[f.name];
    if (v === undefined || v === null || v === '') features[f.name] = null;
    else if (f.kind === 'numeric') {
      const n = typeof v === 'number' ? v : Number(v);
      features[f.name] = Number.isFinite(n) ? n : null;
    } else features[f.name] = String(v);
  }
  const line: ScoringLogLine = {
    time: typeof input.time === 'string' ? input.time : input.time.toISOString(),
    model: input.model,
    features,
    probability: input.probability,
  };
  return line;
}

/**
 * Decides which requests are logged: a seeded Bernoulli sample at `rate` (0 = off,
 * 1 = every request), capped at `maxPerMinute` so a traffic spike cannot flood the disk.
 */
export class ScoringLogSampler {
  private readonly rng: Rng;
  private minute = -1;
  private inMinute = 0;

  constructor(
    readonly rate: number,
    readonly maxPerMinute = Infinity,
    seed = 1,
  ) {
    if (!(rate >= 0 && rate <= 1)) throw inputError(`scoring log sample rate must be between 0 and 1 (got ${rate})`);
    this.rng = new Rng(seed);
  }

  /** True when this request should be logged; `now` in milliseconds since the epoch. */
  sample(now: number = Date.now()): boolean {
    if (this.rate === 0) return false;
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.inMinute = 0;
    }
    if (this.inMinute >= this.maxPerMinute) return false;
    if (this.rate < 1 && this.rng.nextU32() / 4294967296 >= this.rate) return false;
    this.inMinute++;
    return true;
  }
}

/** Reads a scoring log; every malformed line is reported with its line number. */
export function readScoringLog(file: string): ScoringLogLine[] {
  if (!existsSync(file)) throw inputError(`scoring log not found: ${file}`);
  const out: ScoringLogLine[] = [];
  const errors: string[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '') return;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch {
        errors.push(`line ${i + 1}: not valid JSON`);
        return;
      }
      const o = v as Partial<ScoringLogLine>;
      if (
        typeof o !== 'object' ||
        o === null ||
        typeof o.features !== 'object' ||
        o.features === null ||
        typeof o.probability !== 'number' ||
        typeof o.model !== 'string' ||
        typeof o.time !== 'string'
      ) {
        errors.push(`line ${i + 1}: expected {"time", "model", "features": {…}, "probability"}`);
        return;
      }
      out.push(o as ScoringLogLine);
    });
  if (errors.length > 0)
    throw inputError(
      `${file}: ${errors.length} malformed line${errors.length > 1 ? 's' : ''}:\n  - ${errors.slice(0, 10).join('\n  - ')}`,
      errors,
    );
  if (out.length === 0) throw inputError(`${file}: the scoring log has no entries`);
  return out;
}
