// Every tools/call (and resource read, prompt get) is audited into the LMDB hash chain, whichever front
// carried it; `agentwall audit verify` accepts the chain and counts the records, also when two agentwall
// processes append to one data file at once, and names the first record that was modified or removed.
import { cp, mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import type { AuditRecord } from '../../src/state/audit-log.js';
import { openStore } from '../../src/state/store.js';
import { auditVerify } from '../helpers/agentwall.js';
import { openFront, type Front } from '../helpers/fronts.js';
import { textOf } from '../helpers/results.js';
import { everythingServer, memoryServer } from '../helpers/servers.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { covers } from './requirements.js';

const SECRET_RESULT_MARK = 'only-in-the-tool-result';

function configIn(dir: string): ConfigInput {
  return { servers: { everything: everythingServer(), memory: memoryServer(join(dir, 'memory.jsonl')) } };
}

/** Reads every record; only while no agentwall process is running on the data dir. */
async function recordsIn(dataDir: string): Promise<AuditRecord[]> {
  const store = openStore(dataDir);
  try {
    return [...store.audit.records()];
  } finally {
    await store.close();
  }
}

/** Two tool calls, one resource read, one prompt: 2 + 2 + 1 + 1 = 6 audit records. */
const RECORDS_PER_ROUND = 6;
async function round(front: Front, tag: string): Promise<void> {
  const echo = await front.client.callTool({
    name: 'everything__echo',
    arguments: { message: `${tag} ${SECRET_RESULT_MARK}` },
  });
  expect(textOf(echo)).toContain(tag);
  await front.client.callTool({ name: 'memory__read_graph', arguments: {} });
  await front.client.readResource({ uri: 'everything+demo://resource/static/document/features.md' });
  await front.client.getPrompt({ name: 'everything__simple-prompt' });
}

describe('audit log', () => {
  let tmp: TempDir;
  let dataDir: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    dataDir = join(tmp.path, 'data');
  });

  afterAll(async () => {
    await tmp?.remove();
  });

  it('counts the decisions of each front, one chain across runs sharing the data file', async () => {
    covers('audit.chain');
    const stdio = await openFront('stdio', { config: configIn(tmp.path), dir: tmp.path, dataDir });
    try {
      await round(stdio, 'stdio run');
    } finally {
      await stdio.close();
    }
    const first = await auditVerify(dataDir);
    expect(first.stderr).toBe('');
    expect(first.isOk).toBe(true);
    expect(first.records).toBe(RECORDS_PER_ROUND);

    const http = await openFront('http', { config: configIn(tmp.path), dir: tmp.path, dataDir });
    try {
      await round(http, 'http run');
    } finally {
      await http.close();
    }
    const second = await auditVerify(dataDir);
    expect(second.isOk).toBe(true);
    expect(second.records).toBe(2 * RECORDS_PER_ROUND);

    const records = await recordsIn(dataDir);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records.map((r) => r.kind)).toEqual(
      Array(2).fill(['tool_call', 'tool_result', 'tool_call', 'tool_result', 'resource', 'prompt']).flat(),
    );
    expect(records.slice(0, 6).every((r) => r.principal === `local:${userInfo().username}`)).toBe(true);
    expect(records.slice(6).every((r) => r.principal === 'local')).toBe(true);
    // One session per run, and the second run's chain continues from the first run's head.
    expect(new Set(records.map((r) => r.session)).size).toBe(2);
    expect(records[6]?.prev).toBe(records[5]?.hash);

    const call = records[0]!;
    expect(call).toMatchObject({ server: 'everything', subject: 'echo', action: 'allow' });
    expect(call.detail).toMatchObject({ args: { message: `stdio run ${SECRET_RESULT_MARK}` } });
    // A result is kept as a digest only: its content never reaches the audit log.
    const result = records[1]!;
    expect(result.detail).toMatchObject({ call_id: call.event_id, is_error: false });
    expect(result.detail?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(result)).not.toContain(SECRET_RESULT_MARK);
    expect(records[4]).toMatchObject({
      server: 'everything',
      subject: 'demo://resource/static/document/features.md',
    });
  });

  it('keeps one valid chain when a serve and an mcp process append at the same time', async () => {
    covers('audit.chain');
    const before = (await auditVerify(dataDir)).records ?? 0;
    // Separate directories: each process gets its own configuration file and memory graph.
    const dirs = [join(tmp.path, 'concurrent-stdio'), join(tmp.path, 'concurrent-http')] as const;
    await Promise.all(dirs.map((d) => mkdir(d)));
    const [stdio, http] = await Promise.all([
      openFront('stdio', { config: configIn(dirs[0]), dir: dirs[0], dataDir }),
      openFront('http', { config: configIn(dirs[1]), dir: dirs[1], dataDir }),
    ]);
    try {
      const rounds = [1, 2, 3].flatMap((i) => [round(stdio, `stdio ${i}`), round(http, `http ${i}`)]);
      await Promise.all(rounds);
    } finally {
      await Promise.all([stdio.close(), http.close()]);
    }
    const after = await auditVerify(dataDir);
    expect(after.stderr).toBe('');
    expect(after.isOk).toBe(true);
    expect(after.records).toBe(before + 6 * RECORDS_PER_ROUND);
  });

  it('reports the first modified record and exits 1', async () => {
    covers('audit.tamper');
    const copy = join(tmp.path, 'modified');
    await cp(dataDir, copy, { recursive: true });
    const store = openStore(copy);
    try {
      const db = store.root.openDB<AuditRecord, number>({ name: 'audit' });
      const third = db.get(3);
      expect(third).toBeDefined();
      await db.put(3, { ...third!, action: 'deny' });
    } finally {
      await store.close();
    }
    const r = await auditVerify(copy);
    expect(r.code).toBe(1);
    expect(r.isOk).toBe(false);
    expect(r.brokenAt).toBe(3);
    expect(r.records).toBe(2);
    expect(r.stderr).toMatch(/record 3 was modified/);
  });

  it('reports a removed record', async () => {
    covers('audit.tamper');
    const copy = join(tmp.path, 'removed');
    await cp(dataDir, copy, { recursive: true });
    const store = openStore(copy);
    try {
      await store.root.openDB<AuditRecord, number>({ name: 'audit' }).remove(5);
    } finally {
      await store.close();
    }
    const r = await auditVerify(copy);
    expect(r.code).toBe(1);
    expect(r.brokenAt).toBe(5);
    expect(r.stderr).toMatch(/record 5 is missing/);
  });
});
