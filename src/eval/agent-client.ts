import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../mcp/version.js';
import type { Reply } from './outcome.js';

/** The gullible agent's MCP client, connected to `agentwall mcp` over stdio. */
export interface AgentClient {
  listTools(): Promise<Tool[]>;
  /** Calls a tool; `isApprovalAsked` says whether agentwall asked (by elicitation) to approve it. */
  call(name: string, args: Record<string, unknown>): Promise<{ reply: Reply; isApprovalAsked: boolean }>;
  /** The last lines agentwall wrote to stderr, for diagnostics. */
  stderrTail(): string;
  /** Closes stdin; agentwall then stops its upstream and exits (SIGTERM, then SIGKILL, if it does not). */
  close(): Promise<void>;
}

export interface AgentClientOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly startTimeoutMs: number;
  readonly callTimeoutMs: number;
}

const STDERR_KEEP = 8192;

/**
 * Spawns agentwall and initializes an MCP session with it. The client declares elicitation and
 * declines every question: no person approves anything in this harness, so a held call is denied at
 * once rather than waiting for its approval timeout (docs/approvals.md, "Elicitation").
 */
export async function connectAgent(o: AgentClientOptions): Promise<AgentClient> {
  const client = new Client(
    { name: 'agentwall-eval', version: VERSION },
    { capabilities: { elicitation: {} } },
  );
  let isAsked = false;
  client.setRequestHandler(ElicitRequestSchema, () => {
    isAsked = true;
    return { action: 'decline' };
  });
  const transport = new StdioClientTransport({
    command: o.command,
    args: [...o.args],
    cwd: o.cwd,
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  let stderr = '';
  (transport.stderr as Readable | null)?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
  });
  try {
    await client.connect(transport, { timeout: o.startTimeoutMs });
  } catch (err) {
    await transport.close().catch(() => undefined);
    throw new Error(`agentwall did not start: ${String(err)}\n${stderr.trim()}`, { cause: err });
  }
  return {
    async listTools() {
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return tools;
    },
    async call(name, args) {
      isAsked = false;
      const started = performance.now();
      let reply: Reply;
      try {
        const r = await client.callTool({ name, arguments: args }, undefined, { timeout: o.callTimeoutMs });
        reply = {
          kind: 'result',
          isError: r.isError === true,
          text: textOf(r.content),
          meta: r._meta,
        };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const isLate = performance.now() - started >= o.callTimeoutMs;
        reply = isLate ? { kind: 'timeout', message } : { kind: 'error', message };
      }
      return { reply, isApprovalAsked: isAsked };
    },
    stderrTail: () => stderr.trim(),
    close: () => client.close(),
  };
}

/** The text a model would read: text parts as they are, other parts as JSON. */
function textOf(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => {
      const p = part as { type?: unknown; text?: unknown };
      return p.type === 'text' && typeof p.text === 'string' ? p.text : JSON.stringify(part);
    })
    .join('\n');
}
