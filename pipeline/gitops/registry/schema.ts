/**
 * The shape of `models/registry.json`, as TypeScript types and as the JSON Schema that
 * every read is validated against. The file is the single source of truth of the
 * registry: which versions exist, which one serves (`champion`), and the append-only
 * history of what happened to them.
 */
import type { Verdict } from './verdict.ts';

/** Version 2 added `signed_off` events; a version-1 file is a valid version-2 file and is upgraded on its next write. */
export const REGISTRY_SCHEMA_VERSION = 2;
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2];
export const REGISTRY_FILE = 'registry.json';
export const BUNDLE_FILE = 'model.json.gz';

export type HistoryEventKind = 'registered' | 'promoted' | 'rolled_back' | 'rejected' | 'signed_off';

/**
 * A model-risk sign-off: the reviews of the GitHub Environment that gated the release
 * job (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals). GitHub records no time
 * on a review; the event's `time` is when the release job recorded it.
 */
export interface SignOff {
  environment: string;
  /** `rejected` when any reviewer rejected, else `approved`. */
  state: 'approved' | 'rejected';
  reviewers: { login: string; state: 'approved' | 'rejected'; comment: string | null }[];
  run_id: number | null;
}

export interface Lineage {
  data: { path: string; sha256: string; rows: number };
  test_data: { path: string; sha256: string; rows: number } | null;
  golden: { path: string; sha256: string; rows: number } | null;
  /** The model-relevant config the bundle was trained with (data, split, seed, engine, costs). */
  config: unknown;
  seed: number;
  engine: string;
  params: Record<string, number | string | boolean>;
  code_commit: string | null;
  code_dirty: boolean | null;
  packages: Record<string, string>;
  /** `trained_at`: wall-clock time of the training run (absent in versions registered before it was kept). */
  run: { id: string; created_at: string; trained_at?: string; command: string } | null;
  ci_run_url: string | null;
}

export interface VersionEntry {
  version: number;
  /** Folder relative to the registry folder, always `<name>/v<N>`. */
  path: string;
  /** The bundle's own content digest (`sha256:<hex>`), as sealed at training. */
  digest: string;
  /** sha256 of the gzipped file's bytes, a cheap check that the stored file is the registered one. */
  bundle: { file: string; sha256: string; bytes: number };
  created_at: string;
  engine: string;
  threshold: number;
  /** Headline metrics: the run's own test split and the rows the promotion gate scored. */
  metrics: { test: Record<string, number | null>; evaluation: Record<string, number | null> | null };
  forced: { reason: string } | null;
  lineage: Lineage;
}

export interface HistoryEvent {
  seq: number;
  event: HistoryEventKind;
  time: string;
  actor: string;
  /** The version the event is about (null for a challenger rejected without being registered). */
  version: number | null;
  /** Champion before the event, for promotions and rollbacks. */
  previous_champion: number | null;
  digest: string | null;
  run_id: string | null;
  git_commit: string | null;
  ci_run_url: string | null;
  reason: string | null;
  verdict: Verdict | null;
  /** `signed_off` events only. */
  sign_off?: SignOff | null;
}

export interface ModelEntry {
  aliases: { champion: number | null; challenger: number | null };
  versions: VersionEntry[];
  history: HistoryEvent[];
}

export interface RegistryFile {
  schema_version: 1 | typeof REGISTRY_SCHEMA_VERSION;
  models: Record<string, ModelEntry>;
}

const nullableString = { type: ['string', 'null'] };
const nullableInt = { type: ['integer', 'null'], minimum: 1 };
const sha256Hex = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const digest = { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' };
const metricMap = { type: 'object', additionalProperties: { type: ['number', 'null'] } };
const fileRef = {
  type: 'object',
  required: ['path', 'sha256', 'rows'],
  properties: { path: { type: 'string' }, sha256: { type: 'string' }, rows: { type: 'integer', minimum: 0 } },
};

const lineageSchema = {
  type: 'object',
  required: ['data', 'test_data', 'golden', 'config', 'seed', 'engine', 'params', 'code_commit', 'code_dirty', 'run'],
  properties: {
    data: fileRef,
    test_data: { anyOf: [{ type: 'null' }, fileRef] },
    golden: { anyOf: [{ type: 'null' }, fileRef] },
    config: { type: 'object' },
    seed: { type: 'integer', minimum: 0 },
    engine: { type: 'string', minLength: 1 },
    params: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean'] } },
    code_commit: nullableString,
    code_dirty: { type: ['boolean', 'null'] },
    packages: { type: 'object', additionalProperties: { type: 'string' } },
    run: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['id'],
          properties: {
            id: { type: 'string' },
            created_at: { type: 'string' },
            trained_at: { type: 'string' },
            command: { type: 'string' },
          },
        },
      ],
    },
    ci_run_url: nullableString,
  },
};

