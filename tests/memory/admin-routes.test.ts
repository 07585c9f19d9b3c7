// The memory endpoints of the admin API, served by the real admin handler on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryRoutes } from '../../src/admin/memory-routes.js';
import { MemoryStore } from '../../src/state/memory.js';
import { openStore, type Store } from '../../src/state/store.js';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.js';

const TOKEN = 'admin-token-for-memory-routes-tests';
const HASH = 'ef'.repeat(32);
let dir: string;
let store: Store;
let memory: MemoryStore;
let admin: AdminServer;
let ids: number[];
const compensated: [number, readonly number[]][] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agentwall-memory-routes-'));
  store = openStore(dir);
  memory = new MemoryStore(store.root);
  const a = await memory.write({
    namespace: 'ns',
    key: 'k',
    value: 'v1',
    principal: 'p',
    session: 's',
    time: 1000,
  });
  const b = await memory.write({
    namespace: 'ns',
    key: 'k',
    value: 'v2',
    principal: 'p',
    session: 's',
    time: 2000,
    derived_from: [
      {
        type: 'content',
        kind: 'tool_result',
        server: 'web',
        subject: 'fetch',
        content_hash: HASH,
        labels: [],
        time: 0,
      },
    ],
  });
  const c = await memory.write({
    namespace: 'other',
    key: 'k2',
    value: 'v3',
    principal: 'q',
    session: 't',
    time: 3000,
    derived_from: [{ type: 'memory', id: b.id }],
  });
  ids = [a.id, b.id, c.id];
  admin = await startAdminServer(
    memoryRoutes(memory, {
      compensate: (rid, external) => {
        compensated.push([rid, external]);
        return Promise.resolve([]);
      },
    }),
    TOKEN,
  );
});

afterAll(async () => {
  await admin.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function api(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${admin.base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('memory admin routes', () => {
  it('lists namespaces, items, history, one version and its provenance graph', async () => {
    expect((await api('/admin/memory/namespaces')).json.namespaces).toEqual([
      { namespace: 'ns', versions: 2, last_write: 2000 },
      { namespace: 'other', versions: 1, last_write: 3000 },
    ]);
    expect((await api('/admin/memory/namespaces/ns/items')).json.items).toEqual([
      expect.objectContaining({ key: 'k', value: 'v2' }),
    ]);
    const history = (await api('/admin/memory/namespaces/ns/items/k/history')).json.versions as {
      seq: number;
    }[];
    expect(history.map((v) => v.seq)).toEqual([2, 1]);
    expect((await api(`/admin/memory/versions/${ids[1]}`)).json).toMatchObject({
      value: 'v2',
      status: 'active',
    });
    const graph = (await api(`/admin/memory/versions/${ids[1]}/provenance`)).json;
    expect(graph.edges).toEqual([{ from: ids[1], to: ids[2] }]);
    expect((await api('/admin/memory/versions/999')).status).toBe(404);
  });

  it('revokes (dry run first: the same plan), shows revoked versions to admins, and restores', async () => {
    const dry = await api('/admin/memory/revoke', { content_hash: HASH, dry_run: true });
    expect(dry).toMatchObject({
      status: 200,
      json: { dry_run: true, versions: [ids[1], ids[2]], changed: [ids[1], ids[2]] },
    });
    const real = await api('/admin/memory/revoke', {
      content_hash: HASH,
      reason: 'bad page',
      compensate: true,
    });
    expect(real.json).toMatchObject({
      dry_run: false,
      versions: [ids[1], ids[2]],
      revocation: { by: 'admin:admin', reason: 'bad page' },
    });
    const rid = (real.json.revocation as { id: number }).id;
    expect(compensated).toEqual([[rid, []]]);
    expect((await api('/admin/memory/namespaces/ns/items')).json.items).toEqual([
      expect.objectContaining({ value: 'v1' }),
    ]);
    expect((await api(`/admin/memory/versions/${ids[1]}`)).json).toMatchObject({
      value: 'v2',
      status: 'revoked',
      revoked_by: [rid],
    });
    expect((await api('/admin/memory/revocations')).json.revocations).toHaveLength(1);
    const restored = await api('/admin/memory/restore', { revocation: rid });
    expect(restored.json).toMatchObject({ changed: [ids[1], ids[2]] });
    expect((await api('/admin/memory/restore', { revocation: rid })).status).toBe(409);
    expect((await api('/admin/memory/restore', { revocation: 99 })).status).toBe(404);
  });

  it('rolls back a namespace; refuses bad bodies with stable codes', async () => {
    const r = await api('/admin/memory/rollback', { namespace: 'ns', to: 1500, dry_run: true });
    expect(r.json).toMatchObject({ dry_run: true, versions: [ids[1]] });
    expect((await api('/admin/memory/revoke', {})).json).toMatchObject({
      error: { code: 'MEMORY_NO_CRITERIA' },
    });
    expect((await api('/admin/memory/revoke', { ids: ['x'] })).json).toMatchObject({
      error: { code: 'MEMORY_INVALID_BODY' },
    });
    expect((await api('/admin/memory/rollback', { namespace: 'ns' })).status).toBe(400);
  });
});
