// SDK clients for the two fronts. Each client declares sampling, elicitation and roots, answers them from
// hooks the test controls, and records every notification and server→client request it receives.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type JSONRPCMessage,
  type Notification,
  type Request,
  type Root,
} from '@modelcontextprotocol/sdk/types.js';
import type { Readable } from 'node:stream';
import { descendantsOf, killLeftovers, linesOf } from './child.js';
import { EventLog, within } from './event-log.js';
import { AGENTWALL_BIN, REPO_ROOT, assertBuilt } from './paths.js';

export interface ClientHooks {
  readonly sample?: (params: CreateMessageRequest['params']) => CreateMessageResult;
  readonly elicit?: (params: ElicitRequest['params']) => ElicitResult;
  /** Read on every roots/list, so a test can change the roots and then notify. */
  readonly roots?: () => Root[];
  readonly capabilities?: ClientCapabilities;
}

export const SAMPLED_TEXT = 'sampled by the e2e client';
export const SAMPLED_MODEL = 'e2e-stub-model';

/** Whether an elicitation is agentwall asking the person to approve a held tool call (one `approve` field). */
export function isApprovalRequest(params: ElicitRequest['params']): boolean {
  const schema = (params as { requestedSchema?: { properties?: Record<string, unknown> } }).requestedSchema;
  return schema?.properties !== undefined && 'approve' in schema.properties;
}

export const DEFAULT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: {},
  roots: { listChanged: true },
};

export interface ConnectedClient {
  readonly client: Client;
  /**
   * Every message agentwall sent after initialization, in arrival order, as it came off the transport:
   * what is on the wire, before the SDK client handles (or drops) it.
   */
  readonly incoming: EventLog<JSONRPCMessage>;
  readonly notifications: EventLog<Notification>;
  /** Server→client requests (sampling, elicitation, roots) as they arrived. */
  readonly requests: EventLog<Request>;
  close(): Promise<void>;
}

/** One line per message, for timeout diagnostics. */
export const describeMessage = (m: Notification | Request) => `${m.method} ${JSON.stringify(m.params ?? {})}`;

export function newClient(hooks: ClientHooks = {}): Omit<ConnectedClient, 'close'> {
  const capabilities = hooks.capabilities ?? DEFAULT_CAPABILITIES;
  const client = new Client({ name: 'agentwall-e2e', version: '1.0.0' }, { capabilities });
  const incoming = new EventLog<JSONRPCMessage>();
  const notifications = new EventLog<Notification>();
  const requests = new EventLog<Request>();
  client.fallbackNotificationHandler = (n) => {
    notifications.push(n);
    return Promise.resolve();
  };
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      requests.push(req);
      return (
        hooks.sample?.(req.params) ?? {
          role: 'assistant',
          content: { type: 'text', text: SAMPLED_TEXT },
          model: SAMPLED_MODEL,
          stopReason: 'endTurn',
        }
      );
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      requests.push(req);
      return hooks.elicit?.(req.params) ?? { action: 'decline' };
    });
  }
  if (capabilities.roots) {
    client.setRequestHandler(ListRootsRequestSchema, (req) => {
      requests.push(req);
      return { roots: hooks.roots?.() ?? [] };
    });
  }
  return { client, incoming, notifications, requests };
}

/** Records what arrives on a connected transport into `log` before the SDK client sees it. */
function tapIncoming(transport: Transport, log: EventLog<JSONRPCMessage>): void {
  const sdk = transport.onmessage;
  transport.onmessage = (message, extra) => {
    log.push(message);
    sdk?.(message, extra);
  };
}

export interface HttpClient extends ConnectedClient {
  readonly transport: StreamableHTTPClientTransport;
  readonly sessionId: string;
}

/** Connects over Streamable HTTP; `headers` go on every request (e.g. Authorization). */
export async function connectHttp(
  mcpUrl: URL,
  options: { hooks?: ClientHooks; headers?: Record<string, string> } = {},
): Promise<HttpClient> {
  const c = newClient(options.hooks);
  const transport = new StreamableHTTPClientTransport(mcpUrl, {
    requestInit: { headers: { ...options.headers } },
  });
  await c.client.connect(transport);
  tapIncoming(transport, c.incoming);
  const sessionId = transport.sessionId;
  if (sessionId === undefined) throw new Error('agentwall gave no Mcp-Session-Id');
  return {
    ...c,
    transport,
    sessionId,
    async close() {
      // DELETE ends the session at once, so agentwall stops its upstreams now rather than when idle.
      await transport.terminateSession().catch(() => undefined);
      await c.client.close();
    },
  };
}

export interface StdioClient extends ConnectedClient {
  /** agentwall's stderr: pino JSON lines, upstream stderr included. */
  readonly stderr: EventLog<string>;
}

/** Spawns `agentwall <args…>` (e.g. `mcp --config FILE --data-dir DIR`) and connects over its stdio. */
export async function connectStdio(args: readonly string[], options: { hooks?: ClientHooks } = {}) {
  assertBuilt();
  const c = newClient(options.hooks);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [AGENTWALL_BIN, ...args],
    cwd: REPO_ROOT,
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  const stderr = linesOf(transport.stderr as Readable | null);
  // Fires when the agentwall process has closed its stdio, i.e. exited (Protocol.connect chains it).
  const exited = new Promise<void>((resolve) => (transport.onclose = resolve));
  try {
    await c.client.connect(transport);
  } catch (err) {
    await transport.close();
    throw new Error(
      `agentwall ${args.join(' ')} did not initialize:\n${stderr.entries.slice(-20).join('\n')}`,
      {
        cause: err,
      },
    );
  }
  tapIncoming(transport, c.incoming);
  const connected: StdioClient = {
    ...c,
    stderr,
    async close() {
      const pid = transport.pid;
      const spawned = pid === null ? [] : descendantsOf(pid);
      try {
        await c.client.close();
        // The audit log is flushed when agentwall exits; callers that read it next rely on this wait.
        await within(exited, 15_000, 'agentwall mcp to exit after its client closed');
      } finally {
        // Upstreams that outlived an agentwall that did not stop them (it was killed) go too.
        killLeftovers(spawned);
      }
    },
  };
  return connected;
}
