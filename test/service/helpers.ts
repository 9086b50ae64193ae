/** A trained logistic model and an in-process service on 127.0.0.1:0, for the service tests. */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { runCli, tempProject } from '../helpers/cli.ts';
import { CreditModel } from '../../pipeline/core/model/credit-model.ts';
import type { RawTable } from '../../pipeline/core/data/table.ts';
import { createApp } from '../../service/http/app.ts';
import { defaultOptions, type ServiceOptions } from '../../service/config.ts';
import { listen, type RunningServer } from '../../service/http/server.ts';
import type { ServiceState } from '../../service/http/state.ts';

export interface TrainedProject {
  dir: string;
  modelPath: string;
  model: CreditModel;
}

export async function trainedProject(): Promise<TrainedProject> {
  const dir = tempProject();
  const r = await runCli(['train', '--engine', 'logistic', '--quiet', '--out', 'runs/svc'], dir);
  if (r.code !== 0) throw new Error(`training failed: ${r.err}`);
  const modelPath = join(dir, 'runs/svc/model.json');
  return { dir, modelPath, model: CreditModel.load(modelPath) };
}

export interface TestServer extends RunningServer {
  state: ServiceState;
  logs: string[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** Starts the app in-process; logs are captured in `logs` (one JSON line each). */
export async function startTestServer(p: TrainedProject, overrides: Partial<ServiceOptions> = {}): Promise<TestServer> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.length > 0) logs.push(l);
      cb();
    },
  });
  const options: ServiceOptions = {
    ...defaultOptions(p.dir),
    modelPath: p.modelPath,
    host: '127.0.0.1',
    port: 0,
    ...overrides,
  };
  const svc = createApp(p.model, { path: p.modelPath, version: 3 }, options, {
    logger: pino({ level: options.logLevel }, sink),
  });
  const running = await listen(svc, '127.0.0.1', 0);
  return {
    ...running,
    state: svc.state,
    logs,
    post: (path, body, headers = {}) =>
      fetch(running.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
  };
}

/** A table's rows as records of their cells (null = missing), as a CSV file gives them. */
export function recordsOf(t: RawTable): Record<string, string | null>[] {
  return Array.from({ length: t.rows }, (_, i) =>
    Object.fromEntries(t.header.map((h) => [h, t.columns.get(h)!.get(i)])),
  );
}

/** Applicants from the embedded test split, typed as JSON (numbers, strings, null). */
export function applicants(
  model: CreditModel,
  rows: Record<string, string | null>[],
): Record<string, number | string | null>[] {
  return rows.map((r) => {
    const rec: Record<string, number | string | null> = {};
    for (const f of model.bundle.schema.features) {
      const v = r[f.name];
      rec[f.name] = v === null || v === undefined ? null : f.kind === 'numeric' ? Number(v) : v;
    }
    return rec;
  });
}

export const APPLICANT = {
  Seniority: 9,
  Home: 'rent',
  Time: 60,
  Age: 30,
  Marital: 'married',
  Records: 'no',
  Job: 'freelance',
  Expenses: 73,
  Income: 129,
  Assets: 0,
  Debt: 0,
  Amount: 800,
  Price: 846,
};
