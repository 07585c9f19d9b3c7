import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../mcp/version.js';
import type { Reply } from './outcome.js';

/** How the harness runs agentwall: its own `agentwall mcp` process, or a runtime in the harness's process. */
export type EvalMode = 'spawn' | 'in-process';

/** The gullible agent's MCP client, connected to one case's agentwall. */
export interface AgentClient {
  listTools(): Promise<Tool[]>;
  /** Calls a tool; `isApprovalAsked` says whether agentwall asked (by elicitation) to approve it. */
  call(name: string, args: Record<string, unknown>): Promise<{ reply: Reply; isApprovalAsked: boolean }>;
  /** The last lines agentwall logged, for diagnostics. */
  logTail(): string;
  /** Disconnects and stops this agentwall and its upstream; idempotent. */
  close(): Promise<void>;
}

/** One case's agentwall to start: its configuration file (in `dir`), and the harness's time limits. */
export interface CaseAgentwall {
  readonly configFile: string;
  readonly dir: string;
  readonly startTimeoutMs: number;
  readonly callTimeoutMs: number;
}

/** Starts agentwall for one case and connects the gullible agent to it (spawn-agentwall.ts, in-process-agentwall.ts). */
export type LaunchAgentwall = (c: CaseAgentwall) => Promise<AgentClient>;

/** A started agentwall, before the agent connects: the client side of its stdio, and how to stop it. */
export interface AgentwallLink {
  readonly transport: Transport;
  readonly logTail: () => string;
  /** Stops what the transport's own close does not (nothing, for a child process whose stdin closes). */
  readonly stop?: () => Promise<void>;
}

/**
 * Initializes an MCP session over `link`. The client declares elicitation and declines every
 * question: no person approves anything in this harness, so a held call is denied at once rather
 * than waiting for its approval timeout (docs/approvals.md, "Elicitation").
 */
export async function connectAgent(
  link: AgentwallLink,
  o: { readonly startTimeoutMs: number; readonly callTimeoutMs: number },
): Promise<AgentClient> {
  const client = new Client(
    { name: 'agentwall-eval', version: VERSION },
    { capabilities: { elicitation: {} } },
  );
  let isAsked = false;
  client.setRequestHandler(ElicitRequestSchema, () => {
    isAsked = true;
    return { action: 'decline' };
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await client.close().catch(() => undefined);
      await link.transport.close().catch(() => undefined);
      await link.stop?.();
    })());
  try {
    await client.connect(link.transport, { timeout: Math.max(1, o.startTimeoutMs) });
  } catch (err) {
    await close();
    throw new Error(`agentwall did not start: ${String(err)}\n${link.logTail()}`, { cause: err });
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
    logTail: link.logTail,
    close,
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

/** Keeps the last `limit` characters written, for `logTail`. */
export function createTail(limit = 8192): {
  readonly write: (chunk: string | Buffer) => void;
  readonly text: () => string;
} {
  let kept = '';
  return {
    write: (chunk) => void (kept = (kept + chunk.toString()).slice(-limit)),
    text: () => kept.trim(),
  };
}
