import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import { ChildTransport } from '../mcp/child-transport.js';
import { VERSION } from '../mcp/version.js';
import type { MemoryStore } from '../state/memory.js';
import type { CompensationOutcome } from '../state/memory-types.js';

/** Calls one tool of one configured server; resolves to whether it succeeded and what it said. */
export type ToolCaller = (
  server: string,
  tool: string,
  args: Record<string, unknown>,
) => Promise<{ ok: boolean; detail: string }>;

/** Issues the compensating calls of a revocation's external writes (docs/memory.md, "External writes"). */
export type Compensator = (
  revocation: number,
  external: readonly number[],
) => Promise<(CompensationOutcome & { id: number })[]>;

/**
 * For each revoked external write that has a compensating call, issues it (in journal order) and
 * records the outcome with the write. A failed call is recorded and does not stop the others.
 */
export async function compensate(
  store: MemoryStore,
  revocation: number,
  external: readonly number[],
  call: ToolCaller,
): Promise<(CompensationOutcome & { id: number })[]> {
  const out: (CompensationOutcome & { id: number })[] = [];
  for (const id of external) {
    const x = store.external(id);
    if (x?.compensation === undefined) continue;
    let result: { ok: boolean; detail: string };
    try {
      result = await call(x.server, x.compensation.tool, { ...x.compensation.args });
    } catch (err) {
      result = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    const outcome = { revocation, ok: result.ok, detail: result.detail.slice(0, 2000) };
    await store.recordCompensation(id, outcome);
    out.push({ id, ...outcome, time: Date.now() });
  }
  return out;
}

/**
 * A compensator that opens its own short MCP session to each server it needs (stdio servers are
 * spawned afresh, as agentwall does per session), calls the tools, and closes the sessions.
 */
export function sessionCompensator(options: {
  store: MemoryStore;
  servers: Readonly<Record<string, ServerConfig>>;
  shield: readonly string[];
  log: Logger;
}): Compensator {
  return async (revocation, external) => {
    const clients = new Map<string, Client>();
    const caller: ToolCaller = async (server, tool, args) => {
      const config = options.servers[server];
      if (config === undefined) return { ok: false, detail: `server "${server}" is not configured` };
      let client = clients.get(server);
      if (client === undefined) {
        client = new Client({ name: 'agentwall-compensation', version: VERSION });
        await client.connect(transportFor(config, options.shield, options.log, server));
        clients.set(server, client);
      }
      const r = (await client.callTool({ name: tool, arguments: args }, undefined, {
        timeout: config.timeout,
      })) as CallToolResult;
      const detail = r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
      return { ok: r.isError !== true, detail };
    };
    try {
      return await compensate(options.store, revocation, external, caller);
    } finally {
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
    }
  };
}

function transportFor(c: ServerConfig, shield: readonly string[], log: Logger, server: string): Transport {
  if (c.url !== undefined) {
    return new StreamableHTTPClientTransport(new URL(c.url), { requestInit: { headers: { ...c.headers } } });
  }
  return new ChildTransport({
    command: c.command ?? '',
    args: c.args,
    env: { ...getDefaultEnvironment(), ...c.env },
    cwd: c.cwd,
    shield,
    onStderrLine: (line) => log.debug({ server, upstream_stderr: line }, 'compensation server stderr'),
  });
}
