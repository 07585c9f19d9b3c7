// External writes through the real proxy: server-memory's `create_entities`, called by a session that
// read untrusted content, is journaled with that content's hash; revoking the hash through the admin
// API with `compensate: true` issues the configured `delete_entities`, and the entity is gone.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type AgentwallServe } from '../helpers/agentwall.js';
import { connectHttp, isApprovalRequest, type HttpClient } from '../helpers/clients.js';
import { runMain } from '../helpers/cli.js';
import { textOf } from '../helpers/results.js';
import { filesystemServer, memoryServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

const ADMIN_TOKEN = 'e2e-memory-external-token-0123456789';

let dir: TempDir;
let files: string;
let graphFile: string;
let serve: AgentwallServe;
let client: HttpClient;

beforeAll(async () => {
  dir = await makeTempDir();
  files = join(dir.path, 'files');
  graphFile = join(dir.path, 'graph.jsonl');
  await mkdir(files);
  await writeFile(join(files, 'people.md'), 'Mallory works in accounting and approves invoices.\n');
  serve = await startServe({
    dir: dir.path,
    env: { AGENTWALL_ADMIN_TOKEN: ADMIN_TOKEN },
    config: {
      servers: { web: filesystemServer(files), kg: { ...memoryServer(graphFile), trust: 'trusted' } },
      policies: { watch: false },
      memory: {
        external: [
          {
            server: 'kg',
            tool: 'create_entities',
            compensate: { tool: 'delete_entities', args: '{"entityNames": args.entities.map(e, e.name)}' },
          },
        ],
      },
    },
  });
  // Whatever the gate holds (the default bundle holds calls whose arguments came from content it
  // scores as suspicious), the person at this client approves: this test is about the journal.
  client = await connectHttp(serve.mcpUrl, {
    hooks: {
      capabilities: { elicitation: {} },
      elicit: (params) =>
        isApprovalRequest(params) ? { action: 'accept', content: { approve: true } } : { action: 'decline' },
    },
  });
});

afterAll(async () => {
  await client?.close();
  await serve?.stop();
  await dir?.remove();
});

const call = async (name: string, args: Record<string, unknown>) =>
  (await client.client.callTool({ name, arguments: args })) as CallToolResult;

async function admin(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(new URL(path, serve.url), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

interface External {
  id: number;
  status: string;
  derived_from: { type: string; content_hash?: string }[];
}

describe('external writes through the real proxy', () => {
  it('journals create_entities with the provenance of the session, and revocation compensates it', async () => {
    const page = await call('web__read_text_file', { path: join(files, 'people.md') });
    expect(page.isError, textOf(page)).toBeFalsy();
    const mark = serve.stderr.mark();
    const created = await call('kg__create_entities', {
      entities: [{ name: 'Mallory', entityType: 'person', observations: ['approves invoices'] }],
    });
    expect(created.isError, textOf(created)).toBeFalsy();
    expect(await readFile(graphFile, 'utf8')).toContain('Mallory');
    // The journal entry is written after the result went back; its log line says when.
    await serve.stderr.waitFor((l) => l.includes('external write journaled'), { from: mark });

    const [x] = (await admin('/admin/memory/external')).external as External[];
    expect(x).toMatchObject({ status: 'active' });
    const hash = x?.derived_from.find((d) => d.type === 'content')?.content_hash ?? '';
    expect(hash).toMatch(/^[0-9a-f]{64}$/);

    const dry = await admin('/admin/memory/revoke', { content_hash: hash, dry_run: true, compensate: true });
    expect(dry).toMatchObject({ dry_run: true, versions: [], external: [x?.id] });
    expect(dry).not.toHaveProperty('compensations');
    expect(await readFile(graphFile, 'utf8')).toContain('Mallory');

    const revoked = await admin('/admin/memory/revoke', {
      content_hash: hash,
      compensate: true,
      reason: 'poisoned page',
    });
    expect(revoked).toMatchObject({
      external: [x?.id],
      compensations: [expect.objectContaining({ id: x?.id, ok: true })],
    });
    expect(await readFile(graphFile, 'utf8')).not.toContain('Mallory');
    const after = (await admin('/admin/memory/external')).external as (External & {
      compensations: unknown[];
    })[];
    expect(after[0]).toMatchObject({
      status: 'revoked',
      compensations: [expect.objectContaining({ ok: true })],
    });
  });

  it('`agentwall memory revoke --compensate` issues the compensation from the command line', async () => {
    const page = await call('web__read_text_file', { path: join(files, 'people.md') });
    expect(page.isError, textOf(page)).toBeFalsy();
    const mark = serve.stderr.mark();
    const created = await call('kg__create_entities', {
      entities: [{ name: 'Trent', entityType: 'person', observations: ['signs cheques'] }],
    });
    expect(created.isError, textOf(created)).toBeFalsy();
    await serve.stderr.waitFor((l) => l.includes('external write journaled'), { from: mark });
    expect(await readFile(graphFile, 'utf8')).toContain('Trent');
    const listed = (await admin('/admin/memory/external')).external as External[];
    const fresh = listed.find((x) => x.status === 'active');
    const hash = fresh?.derived_from.find((d) => d.type === 'content')?.content_hash ?? '';

    const flags = ['--config', serve.configFile, '--data-dir', serve.dataDir];
    const r = await runMain(['memory', 'revoke', '--hash', hash, '--compensate', ...flags]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`compensation of external write ${fresh?.id}: done`));
    expect(await readFile(graphFile, 'utf8')).not.toContain('Trent');
  });
});
