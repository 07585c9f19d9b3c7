// Auth on every HTTP surface of a real `agentwall serve` (issue 9): with `auth` configured, /mcp and /v1
// refuse requests without the right bearer token, /admin (and /ui, /metrics when mounted) without the
// admin token; no token, upstream header or API key appears in agentwall's log (pino at debug level);
// the client's Authorization header and headers it forges never reach an upstream HTTP MCP server (MCP
// spec, security best practices: "Token Passthrough" is forbidden), and forged principal/tenant headers
// change nothing: the principal comes from the token alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgentwall, startServe, type AgentwallServe } from '../helpers/agentwall.js';
import { connectHttp } from '../helpers/clients.js';
import { mcpHeaders, rawRequest, type RawResponse } from '../helpers/raw-http.js';
import { textOf } from '../helpers/results.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { startVllmStandin, type VllmStandin } from '../support/vllm-standin.js';
import { startHeaderRecorder, type HeaderRecorder } from './header-recorder.js';
import { NO_MODELS } from './in-process.js';

const ALICE = 'alice-token-4f1c9a7e2b8d6053';
const BOB = 'bob-token-9e8d7c6b5a403f2e';
const ADMIN = 'admin-token-0a1b2c3d4e5f6789';
const UPSTREAM_SECRET = 'upstream-secret-5d4c3b2a1f0e';
const LLM_KEY = 'llm-key-77aa88bb99cc00dd';
const SECRETS = { ALICE, BOB, ADMIN, UPSTREAM_SECRET, LLM_KEY };

/** Headers a client might forge to pose as someone else; agentwall must neither trust nor forward them. */
const FORGED = {
  'x-agentwall-principal': 'admin',
  'x-agentwall-tenant': 'other-tenant',
  'x-agentwall-roles': 'admin',
  'x-principal': 'admin',
  'x-tenant-id': 'other-tenant',
  'x-forwarded-user': 'admin',
  'x-remote-user': 'admin',
};

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'auth', version: '1' } },
});

let tmp: TempDir;
let recorder: HeaderRecorder;
let llm: VllmStandin;
let aw: AgentwallServe;

beforeAll(async () => {
  tmp = await makeTempDir('agentwall-auth-');
  recorder = await startHeaderRecorder();
  llm = await startVllmStandin({ models: [{ id: 'm', task: 'generate' }], apiKey: LLM_KEY });
  aw = await startServe({
    dir: tmp.path,
    env: { AW_ALICE: ALICE, AW_BOB: BOB, AGENTWALL_ADMIN_TOKEN: ADMIN, LLM_KEY },
    config: {
      log: { level: 'debug' },
      auth: {
        tokens: [
          { token_env: 'AW_ALICE', principal: 'alice' },
          { token_env: 'AW_BOB', principal: 'bob' },
        ],
      },
      servers: { remote: { url: recorder.url, headers: { authorization: `Bearer ${UPSTREAM_SECRET}` } } },
      scorers: NO_MODELS,
      policies: { watch: false },
      routing: {
        upstreams: [{ name: 'a', url: `${llm.url}/v1`, api_key_env: 'LLM_KEY' }],
        models: { m: { upstreams: ['a'] } },
        default_model: 'm',
      },
    },
  });
});

afterAll(async () => {
  await aw?.stop();
  await llm?.close();
  await recorder?.close();
  await tmp?.remove();
});

interface Surface {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  /** The token that opens it. */
  readonly token: string;
}

const SURFACES: readonly Surface[] = [
  { name: 'POST /mcp', method: 'POST', path: '/mcp', body: INIT, token: ALICE },
  { name: 'GET /mcp', method: 'GET', path: '/mcp', token: ALICE },
  { name: 'DELETE /mcp', method: 'DELETE', path: '/mcp', token: ALICE },
  { name: 'GET /v1/models', method: 'GET', path: '/v1/models', token: ALICE },
  {
    name: 'POST /v1/chat/completions',
    method: 'POST',
    path: '/v1/chat/completions',
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    token: ALICE,
  },
  { name: 'GET /admin/approvals', method: 'GET', path: '/admin/approvals', token: ADMIN },
  { name: 'GET /metrics', method: 'GET', path: '/metrics', token: ADMIN },
];

