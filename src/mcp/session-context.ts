import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { JSONRPCMessage, RequestId, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import type { Session } from '../core/session.js';
import type { ApprovalService, AskClient } from '../outbound/approval-types.js';
import type { McpCheckpoints } from './checkpoints.js';
import type { Naming } from './naming.js';
import type { Upstream } from './upstream.js';

/** Everything the request handlers of one front session share. */
export interface SessionContext {
  readonly server: Server;
  readonly session: Session;
  /** Upstreams in configuration order (listings follow this order). */
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly naming: Naming;
  readonly checkpoints: McpCheckpoints;
  readonly log: Logger;
  /** The newest definition seen of each tool, by public name (for the gate's view of a call). */
  readonly tools: Map<string, Tool>;
  /**
   * Front requests in flight per upstream. A server→client request or a log message from that upstream
   * is sent on the stream of the newest one, so that a Streamable HTTP client receives it on the
   * response stream of the call that caused it (MCP spec, transports: "Sending Messages to the Server").
   */
  readonly inflight: Map<string, RequestId[]>;
  /** Cancels a `tools/call` in flight, by the client's request id. */
  readonly cancels: Map<RequestId, (reason: string) => void>;
  /** Holds calls that need approval; absent when none is configured (such calls are refused). */
  readonly approvals: ApprovalService | undefined;
  /** The policy revision in force (approvals are bound to it). */
  readonly revision: () => string;
  /** Asks the person at the client through MCP elicitation, when the client declared it. */
  readonly ask: AskClient | undefined;
  /** Sends a message to the client, on the stream of `relatedRequestId` where the transport has streams. */
  readonly send: (message: JSONRPCMessage, relatedRequestId?: RequestId) => Promise<void>;
}

export function upstreamFor(ctx: SessionContext, server: string): Upstream {
  const u = ctx.upstreams.get(server);
  if (!u) throw new AgentwallError(ErrorCode.UNKNOWN_TOOL, `unknown server "${server}"`);
  return u;
}

/** Runs `fn` with `requestId` recorded as in flight toward `server`. */
export async function trackInflight<T>(
  ctx: SessionContext,
  server: string,
  requestId: RequestId,
  fn: () => Promise<T>,
): Promise<T> {
  let list = ctx.inflight.get(server);
  if (!list) ctx.inflight.set(server, (list = []));
  list.push(requestId);
  try {
    return await fn();
  } finally {
    const i = list.lastIndexOf(requestId);
    if (i >= 0) list.splice(i, 1);
  }
}

export function newestInflight(ctx: SessionContext, server: string): RequestId | undefined {
  const list = ctx.inflight.get(server);
  return list?.[list.length - 1];
}
