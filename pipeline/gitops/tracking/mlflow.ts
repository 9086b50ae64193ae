/**
 * A small MLflow client over its REST API 2.0, enough to mirror our runs and registry:
 * experiments (get-by-name, create), runs (create, log-batch, update) and the model
 * registry (registered-models get/create, model-versions search/create, alias). It
 * talks to an http(s) tracking server with Node's fetch and a timeout per request, and
 * authenticates the way MLflow's own client does: MLFLOW_TRACKING_TOKEN (bearer) or
 * MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (basic).
 *
 * This module throws on failure; callers that must never fail training use the safe
 * wrappers in track.ts.
 */
import { configError, MlopsError, type MlopsConfig, type MetricsFile } from '../../core/index.ts';
import type { TrackedRecord } from './record.ts';

export interface MlflowSettings {
  /** Base URL without credentials or trailing slash, e.g. http://127.0.0.1:5000. */
  trackingUri: string;
  experiment: string;
  registeredModel: string;
  timeoutMs: number;
  auth: { kind: 'bearer'; token: string } | { kind: 'basic'; user: string; password: string } | null;
}

/**
 * Settings from the environment (as MLflow reads them) over the config, or null when
 * MLflow logging is off: no tracking URI anywhere, or `tracking.mlflow.enabled: false`.
 */