const versionSchema = {
  type: 'object',
  required: [
    'version',
    'path',
    'digest',
    'bundle',
    'created_at',
    'engine',
    'threshold',
    'metrics',
    'forced',
    'lineage',
  ],
  properties: {
    version: { type: 'integer', minimum: 1 },
    path: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*/v[1-9][0-9]*$' },
    digest,
    bundle: {
      type: 'object',
      required: ['file', 'sha256', 'bytes'],
      additionalProperties: false,
      properties: { file: { const: BUNDLE_FILE }, sha256: sha256Hex, bytes: { type: 'integer', minimum: 1 } },
    },
    created_at: { type: 'string', minLength: 1 },
    engine: { type: 'string', minLength: 1 },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    metrics: {
      type: 'object',
      required: ['test', 'evaluation'],
      properties: { test: metricMap, evaluation: { anyOf: [{ type: 'null' }, metricMap] } },
    },
    forced: {
      anyOf: [
        { type: 'null' },
        { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1 } } },
      ],
    },
    lineage: lineageSchema,
  },
};

const historySchema = {
  type: 'object',
  required: [
    'seq',
    'event',
    'time',
    'actor',
    'version',
    'previous_champion',
    'digest',
    'run_id',
    'git_commit',
    'ci_run_url',
    'reason',
    'verdict',
  ],
  properties: {
    seq: { type: 'integer', minimum: 1 },
    event: { enum: ['registered', 'promoted', 'rolled_back', 'rejected', 'signed_off'] },
    time: { type: 'string', minLength: 1 },
    actor: { type: 'string', minLength: 1 },
    version: nullableInt,
    previous_champion: nullableInt,
    digest: { anyOf: [{ type: 'null' }, digest] },
    run_id: nullableString,
    git_commit: nullableString,
    ci_run_url: nullableString,
    reason: nullableString,
    verdict: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['decision', 'summary', 'rules'],
          properties: {
            decision: { enum: ['promote', 'keep'] },
            summary: { type: 'string' },
            rules: { type: 'array' },
          },
        },
      ],
    },
    sign_off: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['environment', 'state', 'reviewers', 'run_id'],
          properties: {
            environment: { type: 'string', minLength: 1 },
            state: { enum: ['approved', 'rejected'] },
            reviewers: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['login', 'state', 'comment'],
                properties: {
                  login: { type: 'string', minLength: 1 },
                  state: { enum: ['approved', 'rejected'] },
                  comment: nullableString,
                },
              },
            },
            run_id: { type: ['integer', 'null'] },
          },
        },
      ],
    },
  },
  // A sign-off event carries its reviews; no other event does.
  if: { properties: { event: { const: 'signed_off' } } },
  then: { required: ['sign_off'], properties: { sign_off: { type: 'object' } } },
  else: { properties: { sign_off: { type: 'null' } } },
};

export const registrySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'models/registry.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema_version', 'models'],
  properties: {
    $schema: { type: 'string' },
    schema_version: { enum: READABLE_SCHEMA_VERSIONS },
    models: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9][a-z0-9-]*$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['aliases', 'versions', 'history'],
        properties: {
          aliases: {
            type: 'object',
            additionalProperties: false,
            required: ['champion'],
            properties: { champion: nullableInt, challenger: nullableInt },
          },
          versions: { type: 'array', items: versionSchema },
          history: { type: 'array', items: historySchema },
        },
      },
    },
  },
} as const;

export function emptyRegistry(): RegistryFile {
  return { schema_version: REGISTRY_SCHEMA_VERSION, models: {} };
}

export function emptyModel(): ModelEntry {
  return { aliases: { champion: null, challenger: null }, versions: [], history: [] };
}
