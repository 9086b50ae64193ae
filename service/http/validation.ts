/**
 * Request validation: the applicant JSON Schema compiled once with Ajv at start, and its
 * errors turned into one FieldError per bad field (missing, wrong type, unknown category
 * with the allowed values, non-finite number, unknown field).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import {
  type DataSchema,
  applicantJsonSchema,
  type JsonSchema,
  type UnknownFieldsPolicy,
} from '../../pipeline/core/index.ts';
import type { FieldError } from './http-error.ts';

export interface ApplicantValidator {
  schema: JsonSchema;
  /** True when `value` is a valid applicant; cheap on the happy path (no allocation). */
  check(value: unknown): boolean;
  /** Every problem with `value` (call after `check` failed). */
  errors(value: unknown, row?: number): FieldError[];
}

export function compileValidator(dataSchema: DataSchema, unknownFields: UnknownFieldsPolicy): ApplicantValidator {
  const schema = applicantJsonSchema(dataSchema, { unknownFields });
  // strictNumbers: NaN and ±Infinity (JSON.parse turns 1e999 into Infinity) are not numbers here.
  // ownProperties: a field is there only as the record's own property, so a column named
  // "constructor" or "toString" is missing when not sent, not found on Object.prototype.
  const ajv = new Ajv2020({
    allErrors: true,
    strictNumbers: true,
    strict: true,
    allowUnionTypes: true,
    ownProperties: true,
  });
  const validate: ValidateFunction = ajv.compile(schema);
  const categories = new Map<string, string[]>();
  for (const f of dataSchema.features) if (f.kind === 'categorical') categories.set(f.name, f.categories);
  return {
    schema,
    check: (value) => validate(value) as boolean,
    errors(value, row) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return [
          withRow(
            {
              field: null,
              problem: 'wrong_type',
              message: `an applicant must be a JSON object, got ${describe(value)}`,
            },
            row,
          ),
        ];
      }
      validate(value);
      return toFieldErrors(validate.errors ?? [], value as Record<string, unknown>, categories, row);
    },
  };
}

function toFieldErrors(
  errs: ErrorObject[],
  value: Record<string, unknown>,
  categories: Map<string, string[]>,
  row: number | undefined,
): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errs) {
    let fe: FieldError;
    if (e.keyword === 'required') {
      const field = (e.params as { missingProperty: string }).missingProperty;
      fe = { field, problem: 'missing', message: `"${field}" is required (send null if it is unknown)` };
    } else if (e.keyword === 'additionalProperties') {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      fe = { field, problem: 'unknown_field', message: `"${field}" is not a field of this model` };
    } else {
      const field = decodePointer(e.instancePath);
      const v = value[field];
      const allowed = categories.get(field);
      if (typeof v === 'number' && !Number.isFinite(v)) {
        fe = { field, problem: 'non_finite', message: `"${field}" must be a finite number, got ${String(v)}` };
      } else if (allowed && typeof v === 'string') {
        fe = {
          field,
          problem: 'unknown_category',
          message: `"${field}": ${JSON.stringify(v)} is not a known category (allowed: ${allowed.join(', ')})`,
          allowed: [...allowed, null],
        };
      } else if (allowed) {
        fe = {
          field,
          problem: 'wrong_type',
          message: `"${field}" must be a string (one of: ${allowed.join(', ')}) or null, got ${describe(v)}`,
          allowed: [...allowed, null],
        };
      } else if (e.keyword === 'type') {
        fe = { field, problem: 'wrong_type', message: `"${field}" must be a number or null, got ${describe(v)}` };
      } else {
        fe = { field, problem: 'invalid', message: `"${field}" ${e.message ?? 'is invalid'}` };
      }
    }
    // Ajv may report one field twice (e.g. type and enum): keep the first, clearest.
    const key = `${fe.field}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(withRow(fe, row));
  }
  return out;
}

function withRow(fe: FieldError, row: number | undefined): FieldError {
  return row === undefined ? fe : { ...fe, row };
}

function decodePointer(p: string): string {
  return p.replace(/^\//, '').split('/')[0].replace(/~1/g, '/').replace(/~0/g, '~');
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return String(v);
  return typeof v;
}
