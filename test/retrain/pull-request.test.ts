import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getOctokit } from '@actions/github';
import { upsertPullRequest } from '../../actions/retrain/pull-request.ts';

/** A pulls API that answers with the given status per method, recording what it was asked. */
async function double(
  status: Record<string, number>,
  open: { number: number; head: { ref: string } }[],
): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      const code = status[req.method ?? ''] ?? 200;
      res.writeHead(code, { 'content-type': 'application/json' });
      if (code >= 400)
        return res.end(
          JSON.stringify({ message: code === 403 ? 'Resource not accessible by integration' : 'Server error' }),
        );
      if (req.method === 'GET') return res.end(JSON.stringify(open));
      res.end(
        JSON.stringify({
          number: req.method === 'POST' ? 7 : open[0].number,
          html_url: 'https://github.example/acme/credit/pull/7',
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

let server: Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

const PR = { owner: 'acme', repo: 'credit', head: 'mlops/retrain', base: 'main', title: 't', body: 'b' };

describe('the retraining pull request', () => {
  it('updates the open pull request from the branch instead of opening another', async () => {
    const d = await double({}, [{ number: 3, head: { ref: 'mlops/retrain' } }]);
    server = d.server;
    const r = await upsertPullRequest(getOctokit('t', { baseUrl: d.url }), PR);
    expect(r).toEqual({ action: 'updated', number: 3, url: 'https://github.example/acme/credit/pull/7' });
    expect(d.seen).toEqual([
      'GET /repos/acme/credit/pulls?head=acme%3Amlops%2Fretrain&base=main&state=open&per_page=10',
      'PATCH /repos/acme/credit/pulls/3',
    ]);
  });

  it('a 403 names the permission the job lacks', async () => {
    const d = await double({ POST: 403 }, []);
    server = d.server;
    await expect(upsertPullRequest(getOctokit('t', { baseUrl: d.url }), PR)).rejects.toThrow(
      /open a pull request from mlops\/retrain into main \(HTTP 403.*lacks the `pull-requests: write` permission/,
    );
  });
});
