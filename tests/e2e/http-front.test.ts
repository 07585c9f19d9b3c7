// The Streamable HTTP front's own checks, with raw requests beside a live SDK session: malformed JSON and
// invalid JSON-RPC get JSON-RPC errors and leave the session working; DNS-rebinding protection (Host,
// Origin) answers 403; with auth configured, a missing or wrong bearer token answers 401 and a session
// belongs to the principal that opened it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type AgentwallServe } from '../helpers/agentwall.js';
import { connectHttp, type HttpClient } from '../helpers/clients.js';
import { mcpHeaders, messagesOf, rawRequest } from '../helpers/raw-http.js';
import { rejectionOf, textOf } from '../helpers/results.js';
import { everythingServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { covers } from './requirements.js';

const MAX_BODY_BYTES = 64 * 1024;

interface RpcError {
  jsonrpc: string;
  id: unknown;
  error: { code: number; message: string };
}

function rpcErrorOf(body: string): RpcError {
  return JSON.parse(body) as RpcError;
}

describe('HTTP front: malformed input, Host and Origin checks', () => {
  let tmp: TempDir;
  let serve: AgentwallServe;
  let session: HttpClient;

  beforeAll(async () => {
    tmp = await makeTempDir();
    serve = await startServe({
      dir: tmp.path,
      config: { servers: { everything: everythingServer() }, http: { max_body_bytes: MAX_BODY_BYTES } },
    });
    session = await connectHttp(serve.mcpUrl);
  });

  afterAll(async () => {
    await session?.close();
    await serve?.stop();
    await tmp?.remove();
  });

  /** POSTs to /mcp on the SDK client's session, or on `sessionId` (`null`: without a session). */
  const post = (body: string, sessionId: string | null = session.sessionId) =>
    rawRequest(serve.url, { headers: mcpHeaders(sessionId ?? undefined), body });

  async function expectSessionWorks(): Promise<void> {
    const echo = await session.client.callTool({ name: 'echo', arguments: { message: 'still working' } });
    expect(textOf(echo)).toBe('Echo: still working');
  }

  it('answers GET /healthz', async () => {
    covers('front.http');
    const res = await rawRequest(serve.url, { method: 'GET', path: '/healthz' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', sessions: 1 });
  });

  it('serves a well-formed raw request on the SDK session (the raw requests below are otherwise right)', async () => {
    covers('front.http', 'naming.single');
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 'raw-1', method: 'tools/list' }));
    expect(res.status).toBe(200);
    const reply = messagesOf(res).find((m) => (m as { id?: unknown }).id === 'raw-1') as {
      result: { tools: { name: string }[] };
    };
    expect(reply.result.tools.map((t) => t.name)).toContain('echo');
  });

  it('answers malformed JSON with 400 / -32700, and the session keeps working', async () => {
    covers('http.malformed');
    const res = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"');
    expect(res.status).toBe(400);
    expect(rpcErrorOf(res.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    await expectSessionWorks();
  });

  it.each([
    ['a wrong jsonrpc version', { jsonrpc: '1.0', id: 7, method: 'tools/list' }, 7],
    ['an object id', { jsonrpc: '2.0', id: { a: 1 }, method: 'tools/list' }, null],
    ['a non-string method', { jsonrpc: '2.0', id: 8, method: 42 }, 8],
    ['scalar params', { jsonrpc: '2.0', id: 9, method: 'tools/list', params: 3 }, 9],
    ['neither request nor response', { jsonrpc: '2.0', id: 10 }, 10],
    ['an empty batch', [], null],
    ['a bare string', 'hello', null],
  ])(
    'answers invalid JSON-RPC (%s) with 400 / -32600, and the session keeps working',
    async (_, body, id) => {
      covers('http.invalid');
      const res = await post(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(rpcErrorOf(res.body)).toMatchObject({ jsonrpc: '2.0', id, error: { code: -32600 } });
      await expectSessionWorks();
    },
  );

  it('answers a body over http.max_body_bytes with 413, and the session keeps working', async () => {
    covers('http.body-limit');
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 11,
      method: 'tools/call',
      params: { name: 'echo', arguments: { message: 'x'.repeat(MAX_BODY_BYTES) } },
    });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(rpcErrorOf(res.body).error.code).toBe(-32600);
    await expectSessionWorks();
  });

  it('answers an unknown session id with 404, and a non-initialize request without a session with 400', async () => {
    covers('http.sessions');
    const unknown = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 12, method: 'tools/list' }),
      'no-such-session',
    );
    expect(unknown.status).toBe(404);
    const noSession = await post(JSON.stringify({ jsonrpc: '2.0', id: 13, method: 'tools/list' }), null);
    expect(noSession.status).toBe(400);
    expect(rpcErrorOf(noSession.body)).toMatchObject({ id: 13, error: { code: -32000 } });
  });

  it('refuses a Host header that is not the listen address with 403 (DNS rebinding)', async () => {
    covers('http.host-origin');
    const evil = await rawRequest(serve.url, {
      method: 'GET',
      path: '/healthz',
      headers: { host: `evil.example:${serve.port}` },
    });
    expect(evil.status).toBe(403);
    expect(rpcErrorOf(evil.body).error.message).toContain('evil.example');

    const onMcp = await rawRequest(serve.url, {
      headers: { ...mcpHeaders(session.sessionId), host: 'evil.example' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 14, method: 'tools/list' }),
    });
    expect(onMcp.status).toBe(403);

    const localhost = await rawRequest(serve.url, {
      method: 'GET',
      path: '/healthz',
      headers: { host: `localhost:${serve.port}` },
    });
    expect(localhost.status).toBe(200);
  });

  it('refuses a foreign Origin with 403 and accepts a loopback one', async () => {
    covers('http.host-origin');
    const body = JSON.stringify({ jsonrpc: '2.0', id: 15, method: 'tools/list' });
    const foreign = await rawRequest(serve.url, {
      headers: mcpHeaders(session.sessionId, { origin: 'https://evil.example' }),
      body,
    });
    expect(foreign.status).toBe(403);
    const local = await rawRequest(serve.url, {
      headers: mcpHeaders(session.sessionId, { origin: `http://localhost:${serve.port}` }),
      body,
    });
    expect(local.status).toBe(200);
  });

  it('keeps sessions apart, and DELETE ends one session only', async () => {
    covers('http.sessions');
    const other = await connectHttp(serve.mcpUrl);
    try {
      expect(other.sessionId).not.toBe(session.sessionId);
      const echo = await other.client.callTool({ name: 'echo', arguments: { message: 'second' } });
      expect(textOf(echo)).toBe('Echo: second');
      expect(await sessionCount()).toBe(2);
    } finally {
      await other.close(); // DELETE /mcp
    }
    expect(await sessionCount()).toBe(1);
    const ended = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 16, method: 'tools/list' }),
      other.sessionId,
    );
    expect(ended.status).toBe(404);
    await expectSessionWorks();
  });

  async function sessionCount(): Promise<number> {
    const res = await rawRequest(serve.url, { method: 'GET', path: '/healthz' });
    return (JSON.parse(res.body) as { sessions: number }).sessions;
  }
});

