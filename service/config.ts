/**
 * Service settings, read from environment variables (twelve-factor: the same image runs
 * everywhere, configured by its environment). Every value is checked here so a typo
 * stops the service at start with a message naming the variable, not at first request.
 */
import { readFileSync } from 'node:fs';
import { configError, type UnknownFieldsPolicy } from '../pipeline/core/index.ts';

export interface ServiceOptions {
  /** Model bundle to serve; null = the registry champion of `modelName` under `root`. */
  modelPath: string | null;
  /** Registry version reported in responses when the path does not say it. */
  modelVersion: number | null;
  /** Project root holding models/registry.json (for the champion default). */
  root: string;
  modelName: string | null;
  host: string;
  port: number;
  /** Serving threads or processes; 1 = one process, one thread; 0 = one per core. */
  workers: number;
  /**
   * How WORKERS > 1 run: `threads` = one process whose threads all accept on one
   * listening socket (the default: less resident memory than a cluster); `cluster` =
   * node:cluster processes, where a worker that dies is replaced in place.
   */
  workerMode: 'threads' | 'cluster';
  bodyLimitBytes: number;
  /** Most rows a JSON batch may hold (CSV batches are streamed and unbounded). */
  maxBatchRows: number;
  unknownFields: UnknownFieldsPolicy;
  /** Accepted API keys; empty = no authentication. */
  apiKeys: string[];
  /** Require the API key for /metrics too. */
  metricsAuth: boolean;
  logLevel: string;
  /** Log request bodies (applicant data). Off by default: logs are not a place for personal data. */
  logPayloads: boolean;
  /**
   * Sampled scoring log for drift monitoring (`mlops drift --current FILE.jsonl`); off
   * unless a path (or `postgres:TABLE`, connection from DATABASE_URL / PG*) is set. It holds
   * applicants' features: see docs/monitoring.md.
   */
  scoringLog: { path: string | null; rate: number; maxPerMinute: number };
  /** Time allowed to receive a whole request. */
  requestTimeoutMs: number;
  /** Time allowed for in-flight requests to finish after SIGTERM. */
  shutdownTimeoutMs: number;
  /**
   * How far (percent) the old generation may grow past its live size before V8 collects
   * it again; 0 = V8's own adaptive growth (service/runtime/heap.ts).
   */
  heapGrowthPercent: number;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function defaultOptions(root: string): ServiceOptions {
  return {
    modelPath: null,
    modelVersion: null,
    root,
    modelName: null,
    host: '0.0.0.0',
    port: 8080,
    workers: 1,
    workerMode: 'threads',
    bodyLimitBytes: DEFAULT_BODY_LIMIT,
    maxBatchRows: 10_000,
    unknownFields: 'reject',
    apiKeys: [],
    metricsAuth: false,
    logLevel: 'info',
    logPayloads: false,
    scoringLog: { path: null, rate: 0.05, maxPerMinute: 600 },
    requestTimeoutMs: 30_000,
    shutdownTimeoutMs: 10_000,
    heapGrowthPercent: 20,
  };
}

type Env = Record<string, string | undefined>;

/** Settings from the environment, over the defaults. */
export function optionsFromEnv(env: Env, root: string): ServiceOptions {
  const o = defaultOptions(root);
  const str = (k: string): string | undefined =>
    env[k] !== undefined && env[k]!.trim() !== '' ? env[k]!.trim() : undefined;
  o.modelPath = str('MODEL_PATH') ?? null;
  o.modelVersion = intVar(env, 'MODEL_VERSION', null, 1);
  o.root = str('MLOPS_ROOT') ?? root;
  o.modelName = str('MODEL_NAME') ?? null;
  o.host = str('HOST') ?? o.host;
  o.port = intVar(env, 'PORT', o.port, 0, 65535)!;
  o.workers = workersVar(str('WORKERS'));
  const mode = str('WORKER_MODE') ?? o.workerMode;
  if (mode !== 'threads' && mode !== 'cluster')
    throw configError(`WORKER_MODE must be "threads" or "cluster", got ${JSON.stringify(mode)}`);
  o.workerMode = mode;
  o.bodyLimitBytes = intVar(env, 'BODY_LIMIT_BYTES', o.bodyLimitBytes, 1024)!;
  o.maxBatchRows = intVar(env, 'MAX_BATCH_ROWS', o.maxBatchRows, 1)!;
  const uf = str('UNKNOWN_FIELDS') ?? o.unknownFields;
  if (uf !== 'reject' && uf !== 'ignore')
    throw configError(`UNKNOWN_FIELDS must be "reject" or "ignore", got ${JSON.stringify(uf)}`);
  o.unknownFields = uf;
  o.apiKeys = apiKeysFrom(str('API_KEYS'), str('API_KEYS_FILE'));
  o.metricsAuth = boolVar(env, 'METRICS_AUTH', o.metricsAuth);
  o.logLevel = str('LOG_LEVEL') ?? o.logLevel;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(o.logLevel)) {
    throw configError(
      `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got ${JSON.stringify(o.logLevel)}`,
    );
  }
  o.logPayloads = boolVar(env, 'LOG_PAYLOADS', o.logPayloads);
  o.scoringLog = {
    path: str('SCORING_LOG') ?? null,
    rate: rateVar(env, 'SCORING_LOG_RATE', o.scoringLog.rate),
    maxPerMinute: intVar(env, 'SCORING_LOG_MAX_PER_MINUTE', o.scoringLog.maxPerMinute, 1)!,
  };
  o.requestTimeoutMs = intVar(env, 'REQUEST_TIMEOUT_MS', o.requestTimeoutMs, 100)!;
  o.shutdownTimeoutMs = intVar(env, 'SHUTDOWN_TIMEOUT_MS', o.shutdownTimeoutMs, 0)!;
  o.heapGrowthPercent = intVar(env, 'HEAP_GROWTH_PERCENT', o.heapGrowthPercent, 0, 1000)!;
  return o;
}

function intVar(
  env: Env,
  key: string,
  fallback: number | null,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | null {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw configError(`${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function rateVar(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw configError(`${key} must be a share from 0 to 1, got ${JSON.stringify(raw)}`);
  return n;
}

function boolVar(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw configError(`${key} must be true or false, got ${JSON.stringify(env[key])}`);
}

/** `auto` = one worker per CPU core. */
function workersVar(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw configError(`WORKERS must be "auto" or an integer from 1 to 64, got ${JSON.stringify(raw)}`);
  return n;
}

/** Keys from API_KEYS (comma-separated) and API_KEYS_FILE (one per line, # comments). */
export function apiKeysFrom(list: string | undefined, file: string | undefined): string[] {
  const keys: string[] = [];
  if (list) for (const k of list.split(',')) keys.push(k);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw configError(`API_KEYS_FILE ${file} cannot be read: ${(e as Error).message}`);
    }
    for (const line of text.split(/\r?\n/)) if (!line.trim().startsWith('#')) keys.push(line);
  }
  const out = keys.map((k) => k.trim()).filter((k) => k.length > 0);
  const short = out.find((k) => k.length < 16);
  if (short !== undefined) throw configError(`API keys must be at least 16 characters (one is ${short.length})`);
  return [...new Set(out)];
}
