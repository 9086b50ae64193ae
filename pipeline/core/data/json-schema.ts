/**
 * The JSON Schema (2020-12, as used by OpenAPI 3.1) of one applicant, derived from the
 * model's DataSchema. The service compiles it once with Ajv to validate requests and
 * embeds the very same object in its OpenAPI document, so the docs cannot drift from
 * what is enforced. Pure: same DataSchema and options, same schema.
 */
import type { DataSchema } from './schema.ts';

export type UnknownFieldsPolicy = 'reject' | 'ignore';

export interface ApplicantSchemaOptions {
  /** `reject`: a field the model does not know is an error; `ignore`: it is accepted and not used. */
  unknownFields?: UnknownFieldsPolicy;
  title?: string;
}

export type JsonSchema = Record<string, unknown>;

/**
 * Every feature is required so a typo in a field name is reported, not silently scored
 * as missing; `null` says "unknown" explicitly and is imputed like a blank CSV field.
 * Numbers must be finite JSON numbers; categories must be ones seen in training, because
 * the preprocessing would otherwise score an unseen one as missing without telling anyone.
 */
export function applicantJsonSchema(schema: DataSchema, opts: ApplicantSchemaOptions = {}): JsonSchema {
  // Maps, turned into objects at the end with Object.fromEntries: a column named like
  // Object.prototype's members ("constructor", "__proto__") is a property like any other.
  const properties = new Map<string, JsonSchema>();
  const example = new Map<string, unknown>();
  for (const f of schema.features) {
    if (f.kind === 'numeric') {
      const range = f.min !== null && f.max !== null ? ` Seen in training: ${f.min} to ${f.max}.` : '';
      properties.set(f.name, {
        type: ['number', 'null'],
        description: `${f.integer ? 'Integer-valued' : 'Numeric'} feature; null = unknown (imputed).${range}`,
      });
      example.set(f.name, f.median ?? f.min ?? 0);
    } else {
      properties.set(f.name, {
        enum: [...f.categories, null],
        description: `Category seen in training; null = unknown. One of: ${f.categories.join(', ')}.`,
      });
      example.set(f.name, f.categories[0] ?? null);
    }
  }
  // ID columns are echoed back, never scored: always allowed, never required.
  for (const id of schema.ids) {
    if (!properties.has(id))
      properties.set(id, { type: ['string', 'number', 'null'], description: 'Identifier, echoed back; not used for scoring.' });
  }
  // Other columns of the training file (the label, dropped columns) may come along: a
  // scored CSV often still has them. They are accepted and not used.
  for (const name of [schema.target, ...schema.dropped.map((d) => d.name)]) {
    if (!properties.has(name))
      properties.set(name, { description: 'Column of the training data the model does not use; accepted and ignored.' });
  }
  return {
    title: opts.title ?? 'Applicant',
    description: `One credit application: the ${schema.features.length} features the model scores.`,
    type: 'object',
    properties: Object.fromEntries(properties),
    required: schema.features.map((f) => f.name),
    additionalProperties: (opts.unknownFields ?? 'reject') === 'ignore',
    examples: [Object.fromEntries(example)],
  };
}
