/**
 * The Open Inference Protocol (KServe v2), so the image works behind KServe, Seldon or
 * Triton-style clients. Each feature is one input tensor of shape [N] (or [N, 1]):
 * FP32/FP64/INT* for numeric features, BYTES for categorical ones; missing values are
 * null. Outputs: `probability` (FP64) and `decision` (BYTES). Errors use the protocol's
 * shape, `{"error": "<message>"}`, with the service's error fields beside it.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { ServiceState } from '../state.ts';
import { parseJson, readBody, requireKind } from '../body.ts';
import { HttpError } from '../http-error.ts';
import { projectVersion } from '../../../pipeline/core/index.ts';
import { setField } from '../../scoring/scoring.ts';

const NUMERIC_TYPES = new Set([
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
]);

interface Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

class ProtocolError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function v2Router(s: ServiceState): Router {
  const r = new Router();
  const name = s.model.bundle.name;
  const version = String(s.source.version ?? s.model.bundle.digest.slice(7, 19));
  for (const p of ['/v2/health/live', '/v2/health/ready']) s.publicPaths.add(p);

  // Errors in the protocol's shape ({"error": ...}), which is also the service's own shape
  // with `error` added, so KServe clients and ours read the same answer.
  const handle = (fn: (ctx: Context) => Promise<void> | void) => async (ctx: Context) => {
    try {
      await fn(ctx);
    } catch (e) {
      const status = e instanceof ProtocolError ? e.status : e instanceof HttpError ? e.status : null;
      if (status === null || status >= 500) throw e;
      const message =
        e instanceof HttpError && e.errors?.length
          ? `${e.message}: ${e.errors.map((f) => f.message).join('; ')}`
          : (e as Error).message;
      ctx.status = status;
      ctx.body = {
        error: message,
        error_code:
          e instanceof HttpError
            ? e.code
            : status === 404
              ? 'NOT_FOUND'
              : status === 413
                ? 'PAYLOAD_TOO_LARGE'
                : 'BAD_REQUEST',
        message,
        status,
        request_id: ctx.state.requestId,
      };
      if (e instanceof HttpError && e.headers) for (const [k, v] of Object.entries(e.headers)) ctx.set(k, v);
    }
  };
  const checkModel = (ctx: Context): void => {
    if (ctx.params.name !== name)
      throw new ProtocolError(404, `model "${ctx.params.name}" is not served here (this server serves "${name}")`);
    if (ctx.params.version !== undefined && ctx.params.version !== version) {
      throw new ProtocolError(
        404,
        `model "${name}" version "${ctx.params.version}" is not served here (serving version "${version}")`,
      );
    }
  };

  r.get('/v2/health/live', (ctx) => {
    ctx.body = { live: true };
  });
  r.get('/v2/health/ready', (ctx) => {
    ctx.status = s.ready ? 200 : 503;
    ctx.body = { ready: s.ready };
  });
  r.get('/v2', (ctx) => {
    ctx.body = { name: 'credit-risk-gitops', version: projectVersion(), extensions: [] };
  });
  const metadata = handle((ctx) => {
    checkModel(ctx);
    ctx.body = {
      name,
      versions: [version],
      platform: 'credit-risk-gitops',
      inputs: s.model.bundle.schema.features.map((f) => ({
        name: f.name,
        datatype: f.kind === 'numeric' ? 'FP64' : 'BYTES',
        shape: [-1],
      })),
      outputs: [
        { name: 'probability', datatype: 'FP64', shape: [-1] },
        { name: 'decision', datatype: 'BYTES', shape: [-1] },
      ],
    };
  });
  const ready = handle((ctx) => {
    checkModel(ctx);
    ctx.status = s.ready ? 200 : 503;
    ctx.body = { name, ready: s.ready };
  });
  const infer = handle(async (ctx) => {
    checkModel(ctx);
    requireKind(ctx.req, ['json']);
    const body = parseJson(await readBody(ctx.req, s.options.bodyLimitBytes));
    const { records, id, wanted } = tensorsToRecords(body, s);
    const { badRows, errors } = s.scorer.check(records);
    if (badRows > 0) {
      throw new ProtocolError(
        400,
        `invalid inputs: ${errors
          .slice(0, 20)
          .map((e) => (e.row !== undefined ? `row ${e.row}: ` : '') + e.message)
          .join('; ')}`,
      );
    }
    const p = s.scorer.probabilities(records);
    const decisions = Array.from(p, (v) => s.model.decision(v));
    for (const d of decisions) s.metrics.countPredictions(d, 1);
    const outputs = [
      { name: 'probability', datatype: 'FP64', shape: [p.length], data: Array.from(p) },
      { name: 'decision', datatype: 'BYTES', shape: [p.length], data: decisions },
    ].filter((o) => wanted === null || wanted.has(o.name));
    ctx.body = { model_name: name, model_version: version, ...(id !== undefined ? { id } : {}), outputs };
  });
  r.get('/v2/models/:name', metadata);
  r.get('/v2/models/:name/versions/:version', metadata);
  r.get('/v2/models/:name/ready', ready);
  r.get('/v2/models/:name/versions/:version/ready', ready);
  r.post('/v2/models/:name/infer', infer);
  r.post('/v2/models/:name/versions/:version/infer', infer);
  return r;
}

/** Checks the request's tensors and turns them into one record per row. */
export function tensorsToRecords(
  body: unknown,
  s: ServiceState,
): { records: Record<string, unknown>[]; id: string | undefined; wanted: Set<string> | null } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ProtocolError(400, 'the request must be a JSON object with an "inputs" array');
  const req = body as { id?: unknown; inputs?: unknown; outputs?: unknown };
  if (req.id !== undefined && typeof req.id !== 'string') throw new ProtocolError(400, '"id" must be a string');
  if (!Array.isArray(req.inputs) || req.inputs.length === 0)
    throw new ProtocolError(400, '"inputs" must be a non-empty array of tensors');
  const features = new Map(s.model.bundle.schema.features.map((f) => [f.name, f]));
  const seen = new Map<string, unknown[]>();
  let rows = -1;
  req.inputs.forEach((t: unknown, i: number) => {
    const where = `inputs[${i}]`;
    if (t === null || typeof t !== 'object') throw new ProtocolError(400, `${where} must be a tensor object`);
    const { name, shape, datatype, data } = t as Partial<Tensor>;
    if (typeof name !== 'string') throw new ProtocolError(400, `${where}.name must be a string`);
    const f = features.get(name);
    if (!f)
      throw new ProtocolError(
        400,
        `${where}: "${name}" is not an input of this model (inputs: ${[...features.keys()].join(', ')})`,
      );
    if (seen.has(name)) throw new ProtocolError(400, `${where}: input "${name}" is given twice`);
    if (
      !Array.isArray(shape) ||
      shape.length === 0 ||
      shape.length > 2 ||
      !shape.every((d) => Number.isInteger(d) && d >= 0)
    ) {
      throw new ProtocolError(
        400,
        `${where} "${name}": shape must be [N] or [N, 1] with whole numbers (got ${JSON.stringify(shape)})`,
      );
    }
    if (shape.length === 2 && shape[1] !== 1)
      throw new ProtocolError(
        400,
        `${where} "${name}": shape must be [N] or [N, 1], one column per feature (got ${JSON.stringify(shape)})`,
      );
    if (typeof datatype !== 'string') throw new ProtocolError(400, `${where} "${name}": datatype must be a string`);
    const expected = f.kind === 'numeric' ? 'a numeric datatype (FP64, FP32, INT64, …)' : 'BYTES';
    if (f.kind === 'numeric' ? !NUMERIC_TYPES.has(datatype) : datatype !== 'BYTES') {
      throw new ProtocolError(
        400,
        `${where} "${name}": datatype ${JSON.stringify(datatype)} does not fit a ${f.kind} feature; use ${expected}`,
      );
    }
    if (!Array.isArray(data)) throw new ProtocolError(400, `${where} "${name}": data must be an array`);
    const flat = data.flat(2);
    const n = shape[0];
    if (flat.length !== n)
      throw new ProtocolError(
        400,
        `${where} "${name}": shape ${JSON.stringify(shape)} holds ${n} values but data has ${flat.length}`,
      );
    if (rows === -1) rows = n;
    else if (n !== rows) throw new ProtocolError(400, `${where} "${name}": ${n} rows, but earlier inputs have ${rows}`);
    seen.set(name, flat);
  });
  const missing = [...features.keys()].filter((k) => !seen.has(k));
  if (missing.length)
    throw new ProtocolError(
      400,
      `missing input tensor${missing.length > 1 ? 's' : ''}: ${missing.join(', ')} (send null values for unknown data)`,
    );
  if (rows > s.options.maxBatchRows)
    throw new ProtocolError(413, `the request has ${rows} rows; the limit is ${s.options.maxBatchRows}`);
  const records: Record<string, unknown>[] = Array.from({ length: rows }, () => ({}));
  for (const [k, values] of seen) for (let i = 0; i < rows; i++) setField(records[i], k, values[i]);
  let wanted: Set<string> | null = null;
  if (req.outputs !== undefined) {
    if (!Array.isArray(req.outputs)) throw new ProtocolError(400, '"outputs" must be an array of {"name": ...}');
    wanted = new Set();
    for (const o of req.outputs as { name?: unknown }[]) {
      if (!o || (o.name !== 'probability' && o.name !== 'decision'))
        throw new ProtocolError(400, `unknown output ${JSON.stringify(o?.name)} (outputs: probability, decision)`);
      wanted.add(o.name);
    }
  }
  return { records, id: req.id as string | undefined, wanted };
}
