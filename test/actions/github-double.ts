/**
 * A GitHub REST API double on 127.0.0.1 for the actions' integration tests: issue
 * comments (list with `Link` pagination, create, update), pulls (get), workflow runs with
 * their jobs (get) and a run's deployment reviews (GET /actions/runs/{run_id}/approvals, in
 * GitHub's shape: `[{environments: [{id, name, …}], state, user: {login, …}, comment}]`). It keeps
 * state like GitHub does and records every request, so tests assert on what the action
 * really sent. `failWith` makes chosen routes answer like GitHub does when the token
 * lacks a permission.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

export interface Comment {
  id: number;
  body: string;
  user: { login: string; type: string };
  html_url: string;
  created_at: string;
  updated_at: string;
}

export interface Approval {
  environments: { id: number; name: string; url: string; html_url: string; created_at: string; updated_at: string }[];
  state: 'approved' | 'rejected' | 'pending';
  user: { login: string; id: number; type: string };
  comment: string;
}

export interface WorkflowRun {
  id: number;
  head_sha: string;
  status: string;
  conclusion: string | null;
  html_url: string;
  jobs: { name: string; status: string; conclusion: string | null }[];
}

export interface DoubleOptions {
  owner?: string;
  repo?: string;
  /** GitHub caps per_page at 100; a smaller cap forces more pages in tests. */
  maxPerPage?: number;
  /** The login the token acts as (authors of comments the action creates). */
  botLogin?: string;
}

export class GitHubDouble {
  readonly requests: RecordedRequest[] = [];
  readonly comments = new Map<number, Comment[]>();
  readonly pulls = new Map<number, { number: number; head: { sha: string }; state: string }>();
  /** Deployment reviews per workflow run id; a run without any answers `[]`, as GitHub does. */
  readonly approvals = new Map<number, Approval[]>();
  /** Workflow runs by id, with their jobs (GET /actions/runs/{id} and …/jobs). */
  readonly runs = new Map<number, WorkflowRun>();
  /** `METHOD /path-regex` → status; e.g. failWith.set('POST comments', 403). */
  readonly failWith = new Map<string, number>();
  private server: Server | null = null;
  private nextId = 1000;
  readonly owner: string;
  readonly repo: string;
  private readonly maxPerPage: number;
  private readonly botLogin: string;

  constructor(opts: DoubleOptions = {}) {
    this.owner = opts.owner ?? 'acme';
    this.repo = opts.repo ?? 'credit-model';
    this.maxPerPage = opts.maxPerPage ?? 100;
    this.botLogin = opts.botLogin ?? 'github-actions[bot]';
  }

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error('double not started');
    return `http://127.0.0.1:${a.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server!.close(() => ok()));
    this.server = null;
  }

  addComment(issue: number, body: string, login: string, type = 'User'): Comment {
    const id = this.nextId++;
    const now = new Date(Date.UTC(2026, 0, 1, 0, 0, id % 60)).toISOString();
    const c: Comment = {
      id,
      body,
      user: { login, type },
      html_url: `https://github.test/${this.owner}/${this.repo}/pull/${issue}#issuecomment-${id}`,
      created_at: now,
      updated_at: now,
    };
    const list = this.comments.get(issue) ?? [];
    list.push(c);
    this.comments.set(issue, list);
    return c;
  }

  addPull(number: number, headSha: string): void {
    this.pulls.set(number, { number, head: { sha: headSha }, state: 'open' });
  }

  /** One reviewer's review of `environment` in `runId`, as GitHub reports it. */
  addApproval(runId: number, environment: string, login: string, state: Approval['state'], comment = ''): void {
    const at = '2026-01-01T00:00:00Z';
    const env = {
      id: 56780428,
      name: environment,
      url: `https://api.github.test/repos/${this.owner}/${this.repo}/environments/${environment}`,
      html_url: `https://github.test/${this.owner}/${this.repo}/deployments/activity_log?environments_filter=${environment}`,
      created_at: at,
      updated_at: at,
    };
    const list = this.approvals.get(runId) ?? [];
    list.push({ environments: [env], state, user: { login, id: list.length + 1, type: 'User' }, comment });
    this.approvals.set(runId, list);
  }

  requestsMatching(method: string, pathPart: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.includes(pathPart));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      authorization: req.headers.authorization,
    });
    const base = `/repos/${this.owner}/${this.repo}`;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    const route = (m: RegExpMatchArray | null, key: string): boolean => {
      if (!m) return false;
      const status = this.failWith.get(key);
      if (status) {
        // GitHub's answer when GITHUB_TOKEN lacks a permission.
        send(
          status,
          {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest',
            status: String(status),
          },
          {
            'x-accepted-github-permissions': 'pull_requests=write; issues=write',
          },
        );
        return true;
      }
      return false;
    };
    if (!req.headers.authorization) return send(401, { message: 'Requires authentication' });

    let m = url.pathname.match(new RegExp(`^${base}/issues/(\\d+)/comments$`));
    if (m && method === 'GET') {
      if (route(m, 'GET comments')) return;
      const list = this.comments.get(Number(m[1])) ?? [];
      const perPage = Math.min(this.maxPerPage, Number(url.searchParams.get('per_page') ?? 30));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const last = Math.max(1, Math.ceil(list.length / perPage));
      const link = (p: number): string => `<${this.url}${url.pathname}?per_page=${perPage}&page=${p}>`;
      const links: string[] = [];
      if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
      if (page > 1) links.push(`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`);
      return send(
        200,
        list.slice((page - 1) * perPage, page * perPage),
        links.length ? { link: links.join(', ') } : {},
      );
    }
    if (m && method === 'POST') {
      if (route(m, 'POST comments')) return;
      const b = body as { body?: string };
      if (typeof b?.body !== 'string') return send(422, { message: 'Validation Failed' });
      return send(201, this.addComment(Number(m[1]), b.body, this.botLogin, 'Bot'));
    }
    m = url.pathname.match(new RegExp(`^${base}/issues/comments/(\\d+)$`));
    if (m && method === 'PATCH') {
      if (route(m, 'PATCH comments')) return;
      const id = Number(m[1]);
      for (const list of this.comments.values()) {
        const c = list.find((x) => x.id === id);
        if (c) {
          c.body = (body as { body: string }).body;
          c.updated_at = new Date().toISOString();
          return send(200, c);
        }
      }
      return send(404, { message: 'Not Found' });
    }
    m = url.pathname.match(new RegExp(`^${base}/actions/runs/(\\d+)(/jobs)?$`));
    if (m && method === 'GET') {
      if (route(m, 'GET run')) return;
      const run = this.runs.get(Number(m[1]));
      if (!run) return send(404, { message: 'Not Found' });
      const { jobs, ...rest } = run;
      return send(200, m[2] ? { total_count: jobs.length, jobs } : rest);
    }
    m = url.pathname.match(new RegExp(`^${base}/pulls/(\\d+)$`));
    if (m && method === 'GET') {
      if (route(m, 'GET pull')) return;
      const p = this.pulls.get(Number(m[1]));
      return p ? send(200, p) : send(404, { message: 'Not Found' });
    }
    m = url.pathname.match(new RegExp(`^${base}/actions/runs/(\\d+)/approvals$`));
    if (m && method === 'GET') {
      if (route(m, 'GET approvals')) return;
      return send(200, this.approvals.get(Number(m[1])) ?? []);
    }
    send(404, { message: `Not Found: ${method} ${url.pathname}` });
  }
}
