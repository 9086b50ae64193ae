/**
 * The OpenAPI 3.1 document, generated at start from the same applicant JSON Schema the
 * validator was compiled from (OpenAPI 3.1 schemas are JSON Schema 2020-12), so the
 * documentation is the contract that is enforced.
 *
 * No `jsonSchemaDialect`: the default, OpenAPI's own base dialect, is JSON Schema 2020-12
 * plus OpenAPI's keywords, which is what these schemas are; naming plain 2020-12 instead
 * makes Swagger UI stop treating them as schema objects and show a warning on /docs.
 */
import type { ServiceState } from './state.ts';

export function openApiDocument(s: ServiceState, version: string): Record<string, unknown> {
  const ref = (n: string): { $ref: string } => ({ $ref: `#/components/schemas/${n}` });
  const json = (schema: unknown): Record<string, unknown> => ({ 'application/json': { schema } });
  const errors = {
    '400': { description: 'Malformed request (empty body, bad JSON, wrong shape)', content: json(ref('Error')) },
    '401': { description: 'Missing or invalid API key (only when keys are configured)', content: json(ref('Error')) },
    '413': { description: 'Body over the size limit, or too many rows', content: json(ref('Error')) },
    '415': { description: 'Unsupported Content-Type', content: json(ref('Error')) },
    '422': { description: 'Invalid fields; every one is listed', content: json(ref('Error')) },
  };
  const applicantSchema = s.scorer.validator.schema;
  const example = (applicantSchema.examples as unknown[])[0];
  const security = s.keys.enabled ? [{ bearer: [] }, { apiKey: [] }] : [];
  const csv = {
    'text/csv': { schema: { type: 'string', description: "CSV with a header row naming the model's feature columns" } },
  };
  const get = (summary: string, schema: unknown, sec = security): Record<string, unknown> => ({
    get: { summary, security: sec, responses: { '200': { description: 'OK', content: json(schema) } } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Credit-risk scoring service',
      version,
      description: `Scores credit applications with the model **${s.scorer.ref.name}** (version ${s.scorer.ref.version ?? 'unknown'}, ${s.scorer.ref.digest}). The probability is that of "${s.scorer.schema.positive}"; the decision is "${s.scorer.schema.positive}" at or above the threshold ${s.scorer.threshold}.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    paths: {
      '/v1/predict': {
        post: {
          summary: 'Score one applicant',
          security,
          parameters: [
            {
              name: 'explain',
              in: 'query',
              required: false,
              schema: { type: 'boolean' },
              description: "Add the feature contributions (501 when the model's engine cannot be explained)",
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('Applicant'), example } } },
          responses: {
            '200': { description: 'The prediction', content: json(ref('Prediction')) },
            ...errors,
            '501': { description: 'Explanations not available', content: json(ref('Error')) },
          },
        },
      },
      '/v1/predict/batch': {
        post: {
          summary: 'Score many applicants: a JSON array, or CSV streamed in and out',
          security,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { type: 'array', items: ref('Applicant'), maxItems: s.options.maxBatchRows },
                example: [example],
              },
              ...csv,
            },
          },
          responses: {
            '200': {
              description:
                'One prediction per row, in order. CSV answers have the ID columns, probability, decision, risk_band and error.',
              content: { ...json(ref('BatchPrediction')), 'text/csv': { schema: { type: 'string' } } },
            },
            ...errors,
          },
        },
      },
      '/invocations': {
        post: {
          summary: 'MLflow scoring protocol',
          security,
          requestBody: { required: true, content: { ...json(ref('MlflowRequest')), ...csv } },
          responses: { '200': { description: 'Predictions', content: json(ref('MlflowResponse')) }, ...errors },
        },
      },
      '/v1/model': get('Model metadata, lineage, feature ranges and the units of explanations', ref('ModelInfo')),
      '/v1/model/metrics': get('Evaluation metrics (train, validation, test)', { type: 'object' }),
      '/v1/model/params': get('Engine parameters', { type: 'object' }),
      '/v1/model/schema': get('JSON Schema of an applicant', ref('Applicant')),
      '/healthz': get('Liveness', { type: 'object' }, []),
      '/readyz': get('Readiness (model loaded, not shutting down); 503 otherwise', { type: 'object' }, []),
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: s.options.metricsAuth ? security : [],
          responses: {
            '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
    },
    components: {
      schemas: {
        Applicant: applicantSchema,
        ModelRef: {
          type: 'object',
          properties: { name: { type: 'string' }, version: { type: ['integer', 'null'] }, digest: { type: 'string' } },
          required: ['name', 'version', 'digest'],
        },
        Prediction: {
          type: 'object',
          properties: {
            probability: {
              type: 'number',
              minimum: 0,
              maximum: 1,
              description: `Probability of "${s.scorer.schema.positive}"`,
            },
            decision: { enum: [s.scorer.schema.positive, s.scorer.schema.negative] },
            threshold: { type: 'number' },
            risk_band: { type: 'string' },
            model: ref('ModelRef'),
            explanation: {
              type: 'object',
              description: 'With ?explain=true: base value, margin and contributions per feature',
              properties: {
                output: {
                  enum: ['log_odds', 'probability'],
                  description:
                    "Units of base_value, margin and contributions, as the model's engine declares them (a forest averages probabilities)",
                },
              },
            },
          },
          required: ['probability', 'decision', 'threshold', 'risk_band', 'model'],
        },
        ModelInfo: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            version: { type: ['integer', 'null'] },
            digest: { type: 'string' },
            engine: { type: 'string' },
            members: {
              type: 'array',
              description: 'A soft-voting ensemble (engine "ensemble"): its members and their weights',
              items: {
                type: 'object',
                properties: { candidate: { type: 'string' }, engine: { type: 'string' }, weight: { type: 'number' } },
                required: ['candidate', 'engine', 'weight'],
              },
            },
            features: {
              type: 'array',
              description:
                'Numeric features carry their training range (min, max, median); categorical ones their categories',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  kind: { enum: ['numeric', 'categorical'] },
                  integer: { type: 'boolean' },
                  min: { type: ['number', 'null'] },
                  max: { type: ['number', 'null'] },
                  median: { type: ['number', 'null'] },
                  categories: { type: 'array', items: { type: 'string' } },
                },
                required: ['name', 'kind'],
              },
            },
            explanation_output: {
              enum: ['log_odds', 'probability', null],
              description: 'Units of ?explain=true contributions; null when the model cannot be explained',
            },
          },
          required: ['name', 'version', 'digest', 'engine', 'features', 'explanation_output'],
        },
        BatchPrediction: {
          type: 'object',
          properties: {
            predictions: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  probability: { type: 'number' },
                  decision: { type: 'string' },
                  risk_band: { type: 'string' },
                  id: { type: 'object' },
                },
              },
            },
            threshold: { type: 'number' },
            model: ref('ModelRef'),
          },
        },
        MlflowRequest: {
          type: 'object',
          description: 'Exactly one of the input keys (MLflow 2 scoring protocol).',
          properties: {
            dataframe_split: {
              type: 'object',
              properties: {
                columns: { type: 'array', items: { type: 'string' } },
                data: { type: 'array', items: { type: 'array' } },
              },
            },
            dataframe_records: { type: 'array', items: ref('Applicant') },
            instances: { type: 'array' },
            inputs: { type: ['array', 'object'] },
            params: { type: 'object' },
          },
        },
        MlflowResponse: { type: 'object', properties: { predictions: { type: 'array', items: { type: 'object' } } } },
        Error: {
          type: 'object',
          properties: {
            error_code: { type: 'string', examples: ['INVALID_PARAMETER_VALUE'] },
            message: { type: 'string' },
            status: { type: 'integer' },
            request_id: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  field: { type: ['string', 'null'] },
                  row: { type: 'integer' },
                  problem: {
                    enum: ['missing', 'wrong_type', 'unknown_category', 'non_finite', 'unknown_field', 'invalid'],
                  },
                  message: { type: 'string' },
                  allowed: { type: 'array' },
                },
                required: ['field', 'problem', 'message'],
              },
            },
          },
          required: ['error_code', 'message', 'status', 'request_id'],
        },
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}
