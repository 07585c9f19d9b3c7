import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { AgentwallError, ErrorCode, isAgentwallError } from '../core/errors.js';
import type { Verdict } from '../core/verdict.js';

/**
 * JSON-RPC codes for agentwall's own errors. Client faults use the spec's codes (-32602 invalid
 * params); upstream trouble uses the SDK's server-defined codes (-32000 connection closed, -32001
 * request timeout). Anything unexpected becomes -32603, never a client-fault code.
 */
const RPC_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.INVALID_PARAMS]: -32602,
  [ErrorCode.UNKNOWN_TOOL]: -32602,
  [ErrorCode.UNKNOWN_PROMPT]: -32602,
  [ErrorCode.INVALID_CURSOR]: -32602,
  [ErrorCode.UNKNOWN_RESOURCE]: -32002, // MCP spec, resources: "Resource not found"
  [ErrorCode.UPSTREAM_UNAVAILABLE]: -32000,
  [ErrorCode.UPSTREAM_CLOSED]: -32000,
  [ErrorCode.UPSTREAM_TIMEOUT]: -32001,
  [ErrorCode.CONTENT_WITHHELD]: -32003,
};

export function toMcpError(err: AgentwallError): McpError {
  const e = new McpError(RPC_CODE[err.code] ?? -32603, err.message, { ...err.data, code: err.code });
  // McpError prefixes "MCP error <code>: "; the client should read our message as written.
  e.message = err.message;
  return e;
}

/** Wraps a request handler so that agentwall's errors reach the client with their JSON-RPC code. */
export function mapErrors<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw isAgentwallError(err) ? toMcpError(err) : err;
    }
  };
}

/** Content the inbound checkpoint withheld (a resource, a prompt, a sampling request), as a `CONTENT_WITHHELD` error. */
export function withheld(what: string, verdict: Verdict): AgentwallError {
  return new AgentwallError(ErrorCode.CONTENT_WITHHELD, `agentwall withheld ${what} (${verdict.action})`, {
    data: { action: verdict.action, rules: verdict.rules.map((r) => r.id), event_id: verdict.eventId },
  });
}
