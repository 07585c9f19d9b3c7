import { randomUUID } from 'node:crypto';
import type { CallToolResult, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { AgentwallError, ErrorCode, isAgentwallError } from '../../core/errors.js';
import type { ToolCallEvent, ToolResultEvent } from '../../core/events.js';
import { recordCall } from '../../core/session.js';
import { toMcpError } from '../errors.js';
import type { RawOutcome } from '../raw-calls.js';
import { enforceCall } from '../../outbound/gate.js';
import { trackInflight, type SessionContext } from '../session-context.js';
import { publicContent } from '../content-uris.js';
import { definitionOf, toolInfoOf } from './tools.js';
import { isVisible, visibilityOf } from './visibility.js';

/**
 * `tools/call`, the proxy's hot path: taken off the front transport before the SDK server sees it,
 * gated by the outbound pipeline, sent to the upstream on its raw path, and the upstream's answer —
 * gated by the inbound pipeline — returned unchanged. Nothing here is specific to one front.
 */
export async function handleToolCall(ctx: SessionContext, req: JSONRPCRequest): Promise<void> {
  const audit: Recording = {};
  try {
    const outcome = await gateToolCall(ctx, req, audit);
    // The reply acknowledges the call: the record of its verdict is committed first.
    if (audit.recorded !== undefined && !(await audit.recorded)) {
      throw new AgentwallError(
        ErrorCode.AUDIT_UNAVAILABLE,
        `agentwall could not write the audit record of this call (${audit.forwarded === true ? 'it was forwarded' : 'it was not forwarded'}); ` +
          'no further calls are forwarded until the audit log can be written again',
        { data: { forwarded: audit.forwarded === true } },
      );
    }
    await ctx.send({ jsonrpc: '2.0', id: req.id, ...outcome });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') return; // cancelled: no response
    const e = isAgentwallError(err) ? toMcpError(err) : undefined;
    if (!e) ctx.log.error({ err }, 'tools/call failed');
    const error = e
      ? { code: e.code, message: e.message, data: e.data }
      : { code: -32603, message: 'Internal error' };
    await ctx.send({ jsonrpc: '2.0', id: req.id, error }).catch(() => undefined);
  }
}

/** The client cancelled a call in flight (MCP spec, utilities: cancellation). */
export function cancelToolCall(ctx: SessionContext, requestId: RequestId, reason: string): boolean {
  const cancel = ctx.cancels.get(requestId);
  cancel?.(reason);
  return cancel !== undefined;
}

/** The commit of a call's verdict record, started when the call is decided. */
interface Recording {
  recorded?: Promise<boolean>;
  forwarded?: boolean;
}

async function gateToolCall(ctx: SessionContext, req: JSONRPCRequest, audit: Recording): Promise<RawOutcome> {
  const params = req.params;
  const name = params?.name;
  const args = params?.arguments ?? {};
  if (typeof name !== 'string' || typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new AgentwallError(
      ErrorCode.INVALID_PARAMS,
      'tools/call needs params.name (a string) and params.arguments (an object)',
    );
  }
  const target = ctx.naming.parseName(name);
  const upstream = target && ctx.upstreams.get(target.server);
  if (!target || !upstream) {
    throw new AgentwallError(ErrorCode.UNKNOWN_TOOL, `unknown tool "${name}"`, { data: { tool: name } });
  }
  const tool = toolInfoOf(target.name, await definitionOf(ctx, name, target.server));
  const visibility = await visibilityOf(ctx, target.server, tool);
  if (!isVisible(visibility)) {
    const rules = visibility.rules.filter((r) => r.mode === 'enforce').map((r) => r.id);
    return {
      result: refusal(
        'call',
        visibility.action,
        rules,
        `tool "${name}" is not available to ${ctx.session.principal.id}`,
        visibility.eventId,
      ),
    };
  }
  const call: ToolCallEvent = {
    id: randomUUID(),
    kind: 'tool_call',
    time: Date.now(),
    session: ctx.session,
    principal: ctx.session.principal,
    server: target.server,
    tool,
    args: args as Record<string, unknown>,
  };
  const verdict = await ctx.checkpoints.toolCall.evaluate(call);
  recordCall(ctx.session, { server: call.server, tool: tool.name, action: verdict.action, time: call.time });
  const gate = await enforceCall(call, verdict, {
    approvals: ctx.approvals,
    revision: ctx.revision,
    ask: ctx.ask,
  });
  // While the audit log cannot be written, nothing is forwarded: no record, no action (fail closed).
  if (ctx.checkpoints.audit?.isFailing === true && gate.forward && !(await ctx.checkpoints.audit.durable())) {
    throw new AgentwallError(
      ErrorCode.AUDIT_UNAVAILABLE,
      `agentwall cannot write its audit log, so it did not forward this call to "${call.server}"`,
      { data: { server: call.server, tool: tool.name } },
    );
  }
  // Otherwise the record commits while the call is upstream; the reply waits for it (handleToolCall).
  audit.recorded = ctx.checkpoints.audit?.durable();
  audit.forwarded = gate.forward;
  if (!gate.forward) {
    return { result: refusal('call', verdict.action, gate.rules, gate.reason, verdict.eventId) };
  }

  const meta = params?._meta as { progressToken?: string | number } | undefined;
  const progressToken = meta?.progressToken;
  const forwarded = upstream.forward(
    'tools/call',
    { ...params, name: target.name, arguments: gate.args },
    progressToken === undefined
      ? undefined
      : (p) =>
          void ctx
            .send(
              { jsonrpc: '2.0', method: 'notifications/progress', params: { ...p, progressToken } },
              req.id,
            )
            .catch(() => undefined),
  );
  ctx.cancels.set(req.id, forwarded.cancel);
  let outcome;
  try {
    outcome = await trackInflight(ctx, target.server, req.id, () => forwarded.promise);
  } finally {
    ctx.cancels.delete(req.id);
  }
  if ('error' in outcome) return outcome; // the upstream's own JSON-RPC error, passed through as it is
  const result = outcome.result as CallToolResult;
  const inbound: ToolResultEvent = {
    id: randomUUID(),
    kind: 'tool_result',
    time: Date.now(),
    session: ctx.session,
    principal: ctx.session.principal,
    server: target.server,
    tool,
    callId: call.id,
    result,
    isError: result.isError === true,
  };
  const inboundOutcome = await ctx.checkpoints.inbound.process(inbound, ctx.checkpoints.toolResult, {
    trust: upstream.trust,
    openWorld: tool.annotations?.openWorldHint === true,
    label: `tool "${name}"`,
    ...urlOf(call.args),
  });
  if (inboundOutcome.pass) {
    const passed = inboundOutcome.value as CallToolResult;
    const content = Array.isArray(passed.content)
      ? publicContent(ctx.naming, target.server, passed.content)
      : passed.content;
    return { result: content === passed.content ? passed : { ...passed, content } };
  }
  const resultVerdict = inboundOutcome.verdict;
  const rules = resultVerdict.rules
    .filter((r) => r.mode === 'enforce' && r.action === resultVerdict.action)
    .map((r) => r.id);
  return {
    result: refusal(
      'result',
      resultVerdict.action,
      rules,
      resultVerdict.message ?? `action ${resultVerdict.action}`,
      resultVerdict.eventId,
    ),
  };
}

/**
 * A refused call or result is a tool error the model can read and adapt to, not a protocol error
 * (MCP spec, tools: "Error Handling"); it names the rules and the reason.
 */
function refusal(
  what: 'call' | 'result',
  action: string,
  rules: readonly string[],
  reason: string,
  eventId: string,
): CallToolResult {
  const did = what === 'call' ? 'refused this tool call' : 'withheld this tool result';
  return {
    content: [
      {
        type: 'text',
        text: `agentwall ${did} (${action}; rules: ${rules.join(', ') || 'default'}): ${reason}`,
      },
    ],
    isError: true,
    _meta: { 'agentwall/verdict': { action, rules, event_id: eventId } },
  };
}

/**
 * Where a tool result came from on the web, when the call says so: the first top-level http(s) URL
 * argument (`url`, `uri`, `href`, `link`, as fetch and browse tools take). It becomes the taint source's
 * URL, so memory derived from that result can be revoked by URL pattern (docs/memory.md).
 */
export function urlOf(args: Readonly<Record<string, unknown>>): { url?: string } {
  for (const name of ['url', 'uri', 'href', 'link']) {
    const value = args[name];
    if (typeof value === 'string' && /^https?:\/\//i.test(value) && value.length <= 2048)
      return { url: value };
  }
  return {};
}
