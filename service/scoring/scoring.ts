/**
 * Scoring adapters: validated JSON records → predictions, through CreditModel so the
 * service and the CLI give the same probability for the same applicant.
 */
import { type CreditModel, type DataSchema, isMissingText } from '../../pipeline/core/index.ts';
import type { ApplicantValidator } from '../http/validation.ts';
import { compileSingleRow } from './fast-path.ts';
import { invalidInput, type FieldError } from '../http/http-error.ts';

export interface ModelRef {
  name: string;
  version: number | null;
  digest: string;
}

export interface Prediction {
  probability: number;
  decision: string;
  threshold: number;
  risk_band: string;
  model: ModelRef;
}

/** Errors listed in one response at most: enough to fix a file, bounded in size. */
export const MAX_LISTED_ERRORS = 1000;

export class Scorer {
  readonly ref: ModelRef;
  readonly threshold: number;
  readonly ids: string[];
  /** Bit-identical to model.scoreRecords for one row, without its per-call setup. */
  readonly single: (rec: Record<string, unknown>) => number;

  constructor(
    readonly model: CreditModel,
    readonly validator: ApplicantValidator,
    version: number | null,
  ) {
    const b = model.bundle;
    this.ref = { name: b.name, version, digest: b.digest };
    this.threshold = b.threshold;
    this.ids = b.schema.ids;
    this.single = compileSingleRow(model);
  }

  get schema(): DataSchema {
    return this.model.bundle.schema;
  }

  /** One applicant; throws 422 listing every bad field. */
  one(value: unknown): Prediction {
    if (!this.validator.check(value))
      throw invalidInput('the applicant has invalid fields', this.validator.errors(value));
    const p = this.single(value as Record<string, unknown>);
    return {
      probability: p,
      decision: this.model.decision(p),
      threshold: this.threshold,
      risk_band: this.model.riskBand(p),
      model: this.ref,
    };
  }

  /**
   * Problems with a batch of records: how many rows are invalid (all of them counted),
   * and their field errors, the first MAX_LISTED_ERRORS listed.
   */
  check(records: readonly unknown[], lines?: ArrayLike<number>): BatchProblems {
    const errors: FieldError[] = [];
    let badRows = 0;
    for (let i = 0; i < records.length; i++) {
      if (this.validator.check(records[i])) continue;
      badRows++;
      if (errors.length >= MAX_LISTED_ERRORS) continue;
      for (const e of this.validator.errors(records[i], i)) {
        if (errors.length === MAX_LISTED_ERRORS) break;
        errors.push(lines ? { ...e, line: lines[i] } : e);
      }
    }
    return { badRows, errors };
  }

  /** Probabilities of already-validated records. */
  probabilities(records: readonly Record<string, unknown>[]): Float64Array {
    return records.length === 0 ? new Float64Array(0) : this.model.scoreRecords(records);
  }

  many(
    records: readonly unknown[],
    lines?: ArrayLike<number>,
  ): { probability: number; decision: string; risk_band: string; id?: Record<string, unknown> }[] {
    const problems = this.check(records, lines);
    if (problems.badRows > 0) throw invalidInput(batchMessage(problems, records.length), problems.errors);
    const p = this.probabilities(records as Record<string, unknown>[]);
    return Array.from(p, (prob, i) => {
      const out: { probability: number; decision: string; risk_band: string; id?: Record<string, unknown> } = {
        probability: prob,
        decision: this.model.decision(prob),
        risk_band: this.model.riskBand(prob),
      };
      if (this.ids.length > 0) {
        const rec = records[i] as Record<string, unknown>;
        const id: Record<string, unknown> = {};
        for (const k of this.ids) if (rec[k] !== undefined) id[k] = rec[k];
        if (Object.keys(id).length > 0) out.id = id;
      }
      return out;
    });
  }

  /**
   * A CSV row (strings) as a JSON record: numeric fields parsed, the usual missing markers
   * (empty, NA, NaN, null, …) as null, so the same validator judges CSV and JSON input.
   */
  csvRecord(header: readonly string[], row: readonly string[], numeric: ReadonlySet<string>): Record<string, unknown> {
    const rec: Record<string, unknown> = {};
    for (let c = 0; c < header.length; c++) {
      const raw = row[c];
      const name = header[c];
      let value: unknown;
      if (raw === undefined || isMissingText(raw)) value = null;
      else {
        const v = raw.trim();
        const n = numeric.has(name) ? Number(v) : NaN;
        value = Number.isNaN(n) ? v : n;
      }
      setField(rec, name, value);
    }
    return rec;
  }

  numericColumns(): Set<string> {
    return new Set(this.schema.features.filter((f) => f.kind === 'numeric').map((f) => f.name));
  }
}

export interface BatchProblems {
  /** Rows with at least one problem, every one of them counted. */
  badRows: number;
  /** Their problems, at most MAX_LISTED_ERRORS. */
  errors: FieldError[];
}

export function batchMessage(p: BatchProblems, rows: number): string {
  const listed = new Set(p.errors.map((e) => e.row)).size;
  return `${p.badRows} of ${rows} row${rows === 1 ? '' : 's'} ha${p.badRows === 1 ? 's' : 've'} invalid fields${listed < p.badRows ? ` (the problems of the first ${listed} listed)` : ''}`;
}

/**
 * Sets an own property, even one named like Object.prototype's (`__proto__`), so a
 * record built from names a client chose (CSV headers, JSON columns) holds exactly them.
 */
export function setField(rec: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__')
    Object.defineProperty(rec, name, { value, enumerable: true, writable: true, configurable: true });
  else rec[name] = value;
}