export function mlflowSettings(config: MlopsConfig, env: NodeJS.ProcessEnv = process.env): MlflowSettings | null {
  const section = config.tracking?.mlflow;
  if (section?.enabled === false) return null;
  const raw = (env.MLFLOW_TRACKING_URI || section?.tracking_uri || '').trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(
      `MLflow tracking URI ${JSON.stringify(raw)} is not a URL; set MLFLOW_TRACKING_URI or tracking.mlflow.tracking_uri to http(s)://host:port`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(
      `MLflow tracking URI ${JSON.stringify(raw)}: only http(s) tracking servers are supported (not ${url.protocol.replace(':', '')} stores)`,
    );
  }
  let auth: MlflowSettings['auth'] = null;
  if (env.MLFLOW_TRACKING_TOKEN) auth = { kind: 'bearer', token: env.MLFLOW_TRACKING_TOKEN };
  else if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD) {
    auth = { kind: 'basic', user: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD };
  } else if (url.username) {
    // fetch refuses URLs with credentials: move them into the header.
    auth = { kind: 'basic', user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  url.username = '';
  url.password = '';
  return {
    trackingUri: url.toString().replace(/\/+$/, ''),
    experiment: env.MLFLOW_EXPERIMENT_NAME || section?.experiment || config.model_name,
    registeredModel: section?.registered_model || config.model_name,
    timeoutMs: section?.timeout_ms ?? 5000,
    auth,
  };
}

/** An MLflow API failure: HTTP status and MLflow's error_code when the server answered. */
export class MlflowError extends MlopsError {
  readonly status: number | null;
  readonly errorCode: string | null;
  constructor(message: string, status: number | null, errorCode: string | null) {
    super('state', message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

const notFound = (e: unknown): boolean =>
  e instanceof MlflowError && (e.status === 404 || e.errorCode === 'RESOURCE_DOES_NOT_EXIST');
const alreadyExists = (e: unknown): boolean => e instanceof MlflowError && e.errorCode === 'RESOURCE_ALREADY_EXISTS';

export interface KeyValue {
  key: string;
  value: string;
}
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

// MLflow's LogBatch limits: 1000 entities per request, at most 100 params and 100 tags.
const MAX_METRICS = 1000;
const MAX_PARAMS = 100;
const MAX_TAGS = 100;
const MAX_PARAM_LENGTH = 500;
const MAX_TAG_LENGTH = 5000;

export class MlflowClient {
  readonly settings: MlflowSettings;
  private readonly fetchImpl: typeof fetch;

  constructor(settings: MlflowSettings, fetchImpl: typeof fetch = fetch) {
    this.settings = settings;
    this.fetchImpl = fetchImpl;
  }

  private async call<T>(method: 'GET' | 'POST', endpoint: string, payload: Record<string, unknown> = {}): Promise<T> {
    let url = `${this.settings.trackingUri}/api/2.0/mlflow/${endpoint}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const a = this.settings.auth;
    if (a?.kind === 'bearer') headers.authorization = `Bearer ${a.token}`;
    if (a?.kind === 'basic')
      headers.authorization = `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;
    let body: string | undefined;
    if (method === 'GET') {
      const q = new URLSearchParams(Object.entries(payload).map(([k, v]): [string, string] => [k, String(v)]));
      if ([...q].length) url += `?${q}`;
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(payload);
    }
    const where = `${method} ${url.replace(/\?.*$/, '')}`;
    let res: Response;
    // A GET whose kept-alive socket the server (or a proxy in front of it) closed meanwhile is
    // asked once more on a fresh connection: it changes nothing, so repeating it is safe.
    for (let attempt = 1; ; attempt++) {
      try {
        res = await this.fetchImpl(url, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(this.settings.timeoutMs),
        });
        break;
      } catch (e) {
        const code = (e as { cause?: { code?: string } }).cause?.code;
        if (method === 'GET' && attempt === 1 && (code === 'ECONNRESET' || code === 'EPIPE')) continue;
        throw this.networkError(where, e);
      }
    }
    const text = await res.text().catch(() => '');
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = {};
    }
    if (!res.ok) {
      const code = typeof json.error_code === 'string' ? json.error_code : null;
      const msg = typeof json.message === 'string' ? json.message : text.slice(0, 200);
      throw new MlflowError(
        `${where}: HTTP ${res.status}${code ? ` ${code}` : ''}${msg ? `: ${msg}` : ''}`,
        res.status,
        code,
      );
    }
    return json as T;
  }

  /** A failed request as one line: where, and the timeout or the network's error code. */
  private networkError(where: string, e: unknown): MlflowError {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError' || err.name === 'AbortError'
        ? `no answer within ${this.settings.timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    return new MlflowError(`${where}: ${why}`, null, null);
  }

  async getExperimentByName(name: string): Promise<string | null> {
    try {
      const r = await this.call<{ experiment?: { experiment_id?: string } }>('GET', 'experiments/get-by-name', {
        experiment_name: name,
      });
      return r.experiment?.experiment_id ?? null;
    } catch (e) {
      if (notFound(e)) return null;
      throw e;
    }
  }

  async createExperiment(name: string): Promise<string> {
    const r = await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name });
    return String(r.experiment_id);
  }

  /** The experiment's id, creating it when missing (and tolerating a concurrent creator). */
  async ensureExperiment(name: string): Promise<string> {
    const id = await this.getExperimentByName(name);
    if (id) return id;
    try {
      return await this.createExperiment(name);
    } catch (e) {
      if (!alreadyExists(e)) throw e;
      const again = await this.getExperimentByName(name);
      if (!again) throw e;
      return again;
    }
  }

  async createRun(experimentId: string, runName: string, startTime: number): Promise<string> {
    const r = await this.call<{ run?: { info?: { run_id?: string; run_uuid?: string } } }>('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: runName,
      start_time: startTime,
    });
    const id = r.run?.info?.run_id ?? r.run?.info?.run_uuid;
    if (!id) throw new MlflowError('POST runs/create: the answer holds no run id', 200, null);
    return id;
  }

  /** Logs in as few requests as MLflow's batch limits allow. */
  async logBatch(runId: string, metrics: Metric[], params: KeyValue[], tags: KeyValue[]): Promise<void> {
    let [m, p, t] = [metrics, params, tags];
    do {
      const room = MAX_METRICS;
      const ps = p.slice(0, MAX_PARAMS);
      const ts = t.slice(0, Math.min(MAX_TAGS, room - ps.length));
      const ms = m.slice(0, room - ps.length - ts.length);
      await this.call('POST', 'runs/log-batch', { run_id: runId, metrics: ms, params: ps, tags: ts });
      [m, p, t] = [m.slice(ms.length), p.slice(ps.length), t.slice(ts.length)];
    } while (m.length || p.length || t.length);
  }

  async updateRun(runId: string, status: 'FINISHED' | 'FAILED' | 'KILLED', endTime: number): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: endTime });
  }

  async ensureRegisteredModel(name: string, description: string): Promise<void> {
    try {
      await this.call('GET', 'registered-models/get', { name });
      return;
    } catch (e) {
      if (!notFound(e)) throw e;
    }
    try {
      await this.call('POST', 'registered-models/create', { name, description });
    } catch (e) {
      if (!alreadyExists(e)) throw e;
    }
  }

  async searchModelVersions(name: string): Promise<{ version: string; tags: KeyValue[] }[]> {
    const r = await this.call<{ model_versions?: { version: string; tags?: KeyValue[] }[] }>(
      'GET',
      'model-versions/search',
      {
        filter: `name='${name.replace(/'/g, "\\'")}'`,
        max_results: 1000,
      },
    );
    return (r.model_versions ?? []).map((v) => ({ version: String(v.version), tags: v.tags ?? [] }));
  }

  async createModelVersion(
    name: string,
    source: string,
    runId: string,
    tags: KeyValue[],
    description: string,
  ): Promise<string> {
    const r = await this.call<{ model_version?: { version?: string } }>('POST', 'model-versions/create', {
      name,
      source,
      run_id: runId,
      tags,
      description,
    });
    if (!r.model_version?.version)
      throw new MlflowError('POST model-versions/create: the answer holds no version', 200, null);
    return String(r.model_version.version);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version });
  }
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** What an MLflow run of ours carries: params, metrics and tags derived from the record. */
export function runPayload(
  record: TrackedRecord,
  metricsFile: MetricsFile | null,
): { params: KeyValue[]; metrics: Metric[]; tags: KeyValue[]; start: number; end: number } {
  const end = Date.parse(record.created_at);
  const total = typeof record.timings?.total_s === 'number' ? record.timings.total_s : 0;
  const start = Math.round(end - total * 1000);
  const params: KeyValue[] = [];
  const addParam = (key: string, value: unknown): void => {
    if (value !== undefined && value !== null) params.push({ key, value: clip(String(value), MAX_PARAM_LENGTH) });
  };
  addParam('engine', record.model?.engine);
  for (const [k, v] of Object.entries(record.model?.params ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) addParam(k, v);
  addParam('seed', record.seed);
  const c = record.tracking?.config;
  if (c) {
    addParam('data.target', c.data.target);
    addParam('data.positive', c.data.positive);
    addParam('split', `${c.split.train}/${c.split.validation}/${c.split.test}`);
    addParam('costs.false_negative', c.costs.false_negative);
    addParam('costs.false_positive', c.costs.false_positive);
  }
  const metrics: Metric[] = [];
  const addMetric = (key: string, value: unknown): void => {
    if (typeof value === 'number' && Number.isFinite(value)) metrics.push({ key, value, timestamp: end, step: 0 });
  };
  if (metricsFile && metricsFile.test && typeof metricsFile.test === 'object') {
    for (const [prefix, split] of [
      ['', metricsFile.test],
      ['validation_', metricsFile.validation],
      ['train_', metricsFile.train],
    ] as const) {
      for (const [k, v] of Object.entries(split ?? {})) addMetric(`${prefix}${k}`, v);
    }
    addMetric('overfitting_gap_roc_auc', metricsFile.overfitting?.gap);
  } else if (record.tracking?.metrics) {
    for (const [k, v] of Object.entries(record.tracking.metrics)) addMetric(k, v);
  } else {
    for (const [k, v] of Object.entries(record.headline ?? {})) addMetric(k, v);
  }
  for (const [k, v] of Object.entries(record.timings ?? {})) addMetric(`time_${k}`, v);
  const tags: KeyValue[] = [];
  const addTag = (key: string, value: unknown): void => {
    if (value !== undefined && value !== null && value !== '')
      tags.push({ key, value: clip(String(value), MAX_TAG_LENGTH) });
  };
  const ci = record.tracking?.ci;
  addTag('mlflow.runName', record.id);
  addTag('mlflow.source.name', `mlops ${record.command}`);
  addTag('mlflow.source.type', ci ? 'JOB' : 'LOCAL');
  addTag('mlflow.source.git.commit', record.git?.commit);
  addTag('mlops.run_id', record.id);
  addTag('mlops.command', record.command);
  addTag('mlops.git.commit', record.git?.commit);
  addTag('mlops.git.dirty', record.git?.dirty);
  addTag('mlops.data.path', record.data?.path);
  addTag('mlops.data.sha256', record.data?.sha256);
  addTag('mlops.data.rows', record.data?.rows);
  addTag('mlops.test_data.sha256', record.test_data?.sha256);
  addTag('mlops.model.name', record.model?.name);
  addTag('mlops.model.digest', record.model?.digest);
  addTag('mlops.metrics_split', record.tracking?.metrics_split ?? 'test');
  if (record.tracking?.trial) {
    addTag('mlops.tune.study', record.tracking.trial.study);
    addTag('mlops.tune.trial', record.tracking.trial.index);
  }
  addTag('mlops.ci.run_url', ci?.run_url);
  return { params, metrics, tags, start, end };
}

/**
 * Logs one run: experiment (get or create), runs/create, runs/log-batch, runs/update
 * FINISHED. Returns MLflow's ids.
 */
export async function logRun(
  client: MlflowClient,
  record: TrackedRecord,
  metricsFile: MetricsFile | null,
): Promise<{ experiment_id: string; run_id: string }> {
  const experimentId = await client.ensureExperiment(client.settings.experiment);
  const p = runPayload(record, metricsFile);
  const runId = await client.createRun(experimentId, record.id, p.start);
  await client.logBatch(runId, p.metrics, p.params, p.tags);
  await client.updateRun(runId, 'FINISHED', p.end);
  return { experiment_id: experimentId, run_id: runId };
}

export interface MirrorInput {
  /** Our registry version number (MLflow numbers its versions itself). */
  version: number;
  digest: string;
  /** The MLflow run the version came from; the version's source is `runs:/<id>/model`. */
  mlflowRunId: string;
  alias?: string | null;
  description?: string;
}

/**
 * Mirrors a registry version as an MLflow model version and points the alias at it.
 * Idempotent: a version already mirrored (same model digest tag) is reused.
 */
export async function mirrorVersion(
  client: MlflowClient,
  input: MirrorInput,
): Promise<{ name: string; version: string }> {
  const name = client.settings.registeredModel;
  await client.ensureRegisteredModel(name, 'Mirrored from the git-native model registry (models/registry.json).');
  const existing = (await client.searchModelVersions(name)).find((v) =>
    v.tags.some((t) => t.key === 'mlops.model.digest' && t.value === input.digest),
  );
  const version =
    existing?.version ??
    (await client.createModelVersion(
      name,
      `runs:/${input.mlflowRunId}/model`,
      input.mlflowRunId,
      [
        { key: 'mlops.registry_version', value: `v${input.version}` },
        { key: 'mlops.model.digest', value: input.digest },
      ],
      input.description ?? `${name} v${input.version} from the git registry`,
    ));
  if (input.alias) await client.setAlias(name, input.alias, version);
  return { name, version };
}
