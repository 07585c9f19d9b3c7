import { mapErrors } from '../errors.js';
import { randomUUID } from 'node:crypto';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { AgentwallError, ErrorCode } from '../../core/errors.js';
import type { ToolCallEvent, ToolInfo, ToolResultEvent } from '../../core/events.js';
import { recordCall } from '../../core/session.js';
import type { Verdict } from '../../core/verdict.js';
import { trackInflight, upstreamFor, type SessionContext } from '../session-context.js';
import { listAcross } from './list.js';
import { forwardOptions } from './forward.js';

export function registerToolHandlers(ctx: SessionContext): void {
  ctx.server.setRequestHandler(
    ListToolsRequestSchema,
    mapErrors(async (req) => {
      const page = await listAcross<Tool>(
        ctx,
        {
          method: 'tools/list',
          key: 'tools',
          offers: (u) => u.capabilities?.tools !== undefined,
          rename: (server, tool) => {
            const name = ctx.naming.publicName(server, tool.name);
            ctx.tools.set(name, tool);
            return name === tool.name ? tool : { ...tool, name };
          },
        },
        req.params?.cursor,
      );
      return page;
    }),
  );

  ctx.server.setRequestHandler(
    CallToolRequestSchema,
    mapErrors(async (req, extra) => {
      const target = ctx.naming.parseName(req.params.name);
      if (!target) {
        throw new AgentwallError(ErrorCode.UNKNOWN_TOOL, `unknown tool "${req.params.name}"`, {
          data: { tool: req.params.name },
        });
      }
      const upstream = upstreamFor(ctx, target.server);
      const tool = toolInfo(ctx.tools.get(req.params.name), target.name);
      const call: ToolCallEvent = {
        id: randomUUID(),
        kind: 'tool_call',
        time: Date.now(),
        session: ctx.session,
        principal: ctx.session.principal,
        server: target.server,
        tool,
        args: req.params.arguments ?? {},
      };
      const verdict = await ctx.checkpoints.toolCall.evaluate(call);
      recordCall(ctx.session, {
        server: call.server,
        tool: tool.name,
        action: verdict.action,
        time: call.time,
      });
      if (verdict.action !== 'allow' && verdict.action !== 'annotate') return refusal(verdict, 'call');

      const result = await trackInflight(ctx, target.server, extra.requestId, () =>
        upstream.request<CallToolResult>(
          { method: 'tools/call', params: { ...req.params, name: target.name } },
          forwardOptions(req.params._meta?.progressToken, extra),
        ),
      );
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
      const resultVerdict = await ctx.checkpoints.toolResult.evaluate(inbound);
      if (resultVerdict.action !== 'allow' && resultVerdict.action !== 'annotate') {
        return refusal(resultVerdict, 'result');
      }
      return result;
    }),
  );
}

function toolInfo(tool: Tool | undefined, name: string): ToolInfo {
  if (!tool) return { name };
  return {
    name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
  };
}

/**
 * A refused call or result is a tool error the model can read and adapt to, not a protocol error
 * (MCP spec, tools: "Error Handling"). Actions this version cannot yet carry out are refused too:
 * failing closed is the only safe reading of a verdict that cannot be enforced.
 */
function refusal(verdict: Verdict, what: 'call' | 'result'): CallToolResult {
  const rules = verdict.rules
    .filter((r) => r.mode === 'enforce' && r.action === verdict.action)
    .map((r) => r.id);
  const reason = verdict.message ?? `action ${verdict.action}`;
  const text =
    what === 'call'
      ? `agentwall refused this tool call (${verdict.action}; rules: ${rules.join(', ') || 'default'}): ${reason}`
      : `agentwall withheld this tool result (${verdict.action}; rules: ${rules.join(', ') || 'default'}): ${reason}`;
  return {
    content: [{ type: 'text', text }],
    isError: true,
    _meta: { 'agentwall/verdict': { action: verdict.action, rules, event_id: verdict.eventId } },
  };
}