describe('HTTP front: idle sessions', () => {
  let tmp: TempDir;
  let serve: AgentwallServe;

  beforeAll(async () => {
    tmp = await makeTempDir();
    serve = await startServe({
      dir: tmp.path,
      config: { servers: { everything: everythingServer() }, http: { session_idle_timeout: '1s' } },
    });
  });

  afterAll(async () => {
    await serve?.stop();
    await tmp?.remove();
  });

  it('closes a session idle for longer than http.session_idle_timeout; its id is then unknown', async () => {
    covers('http.sessions');
    const from = serve.stderr.mark();
    const idle = await connectHttp(serve.mcpUrl);
    try {
      await serve.stderr.waitFor((l) => l.includes('closing idle session') && l.includes(idle.sessionId), {
        from,
        what: `agentwall to close idle session ${idle.sessionId}`,
      });
      const res = await rawRequest(serve.url, {
        headers: mcpHeaders(idle.sessionId),
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(res.status).toBe(404);
    } finally {
      await idle.client.close();
    }
  });
});

describe('HTTP front: bearer-token auth', () => {
  const ALICE = 'alice-token-0123456789abcdef';
  const BOB = 'bob-token-0123456789abcdef';
  let tmp: TempDir;
  let serve: AgentwallServe;

  beforeAll(async () => {
    tmp = await makeTempDir();
    serve = await startServe({
      dir: tmp.path,
      config: {
        servers: { everything: everythingServer() },
        auth: {
          tokens: [
            { token_env: 'E2E_ALICE_TOKEN', principal: 'alice', roles: ['dev'] },
            { token_env: 'E2E_BOB_TOKEN', principal: 'bob' },
          ],
        },
      },
      env: { E2E_ALICE_TOKEN: ALICE, E2E_BOB_TOKEN: BOB },
    });
  });

  afterAll(async () => {
    await serve?.stop();
    await tmp?.remove();
  });

  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });

  it('answers a request without a token with 401 and a Bearer challenge', async () => {
    covers('http.auth');
    const res = await rawRequest(serve.url, { headers: mcpHeaders(), body: initialize });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(rpcErrorOf(res.body).error.message).toMatch(/Unauthorized/);
    await expect(connectHttp(serve.mcpUrl)).rejects.toThrow();
  });

  it('answers a wrong token with 401', async () => {
    covers('http.auth');
    const res = await rawRequest(serve.url, {
      headers: mcpHeaders(undefined, { authorization: `Bearer ${ALICE}x` }),
      body: initialize,
    });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('invalid_token');
    const err = await rejectionOf(connectHttp(serve.mcpUrl, { headers: { authorization: 'Bearer wrong' } }));
    expect(err.message).toMatch(/401|Unauthorized/);
  });

  it('serves a client with a valid token, and refuses its session to another principal', async () => {
    covers('http.auth');
    const alice = await connectHttp(serve.mcpUrl, { headers: { authorization: `Bearer ${ALICE}` } });
    try {
      const echo = await alice.client.callTool({ name: 'echo', arguments: { message: 'as alice' } });
      expect(textOf(echo)).toBe('Echo: as alice');
      const asBob = await rawRequest(serve.url, {
        headers: mcpHeaders(alice.sessionId, { authorization: `Bearer ${BOB}` }),
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(asBob.status).toBe(403);
      const noToken = await rawRequest(serve.url, {
        headers: mcpHeaders(alice.sessionId),
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
      });
      expect(noToken.status).toBe(401);
    } finally {
      await alice.close();
    }
  });
});