describe('the console', () => {
  // A browser navigating to /ui/ cannot send a bearer header: the console's static files are served to
  // anyone and hold no data; the page asks for the admin token and everything it shows comes from /admin.
  it('serves only a static shell without a token, and its data only with the admin token', async () => {
    const page = await rawRequest(aw.url, { method: 'GET', path: '/ui/' });
    if (page.status === 404) return console.log('GET /ui/: not mounted in this build, skipped');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
    for (const secret of Object.values(SECRETS)) expect(page.body).not.toContain(secret);
    const data = await rawRequest(aw.url, { method: 'GET', path: '/admin/approvals' });
    expect(data.status).toBe(401);
  });
});

function call(s: Surface, authorization: string | undefined): Promise<RawResponse> {
  return rawRequest(aw.url, {
    method: s.method,
    path: s.path,
    headers: mcpHeaders(undefined, authorization === undefined ? {} : { authorization }),
    ...(s.body === undefined ? {} : { body: s.body }),
  });
}

describe('auth on every HTTP surface', () => {
  it.each(SURFACES)('$name refuses a request without the right token', async (s) => {
    const right = await call(s, `Bearer ${s.token}`);
    // A surface this build does not serve answers 404 even with the right token: nothing to protect.
    if (right.status === 404) return console.log(`${s.name}: not mounted in this build, skipped`);
    expect(right.status, `${s.name} with the right token: ${right.body}`).not.toBe(401);
    const other = s.token === ADMIN ? ALICE : ADMIN;
    for (const authorization of [
      undefined,
      'Bearer',
      'Bearer not-a-valid-token-at-all',
      `Bearer ${s.token}x`,
      `Bearer ${s.token.slice(0, -1)}`,
      `Basic ${Buffer.from(`x:${s.token}`).toString('base64')}`,
      `Bearer ${other}`,
    ]) {
      const r = await call(s, authorization);
      expect(r.status, `${s.name} with ${authorization ?? 'no Authorization'}`).toBe(401);
    }
  });
});

describe('no token passthrough, no header spoofing', () => {
  it("never forwards the client's Authorization or forged headers upstream; the token decides the principal", async () => {
    const from = recorder.seen.length;
    const client = await connectHttp(aw.mcpUrl, { headers: { authorization: `Bearer ${ALICE}`, ...FORGED } });
    try {
      const r = await client.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      expect(textOf(r)).toBe('echo: hi');
      // A session belongs to the token that opened it, whatever the headers claim.
      const stolen = await rawRequest(aw.url, {
        headers: mcpHeaders(client.sessionId, { authorization: `Bearer ${BOB}`, ...FORGED }),
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(stolen.status).toBe(403);
    } finally {
      await client.close();
    }
    const upstream = recorder.seen.slice(from);
    expect(upstream.length).toBeGreaterThan(0);
    for (const headers of upstream) {
      expect(headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
      const text = JSON.stringify(headers);
      expect(text).not.toContain(ALICE);
      for (const name of Object.keys(FORGED)) expect(headers[name], name).toBeUndefined();
    }
  });

  it('records the principal of the token in the audit log, not the forged one', async () => {
    const client = await connectHttp(aw.mcpUrl, { headers: { authorization: `Bearer ${BOB}`, ...FORGED } });
    try {
      await client.client.callTool({ name: 'echo', arguments: { text: 'as bob' } });
    } finally {
      await client.close();
    }
    // The log is shared with the running agentwall (LMDB is multi-process); records land within 10 ms.
    const exported = await runAgentwall(['audit', 'export', '--data-dir', aw.dataDir]);
    const records = exported.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { principal: string; subject: string; detail?: { args?: unknown } });
    const calls = records.filter((r) => r.subject === 'echo');
    expect(calls.map((r) => r.principal).sort()).toEqual(expect.arrayContaining(['alice', 'bob']));
    expect(new Set(records.map((r) => r.principal))).toEqual(new Set(['alice', 'bob']));
  });
});

describe('secrets in logs', () => {
  it('never logs a token, an upstream header or an API key', async () => {
    await aw.stop();
    const log = aw.stderr.entries.join('\n');
    // The log is there and detailed (debug level: requests, sessions, verdicts of both principals).
    expect(log).toContain('"principal":"alice"');
    expect(log).toContain('"principal":"bob"');
    for (const [name, secret] of Object.entries(SECRETS)) expect(log, name).not.toContain(secret);
  });
});
