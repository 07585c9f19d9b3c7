// Durability (issue 9): `agentwall serve` is SIGKILLed in the middle of mixed load — tool calls from
// several sessions, each audited, memory writes through the built-in memory server, and calls held for
// approval — then started again on the same data dir. `agentwall audit verify` must pass, the held calls
// must still be listed as pending, every tool call a client saw answered before the kill must have its
// audit record, and every memory write it saw acknowledged must be readable.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify, runAgentwall, writeConfig } from '../helpers/agentwall.js';
import type { Running } from '../helpers/child.js';
import { connectHttp, type HttpClient } from '../helpers/clients.js';
import { textOf } from '../helpers/results.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';
import { faultServer, NO_MODELS } from './in-process.js';
import { startServeChild } from './serve-child.js';

const SESSIONS = 4;
const HELD = 3;
/** Answered calls before the kill; the kill comes while the sessions are still calling. */
const ACKNOWLEDGED_BEFORE_KILL = 150;

const HOLD_BUNDLE = `version: 1
rules:
  - id: hold-slow
    on: tool_call
    when: tool.name == "slow"
    action: require_approval
    message: held by the durability suite
    approval: { timeout: 1h }
`;

let tmp: TempDir;
let running: Running | undefined;

beforeAll(async () => {
  tmp = await makeTempDir('agentwall-durability-');
});

afterAll(async () => {
  await running?.stop();
  await tmp?.remove();
});

describe('durability: SIGKILL under load', () => {
  it('keeps the audit chain, every acknowledged call and the pending approvals', async () => {
    const dataDir = join(tmp.path, 'data');
    await writeFile(join(tmp.path, 'hold.yaml'), HOLD_BUNDLE);
    const configFile = await writeConfig(tmp.path, {
      servers: { fault: faultServer() },
      scorers: NO_MODELS,
      policies: { paths: ['hold.yaml'], watch: false },
    });
    const first = await startServeChild(configFile, dataDir);
    running = first.running;
    const mcpUrl = new URL('/mcp', first.url);
    // No elicitation: held calls wait for a decision from the admin API or the CLI.
    const clients: HttpClient[] = await Promise.all(
      Array.from({ length: SESSIONS }, () => connectHttp(mcpUrl, { hooks: { capabilities: {} } })),
    );

    const acknowledged: string[] = [];
    let killed = false;
    let reached!: () => void;
    const enough = new Promise<void>((resolve) => (reached = resolve));
    const load = clients.map(async (c, k) => {
      for (let i = 0; !killed; i++) {
        const text = `s${k}-${i}`;
        const r = await c.client.callTool({ name: 'echo', arguments: { text } }).catch(() => undefined);
        if (r === undefined || killed) break;
        expect(textOf(r)).toBe(`echo: ${text}`);
        acknowledged.push(text);
        if (acknowledged.length >= ACKNOWLEDGED_BEFORE_KILL) reached();
      }
    });
    const written: string[] = [];
    const writer = clients[0]!;
    const memoryLoad = (async () => {
      for (let i = 0; !killed; i++) {
        const key = `m-${i}`;
        const r = await writer.client
          .callTool({ name: 'memory_write', arguments: { key, value: `v-${i}` } })
          .catch(() => undefined);
        if (r === undefined || killed) break;
        expect(r.isError, textOf(r)).toBeFalsy();
        written.push(key);
      }
    })();
    const heldLog = running.stderr.mark();
    const held = Array.from({ length: HELD }, (_, i) =>
      clients[i % SESSIONS]!.client.callTool({ name: 'slow', arguments: { ms: 0 } }).catch(() => 'cut off'),
    );
    const isHeld = (l: string) => l.includes('tool call held for approval');
    await running.stderr.waitFor(() => running!.stderr.since(heldLog, isHeld).length >= HELD, {
      from: heldLog,
      what: `${HELD} held calls in the log`,
    });
    const heldIds = running.stderr
      .since(heldLog, isHeld)
      .map((l) => (JSON.parse(l) as { approval_id: string }).approval_id);
    await enough;

    // The kill: the whole process group, while the sessions are still calling.
    process.kill(-first.pid, 'SIGKILL');
    killed = true;
    const answeredBeforeKill = acknowledged.length;
    // Closing the clients ends the calls that were in flight (the SDK would wait for its own timeout).
    await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)));
    await Promise.all([...load, ...held, memoryLoad]);
    console.log(
      `durability: SIGKILL after ${answeredBeforeKill} answered calls, ${written.length} memory writes, ${heldIds.length} held`,
    );

    // Restart on the same data dir: it starts, and everything acknowledged is there.
    const second = await startServeChild(configFile, dataDir);
    running = second.running;
    try {
      const verify = await auditVerify(dataDir);
      expect(verify.isOk, verify.stderr).toBe(true);
      const pending = await runAgentwall(['approvals', 'list', '--status', 'pending', '--data-dir', dataDir]);
      for (const id of heldIds) expect(pending.stdout).toContain(id);
      const exported = await runAgentwall(['audit', 'export', '--data-dir', dataDir]);
      const audited = new Set(
        exported.stdout
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as { kind: string; detail?: { args?: { text?: string } } })
          .filter((r) => r.kind === 'tool_call')
          .map((r) => r.detail?.args?.text),
      );
      const missing = acknowledged.filter((t) => !audited.has(t));
      console.log(
        `durability: ${verify.records} audit records verify; ${acknowledged.length} acknowledged calls, ` +
          `${missing.length} without an audit record; ${heldIds.length} approvals still pending`,
      );
      expect(missing).toEqual([]);
      const listed = await runAgentwall([
        'memory',
        'list',
        '--namespace',
        'principal:local',
        '--json',
        '--data-dir',
        dataDir,
      ]);
      expect(listed.code, listed.stderr).toBe(0);
      const keys = new Set((JSON.parse(listed.stdout) as { key: string }[]).map((v) => v.key));
      const lost = written.filter((k) => !keys.has(k));
      console.log(`durability: ${written.length} acknowledged memory writes, ${lost.length} missing`);
      expect(written.length).toBeGreaterThan(0);
      expect(lost).toEqual([]);
    } finally {
      await second.running.stop();
    }
  }, 120_000);
});
