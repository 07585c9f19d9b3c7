import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { AgentwallError, ErrorCode, isAgentwallError } from '../core/errors.js';

export interface ErrorContext {
  readonly server: string;
  readonly method: string;
  readonly timeoutMs: number;
  /** Whether the upstream is still connected (a "connection closed" then is the upstream's own error). */
  readonly isReady: boolean;
}

/**
 * What a failed upstream request means to the client. Upstream JSON-RPC errors pass through
 * unchanged; closures, timeouts and transport failures become agentwall errors naming the server.
 * `isTransportFailure` tells the caller to drop the connection (an HTTP upstream that was refused,
 * reset, or lost its session reconnects).
 */
export function explainUpstreamError(
  err: unknown,
  c: ErrorContext,
): { error: unknown; isTransportFailure: boolean } {
  const data = { server: c.server };
  if (isAgentwallError(err)) return { error: err, isTransportFailure: false };
  if (err instanceof McpError) {
    if (err.code === -32000 && !c.isReady) {
      const message = `upstream server "${c.server}" closed the connection during ${c.method}; agentwall is restarting it`;
      return {
        error: new AgentwallError(ErrorCode.UPSTREAM_CLOSED, message, { cause: err, data }),
        isTransportFailure: false,
      };
    }
    if (err.code === -32001) {
      const message = `upstream server "${c.server}" did not answer ${c.method} within ${c.timeoutMs} ms`;
      return {
        error: new AgentwallError(ErrorCode.UPSTREAM_TIMEOUT, message, { cause: err, data }),
        isTransportFailure: false,
      };
    }
    return { error: err, isTransportFailure: false };
  }
  if (err instanceof Error && err.name === 'AbortError') return { error: err, isTransportFailure: false };
  const message = `upstream server "${c.server}" failed during ${c.method}: ${err instanceof Error ? err.message : String(err)}`;
  return {
    error: new AgentwallError(ErrorCode.UPSTREAM_CLOSED, message, { cause: err, data }),
    isTransportFailure: true,
  };
}
