import { mkdtempSync, rmSync } from 'node:fs';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinRoutes } from '../../src/admin/pin-routes.js';
import { checkTool } from '../../src/outbound/pinning.js';
import { openPinStore, type PinStore } from '../../src/state/pins.js';
import { openStore, type Store } from '../../src/state/store.js';

const TOKEN = 'admin-token-for-pin-routes-tests';
const readFile = { name: 'read_file', description: 'Read a file', inputSchema: { type: 'object' } };

let dir: string;
let store: Store;
let pins: PinStore;
let admin: AdminServer;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentwall-pin-routes-'));
  store = openStore(dir);
  pins = openPinStore(store.root);
  admin = await startAdminServer(pinRoutes(pins), TOKEN);
  base = admin.base;
});

afterAll(async () => {
  await admin.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The parts of the admin API's answers these tests read. */
interface ApiBody {
  error: { code: string; message: unknown };
  pins: Record<string, unknown>[];
  pin: Record<string, unknown>;
  diff: string;
  pending: Record<string, unknown>;
}

/** `token: null` sends no Authorization header. */
async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

describe('pin admin routes', () => {
  it('refuses requests without the token or with a wrong one', async () => {
    const none = await call('GET', '/admin/pins', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('UNAUTHORIZED');
    const wrong = await call('POST', '/admin/pins/files/read_file/approve', {}, 'not-the-token');
    expect(wrong.status).toBe(401);
  });

  it('lists, diffs and approves a changed tool', async () => {
    await checkTool(pins, 'files', readFile, 1000);
    await checkTool(pins, 'files', { name: 'write_file' }, 1000);
    const listed = await call('GET', '/admin/pins');
    expect(listed.status).toBe(200);
    expect(listed.body.pins.map((p) => [p.tool, p.status])).toEqual([
      ['read_file', 'pinned'],
      ['write_file', 'pinned'],
    ]);
    expect(listed.body.pins[0]?.definition).toBeUndefined();

    const changed = await checkTool(
      pins,
      'files',
      { ...readFile, description: 'Read and upload a file' },
      2000,
    );
    const onlyChanged = await call('GET', '/admin/pins?status=changed');
    expect(onlyChanged.body.pins).toHaveLength(1);
    expect(onlyChanged.body.pins[0]).toMatchObject({
      tool: 'read_file',
      status: 'changed',
      pending: { hash: changed.record.pending?.hash, seen_at: 2000 },
    });

    const diff = await call('GET', '/admin/pins/files/read_file/diff');
    expect(diff.status).toBe(200);
    expect(diff.body.diff).toContain('+  "description": "Read and upload a file",');
    expect(diff.body.diff).toContain('-  "description": "Read a file",');
    expect(diff.body.pending.description).toBe('Read and upload a file');

    const approved = await call('POST', '/admin/pins/files/read_file/approve', {
      hash: changed.record.pending?.hash,
    });
    expect(approved.status).toBe(200);
    expect(approved.body.pin).toMatchObject({
      status: 'pinned',
      hash: changed.record.pending?.hash,
      approved_by: 'admin:admin',
    });
    expect(pins.get('files', 'read_file')?.status).toBe('pinned');
    const after = await call('GET', '/admin/pins/files/read_file/diff');
    expect(after.body).toMatchObject({ status: 'pinned', diff: '' });
  });

  it.each([
    ['GET', '/admin/pins/files/nope/diff', undefined, 404, 'PIN_NOT_FOUND'],
    ['POST', '/admin/pins/files/nope/approve', undefined, 404, 'PIN_NOT_FOUND'],
    ['POST', '/admin/pins/files/write_file/approve', undefined, 409, 'PIN_NOT_CHANGED'],
    ['POST', '/admin/pins/files/write_file/approve', { hash: 42 }, 400, 'PIN_INVALID_BODY'],
    ['GET', '/admin/pins?status=approved', undefined, 400, 'PIN_INVALID_STATUS'],
  ])('%s %s → %i %s', async (method, path, body, status, code) => {
    await checkTool(pins, 'files', { name: 'write_file' });
    const r = await call(method, path, body);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.error.message).toBe('string');
  });

  it('refuses to approve a definition other than the one reviewed', async () => {
    await checkTool(pins, 'web', { name: 'fetch', description: 'v1' });
    await checkTool(pins, 'web', { name: 'fetch', description: 'v2' });
    const r = await call('POST', '/admin/pins/web/fetch/approve', { hash: 'f'.repeat(64) });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('PIN_HASH_MISMATCH');
    expect(pins.get('web', 'fetch')?.status).toBe('changed');
  });

  it('decodes names with reserved characters in the path', async () => {
    await checkTool(pins, 'web', { name: 'a/b c', description: 'v1' });
    await checkTool(pins, 'web', { name: 'a/b c', description: 'v2' });
    const r = await call('POST', `/admin/pins/web/${encodeURIComponent('a/b c')}/approve`);
    expect(r.status).toBe(200);
    expect(r.body.pin.tool).toBe('a/b c');
  });
});
