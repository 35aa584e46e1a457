// The API client against a real HTTP server on loopback (node:http), answering
// as the registry does: JSON bodies, {"error", "code"} on failure.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, ApiError, errorFrom } from './api';

let server: Server;
let api: Api;
const seen: string[] = [];
/** method, path, Authorization, Content-Type and body of every request */
const calls: string[][] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    seen.push(req.url ?? '');
    let body = '';
    for await (const chunk of req) body += chunk;
    calls.push([req.method ?? '', req.url ?? '', req.headers.authorization ?? '', req.headers['content-type'] ?? '', body]);
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    if (req.url === '/config') send(200, '{"max_upload_bytes":1048576,"task_id_max":64,"targets":["resources"],"token_required":false}');
    else if (req.url?.startsWith('/models/by-hash/')) send(404, '{"error":"no route for ' + req.url + '","code":"not_found"}');
    else if (req.url === '/models/broken') send(200, 'not json');
    else if (req.url === '/models/plain') { res.writeHead(502); res.end('<html>bad gateway</html>'); }
    else send(404, '{"error":"task x has no version","code":"not_found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  api = new Api(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Api', () => {
  it('reads JSON answers', async () => {
    expect((await api.config()).max_upload_bytes).toBe(1048576);
  });
  it('carries the server message, status and code of a failure', async () => {
    const e = await api.status('x', 2).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.message).toBe('task x has no version');
    expect(e.status).toBe(404);
    expect(e.code).toBe('not_found');
  });
  it('names the path and status when the body is not the server error JSON', async () => {
    const e = await api.task('plain').catch((x) => x);
    expect(e.message).toBe('/models/plain: HTTP 502');
    const j = await api.task('broken').catch((x) => x);
    expect(j.message).toBe('/models/broken: the answer is not JSON');
  });
  it('encodes path segments and asks for the right routes', async () => {
    seen.length = 0;
    await api.artifacts('a b', 3).catch(() => {});
    await api.byHash('ab'.repeat(32)).catch(() => {});
    await api.onchain('t').catch(() => {});
    await api.leaderboard('t/x').catch(() => {});
    expect(seen).toEqual(['/models/a%20b/artifacts?version=3', `/models/by-hash/${'ab'.repeat(32)}/onchain`, '/models/t/versions/onchain',
      '/models/t%2Fx/leaderboard']);
    expect(api.artifactPath('t', 1, 'proof.json')).toBe('/models/t/artifacts/proof.json?version=1');
  });
  it('sends the ceremony requests with the token only where the server asks for it', async () => {
    calls.length = 0;
    const e = await api.contribute('t', 2, new Blob(['zkey bytes'])).catch((x) => x);
    expect(e.message).toBe('task x has no version');
    await api.ceremonyZkey('t', 2, 'tok').catch(() => {});
    await api.finalize('t', 2, 'tok', 'ab01').catch(() => {});
    await api.finalize('t', 2, '', '').catch(() => {});
    const c = '/models/t/versions/2/ceremony';
    expect(calls).toEqual([
      ['POST', `${c}/contributions`, '', 'application/octet-stream', 'zkey bytes'],
      ['GET', `${c}/zkey`, 'Bearer tok', '', ''],
      ['POST', `${c}/finalize`, 'Bearer tok', 'application/json', '{"beacon":"ab01"}'],
      ['POST', `${c}/finalize`, '', 'application/json', '']
    ]);
  });
  it('reports an unreachable server as status 0', async () => {
    const dead = new Api('http://127.0.0.1:1');
    const e = await dead.tasks().catch((x) => x);
    expect(e.status).toBe(0);
  });
});

describe('errorFrom', () => {
  it('prefers the server message', () => {
    expect(errorFrom(413, '{"error":"too big","code":"too_large"}', '/models').message).toBe('too big');
  });
});
