import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  isJSONRPCNotification,
  isJSONRPCRequest,
  ResultSchema,
  type JSONRPCMessage,
  type RequestId,
  RootsListChangedNotificationSchema,
  type InitializeRequest,
  type Notification,
  type Request,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Config, ServerConfig } from '../config/index.js';
import { createSession, type Principal, type Session } from '../core/session.js';
import { randomUUID } from 'node:crypto';
import type { PromptEvent } from '../core/events.js';
import { toMcpError, withheld } from './errors.js';
import { unionCapabilities } from './capabilities.js';
import type { McpCheckpoints } from './checkpoints.js';
import { registerCompletionHandler, registerLoggingHandler } from './handlers/misc.js';
import { registerPromptHandlers } from './handlers/prompts.js';
import { registerResourceHandlers } from './handlers/resources.js';
import { cancelToolCall, handleToolCall } from './handlers/tool-call.js';
import { registerToolHandlers } from './handlers/tools.js';
import { elicitApproval } from './elicit-approval.js';
import { HeldTransport } from './held-transport.js';
import type { ApprovalService, AskClient } from '../outbound/approval-types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createNaming } from './naming.js';
import { newestInflight, type SessionContext } from './session-context.js';
import { Upstream } from './upstream.js';
import { VERSION } from './version.js';

export interface FrontSessionDeps {
  readonly config: Config;
  /** The upstream servers of this front (the configured ones, or the one `agentwall mcp --` wraps). */
  readonly servers: Readonly<Record<string, ServerConfig>>;
  readonly checkpoints: McpCheckpoints;
  readonly log: Logger;
  /** Holds calls that need approval; absent: such calls are refused (fail closed). */
  readonly approvals?: ApprovalService | undefined;
  /** The policy revision in force. */
  readonly revision: () => string;
  /** agentwall's own files, which spawned upstreams must not inherit descriptors to. */
  readonly shield: readonly string[];
  /** Servers agentwall provides itself (the memory server), listed after the configured ones. */
  readonly builtins?: readonly BuiltinServer[] | undefined;
}

/** A server agentwall runs in-process, one instance per front session, reached like any upstream. */
export interface BuiltinServer {
  readonly name: string;
  /** The names its tools are listed and called by, whatever the prefix mode (naming.ts). */
  readonly tools: readonly string[];
  readonly config: ServerConfig;
  /** Starts this session's instance; returns the client side of its in-memory transport. */
  connect(session: Session, ask: () => AskClient | undefined): Transport;
}

export interface FrontSession {
  readonly session: Session;
  readonly server: Server;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  close(): Promise<void>;
}

/**
 * Opens one agentwall session from the client's `initialize`: one upstream session per server, then
 * an MCP server that advertises their union and serves every request by routing it. The held
 * transport releases the client's messages to that server once it is connected.
 */
export async function openFrontSession(
  held: HeldTransport,
  init: InitializeRequest,
  sessionId: string,
  principal: Principal,
  deps: FrontSessionDeps,
): Promise<FrontSession> {
  const log = deps.log.child({ sessionId, principal: principal.id });
  const upstreams = new Map<string, Upstream>();
  // The upstreams' relay callbacks need the session context, which exists only once they have connected.
  const ref: { ctx?: SessionContext } = {};
  const session = createSession(sessionId, principal);
  const optionsFor = (name: string, config: ServerConfig) => ({
    name,
    config,
    clientInfo: init.params.clientInfo,
    clientCapabilities: init.params.capabilities,
    log,
    restartInitialDelayMs: deps.config.upstreams.restart_initial_delay,
    restartMaxDelayMs: deps.config.upstreams.restart_max_delay,
    connectTimeoutMs: deps.config.upstreams.connect_timeout,
    shield: deps.shield,
    onRequest: (request: Request, signal: AbortSignal) => relayRequest(ref.ctx, name, request, signal),
    onNotification: (n: Notification) => relayNotification(ref.ctx, name, n),
    onRestarted: () => announceListsChanged(ref.ctx, name),
  });
  for (const [name, config] of Object.entries(deps.servers)) {
    if (!config.enabled) continue;
    upstreams.set(name, new Upstream(optionsFor(name, config)));
  }
  for (const b of deps.builtins ?? []) {
    const transport = () => b.connect(session, () => ref.ctx?.ask);
    upstreams.set(b.name, new Upstream({ ...optionsFor(b.name, b.config), transport }));
  }
  const started = await Promise.allSettled([...upstreams.values()].map((u) => u.start()));
  started.forEach((s, i) => {
    if (s.status === 'rejected') {
      log.error({ server: [...upstreams.keys()][i], err: String(s.reason) }, 'upstream failed to start');
    }
  });

  const all = [...upstreams.values()];
  const capabilities = unionCapabilities(all.map((u) => u.capabilities));
  const server = new Server(
    { name: 'agentwall', version: VERSION },
    { capabilities, ...instructionsOf(all) },
  );
  const builtins = (deps.builtins ?? []).map((b) => ({ server: b.name, tools: b.tools }));
  const naming = createNaming(
    [...upstreams.keys()].filter((name) => !builtins.some((b) => b.server === name)),
    deps.config.naming.separator,
    deps.config.naming.prefix,
    builtins,
  );
  const ctx: SessionContext = {
    server,
    session,
    upstreams,
    naming,
    checkpoints: deps.checkpoints,
    log,
    tools: new Map(),
    inflight: new Map(),
    cancels: new Map(),
    approvals: deps.approvals,
    revision: deps.revision,
    ask: init.params.capabilities.elicitation ? elicitApproval(server) : undefined,
    send: (message, relatedRequestId) =>
      held.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }),
  };
  ref.ctx = ctx;
  held.intercept = (message) => interceptToolCalls(ctx, message);

  if (capabilities.tools) registerToolHandlers(ctx);
  if (capabilities.resources) registerResourceHandlers(ctx, capabilities.resources.subscribe === true);
  if (capabilities.prompts) registerPromptHandlers(ctx);
  if (capabilities.completions) registerCompletionHandler(ctx);
  if (capabilities.logging) registerLoggingHandler(ctx);
  server.setNotificationHandler(RootsListChangedNotificationSchema, async (n) => {
    await Promise.all(all.map((u) => u.notify(n).catch(() => undefined)));
  });

  const close = async () => {
    await Promise.all(all.map((u) => u.close()));
  };
  server.onclose = () => void close();
  await server.connect(held);
  held.release();
  log.info({ servers: [...upstreams.keys()], client: init.params.clientInfo }, 'session opened');
  return { session, server, upstreams, close };
}

