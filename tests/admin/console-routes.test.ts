// Every route of the admin API as `serve` mounts it (consoleRoutes over a real runtime): each refuses
// a missing and a wrong token; the policy routes (in force, reload, replay A/B) answer as documented.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes } from '../../src/admin/console.js';
import { startRuntime, type Runtime } from '../../src/cli/runtime.js';
import { resolveConfig } from '../../src/config/load.js';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const TOKEN = 'admin-token-for-console-routes';
const BUNDLE_A = `rules:
  - { id: no-rm, on: tool_call, when: 'tool.name == "rm"', action: deny, message: no rm }
`;
const BUNDLE_B = `rules:
  - { id: no-rm, on: tool_call, when: 'tool.name == "rm"', action: deny, message: no rm }
  - { id: hold-writes, on: tool_call, when: 'tool.name == "write_file"', action: require_approval }
`;

let dir: TempDir;
let rt: Runtime;
let admin: AdminServer;
let bundleA: string;

beforeAll(async () => {
  dir = await makeTempDir('agentwall-console-');
  bundleA = join(dir.path, 'a.yaml');
  await writeFile(bundleA, BUNDLE_A);
  await writeFile(join(dir.path, 'b.yaml'), BUNDLE_B);
  await writeFile(
    join(dir.path, 'broken.yaml'),
    `rules:\n  - { id: bad, on: tool_call, when: 'tool.name ==', action: deny }\n`,
  );
  const config = resolveConfig(
    {
      data_dir: join(dir.path, 'data'),
      policies: { paths: [bundleA], watch: false },
      scorers: {
        injection: { enabled: false },
        jailbreak: { enabled: false },
        capability: { enabled: false },
      },
    },
    { source: 'test', baseDir: dir.path, env: {} },
  );
  rt = await startRuntime(config, { logger: { log: pino({ level: 'silent' }), flush: () => undefined } });
  admin = await startAdminServer(consoleRoutes(rt), TOKEN);
  const call = (n: number, tool: string, action: string) =>
    rt.store.audit.append({
      time: 1_000 + n,
      event_id: `e${n}`,
      kind: 'tool_call',
      session: 's1',
      principal: 'alice',
      server: 'files',
      subject: tool,
      action,
      rules: [],
      latency_ms: 0.1,
      detail: { args: { path: `/tmp/${n}` } },
    });
  await Promise.all([call(1, 'write_file', 'allow'), call(2, 'rm', 'deny'), call(3, 'write_file', 'allow')]);
});
afterAll(async () => {
  await admin.close();
  await rt.close();
  await dir.remove();
});

/** The fields these tests read of the answers. */
interface Body {
  error?: { code: string; errors: string[] };
  files?: string[];
  rules?: { id: string }[];
  revision?: string;
  a?: { revision: string; rules: number };
  b?: { revision: string; rules: number; files: string[] };
  result?: { rules: { id: string; count: number }[] };
  limitations?: string[];
}

async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${admin.base}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Body };
}

describe('the admin API as served', () => {
  it('mounts every documented group of routes', () => {
    const paths = consoleRoutes(rt).map((r) => `${r.method} ${r.path}`);
    for (const p of [
      'GET /admin/decisions',
      'GET /admin/decisions/stream',
      'GET /admin/decisions/:event_id',
      'GET /admin/policies',
      'POST /admin/policies/reload',
      'POST /admin/policies/replay',
      'GET /admin/approvals',
      'POST /admin/approvals/:id/approve',
      'GET /admin/pins',
      'GET /admin/quarantine',
      'GET /admin/memory/versions/:id/provenance',
      'POST /admin/memory/revoke',
      'GET /admin/routing/stats',
      'POST /admin/routing/playground',
    ])
      expect(paths).toContain(p);
  });

  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-admin-token-0123456789'],
    ['a token of another scheme', 'Basic'],
  ])('refuses %s with 401 on every route', async (_name, token) => {
    for (const route of consoleRoutes(rt)) {
      const path = route.path.replace(/:[a-z_]+/g, '1');
      const init = token === 'Basic' ? null : token;
      const r =
        token === 'Basic'
          ? await fetch(`${admin.base}${path}`, {
              method: route.method,
              headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` },
            }).then(async (x) => ({ status: x.status, headers: x.headers, body: (await x.json()) as Body }))
          : await call(route.method, path, undefined, init);
      expect({ route: `${route.method} ${path}`, status: r.status, code: r.body.error?.code }).toEqual({
        route: `${route.method} ${path}`,
        status: 401,
        code: 'UNAUTHORIZED',
      });
      expect(r.headers.get('www-authenticate')).toContain('Bearer');
    }
  });

  it('answers 404 for an unknown admin path and 405 with Allow for a wrong method', async () => {
    expect((await call('GET', '/admin/nothing-here')).body.error?.code).toBe('NOT_FOUND');
    const wrong = await call('DELETE', '/admin/policies');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});

describe('policy routes', () => {
  it('shows the revision, files and rules in force, and reloads unchanged', async () => {
    const r = await call('GET', '/admin/policies');
    expect(r.status).toBe(200);
    expect(r.body.files).toEqual([bundleA]);
    expect(r.body.rules?.map((x: { id: string }) => x.id)).toEqual(['no-rm']);
    const reload = await call('POST', '/admin/policies/reload');
    expect(reload.body).toEqual({ ok: true, revision: r.body.revision, changed: false });
  });

  it('replays the audit log under the policy in force (A) and a candidate (B)', async () => {
    const r = await call('POST', '/admin/policies/replay', { candidate: ['b.yaml'] });
    expect(r.status).toBe(200);
    expect(r.body.a).toMatchObject({ revision: rt.policy.current().revision, rules: 1 });
    expect(r.body.b).toMatchObject({ rules: 2, files: [join(dir.path, 'b.yaml')] });
    expect(r.body.result).toMatchObject({
      events: 3,
      matchesRecorded: 3,
      changed: 2,
      transitions: { 'allow→require_approval': 2 },
    });
    expect(r.body.result?.rules[0]).toMatchObject({ id: 'hold-writes', count: 2 });
    expect(r.body.limitations?.length).toBeGreaterThan(0);
  });

  it('takes a baseline too, and @default for the shipped bundle', async () => {
    const r = await call('POST', '/admin/policies/replay', { baseline: ['b.yaml'], candidate: ['b.yaml'] });
    expect(r.body.result).toMatchObject({ events: 3, changed: 0 });
    const d = await call('POST', '/admin/policies/replay', { candidate: ['@default'] });
    expect(d.status).toBe(200);
    expect(d.body.b?.rules).toBeGreaterThan(1);
  });

  it('answers 422 with the compile errors of a broken candidate, 400 to a bad body', async () => {
    const broken = await call('POST', '/admin/policies/replay', { candidate: ['broken.yaml'] });
    expect(broken).toMatchObject({ status: 422, body: { error: { code: 'POLICY_COMPILE' } } });
    expect(broken.body.error?.errors.join('\n')).toContain('broken.yaml');
    for (const body of [
      {},
      { candidate: 'b.yaml' },
      { candidate: [] },
      { candidate: ['b.yaml'], examples: -1 },
    ]) {
      const r = await call('POST', '/admin/policies/replay', body);
      expect(r).toMatchObject({ status: 400, body: { error: { code: 'POLICY_INVALID_BODY' } } });
    }
  });
});
