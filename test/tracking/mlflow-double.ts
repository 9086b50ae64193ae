/**
 * An MLflow REST double on 127.0.0.1: answers the endpoints our client uses the way an
 * MLflow tracking server does (same paths, payloads and error codes) and records every
 * request. `mode: 'fail'` answers 500 to everything; `mode: 'hang'` never answers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | null;
  authorization: string | null;
}

export interface MlflowDouble {
  url: string;
  requests: RecordedRequest[];
  mode: 'ok' | 'fail' | 'hang';
  close(): Promise<void>;
}

export async function startMlflowDouble(mode: MlflowDouble['mode'] = 'ok'): Promise<MlflowDouble> {
  const experiments = new Map<string, string>();
  const models = new Set<string>();
  const versions: {
    name: string;
    version: string;
    run_id: string;
    source: string;
    tags: { key: string; value: string }[];
  }[] = [];
  let runs = 0;
  const double: MlflowDouble = { url: '', requests: [], mode, close: async () => {} };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const path = u.pathname.replace('/api/2.0/mlflow/', '');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
      double.requests.push({
        method: req.method ?? '',
        path,
        query: Object.fromEntries(u.searchParams),
        body,
        authorization: req.headers.authorization ?? null,
      });
      if (double.mode === 'hang') return;
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (double.mode === 'fail') return send(500, { error_code: 'INTERNAL_ERROR', message: 'boom' });
      const missing = (what: string): void =>
        send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `${what} not found` });
      const key = `${req.method} ${path}`;
      switch (key) {
        case 'GET experiments/get-by-name': {
          const id = experiments.get(u.searchParams.get('experiment_name') ?? '');
          return id
            ? send(200, { experiment: { experiment_id: id, name: u.searchParams.get('experiment_name') } })
            : missing('experiment');
        }
        case 'POST experiments/create': {
          const id = String(experiments.size + 1);
          experiments.set(String(body?.name), id);
          return send(200, { experiment_id: id });
        }
        case 'POST runs/create':
          runs++;
          return send(200, {
            run: { info: { run_id: `run-${runs}`, experiment_id: body?.experiment_id, status: 'RUNNING' } },
          });
        case 'POST runs/log-batch':
        case 'POST runs/update':
        case 'POST registered-models/alias':
          return send(200, {});
        case 'GET registered-models/get':
          return models.has(u.searchParams.get('name') ?? '')
            ? send(200, { registered_model: { name: u.searchParams.get('name') } })
            : missing('registered model');
        case 'POST registered-models/create':
          models.add(String(body?.name));
          return send(200, { registered_model: { name: body?.name } });
        case 'GET model-versions/search':
          return send(200, { model_versions: versions });
        case 'POST model-versions/create': {
          const v = {
            name: String(body?.name),
            version: String(versions.length + 1),
            run_id: String(body?.run_id),
            source: String(body?.source),
            tags: (body?.tags as { key: string; value: string }[]) ?? [],
          };
          versions.push(v);
          return send(200, { model_version: v });
        }
        default:
          return send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: key });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  double.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  double.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return double;
}

/** A port nothing listens on: bind an ephemeral port, then close it. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
