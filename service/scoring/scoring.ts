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

  /** Problems with a batch of records (empty when all are valid), capped at MAX_LISTED_ERRORS. */
  check(records: readonly unknown[], rowOffset = 0): FieldError[] {
    const errors: FieldError[] = [];
    for (let i = 0; i < records.length && errors.length < MAX_LISTED_ERRORS; i++) {
      if (!this.validator.check(records[i])) errors.push(...this.validator.errors(records[i], i + rowOffset));
    }
    return errors.slice(0, MAX_LISTED_ERRORS);
  }

  /** Probabilities of already-validated records. */
  probabilities(records: readonly Record<string, unknown>[]): Float64Array {
    return records.length === 0 ? new Float64Array(0) : this.model.scoreRecords(records);
  }

  many(
    records: readonly unknown[],
  ): { probability: number; decision: string; risk_band: string; id?: Record<string, unknown> }[] {
    const errors = this.check(records);
    if (errors.length > 0) throw invalidInput(batchMessage(errors, records.length), errors);
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
      if (raw === undefined || isMissingText(raw)) {
        rec[name] = null;
        continue;
      }
      const v = raw.trim();
      if (numeric.has(name)) {
        const n = Number(v);
        rec[name] = Number.isNaN(n) ? v : n;
      } else rec[name] = v;
    }
    return rec;
  }

  numericColumns(): Set<string> {
    return new Set(this.schema.features.filter((f) => f.kind === 'numeric').map((f) => f.name));
  }
}

export function batchMessage(errors: FieldError[], rows: number): string {
  const badRows = new Set(errors.map((e) => e.row)).size;
  return `${badRows} of ${rows} row${rows === 1 ? '' : 's'} ha${badRows === 1 ? 's' : 've'} invalid fields${errors.length >= MAX_LISTED_ERRORS ? ` (first ${MAX_LISTED_ERRORS} problems listed)` : ''}`;
}