/** `tools/call` and its cancellation go to the hot path; everything else to the SDK server. */
function interceptToolCalls(ctx: SessionContext, message: JSONRPCMessage): boolean {
  if (isJSONRPCRequest(message) && message.method === 'tools/call') {
    void handleToolCall(ctx, message);
    return true;
  }
  if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
    const { requestId, reason } = (message.params ?? {}) as { requestId?: RequestId; reason?: string };
    return requestId !== undefined && cancelToolCall(ctx, requestId, reason ?? 'cancelled by the client');
  }
  return false;
}

function instructionsOf(upstreams: readonly Upstream[]): { instructions?: string } {
  const parts = upstreams.filter((u) => u.instructions);
  if (parts.length === 0) return {};
  if (upstreams.length === 1) return { instructions: parts[0]?.instructions ?? '' };
  return { instructions: parts.map((u) => `## ${u.name}\n\n${u.instructions ?? ''}`).join('\n\n') };
}

async function relayRequest(
  ctx: SessionContext | undefined,
  server: string,
  request: Request,
  signal: AbortSignal,
): Promise<Result> {
  if (!ctx) throw new Error('the session is not open yet');
  const relatedRequestId = newestInflight(ctx, server);
  if (request.method === 'sampling/createMessage') request = await inspectSampling(ctx, server, request);
  return ctx.server.request(request, ResultSchema, {
    signal,
    ...(relatedRequestId === undefined ? {} : { relatedRequestId }),
  });
}

/**
 * A server's sampling request puts the server's text (messages, system prompt) into the client's model:
 * it passes the inbound checkpoint as a `prompt` event named `sampling/createMessage`, and goes on
 * cleaned (or spotlighted, redacted) — or is refused when the verdict withholds it.
 */
async function inspectSampling(ctx: SessionContext, server: string, request: Request): Promise<Request> {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const event: PromptEvent = {
    id: randomUUID(),
    kind: 'prompt',
    time: Date.now(),
    session: ctx.session,
    principal: ctx.session.principal,
    server,
    name: 'sampling/createMessage',
    args: {},
    result: {
      ...(typeof params.systemPrompt === 'string' ? { description: params.systemPrompt } : {}),
      messages: params.messages ?? [],
    },
  };
  const outcome = await ctx.checkpoints.inbound.process(event, ctx.checkpoints.prompt, {
    trust: ctx.upstreams.get(server)?.trust ?? 'untrusted',
    openWorld: false,
    label: `a sampling request of server "${server}"`,
  });
  if (!outcome.pass) throw toMcpError(withheld('this sampling request', outcome.verdict));
  const cleaned = outcome.value as { description?: string; messages?: unknown };
  return {
    ...request,
    params: {
      ...params,
      messages: cleaned.messages,
      ...(typeof cleaned.description === 'string' ? { systemPrompt: cleaned.description } : {}),
    },
  };
}

function relayNotification(ctx: SessionContext | undefined, server: string, n: Notification): void {
  if (!ctx) return;
  let out = n;
  if (n.method === 'notifications/resources/updated' && typeof n.params?.uri === 'string') {
    out = { ...n, params: { ...n.params, uri: ctx.naming.publicUri(server, n.params.uri) } };
  }
  const relatedRequestId = newestInflight(ctx, server);
  ctx.server
    .notification(out as never, relatedRequestId === undefined ? undefined : { relatedRequestId })
    .catch((err: unknown) => ctx.log.debug({ err, server, method: n.method }, 'notification not relayed'));
}

function announceListsChanged(ctx: SessionContext | undefined, server: string): void {
  if (!ctx) return;
  const caps = ctx.upstreams.get(server)?.capabilities;
  ctx.log.info({ server }, 'upstream restarted');
  if (caps?.tools) void ctx.server.sendToolListChanged().catch(() => undefined);
  if (caps?.resources) void ctx.server.sendResourceListChanged().catch(() => undefined);
  if (caps?.prompts) void ctx.server.sendPromptListChanged().catch(() => undefined);
}
