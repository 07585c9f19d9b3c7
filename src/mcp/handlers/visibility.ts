import { randomUUID } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ContentInspection, ToolInfo, ToolsListEvent } from '../../core/events.js';
import type { Verdict } from '../../core/verdict.js';
import type { SessionContext } from '../session-context.js';

/**
 * Whether `tools_list` rules let this session's principal see a tool. Checked on every listing and
 * again on every call, so a hidden tool cannot be called by a client that guesses its name.
 */
export async function visibilityOf(ctx: SessionContext, server: string, tool: ToolInfo): Promise<Verdict> {
  const event: ToolsListEvent = {
    id: randomUUID(),
    kind: 'tools_list',
    time: Date.now(),
    session: ctx.session,
    principal: ctx.session.principal,
    server,
    tool,
    ...(tool.definition === undefined ? {} : { inspection: inspectionOf(ctx, tool.definition) }),
  };
  return ctx.checkpoints.toolsList.evaluate(event);
}

/** Per tool definition object: a listing's objects are reused for every call until the next listing. */
const inspections = new WeakMap<object, ContentInspection>();

function inspectionOf(ctx: SessionContext, definition: Readonly<Record<string, unknown>>): ContentInspection {
  let inspection = inspections.get(definition);
  if (inspection === undefined) {
    inspection = ctx.checkpoints.inspectTool(definition as Tool);
    inspections.set(definition, inspection);
  }
  return inspection;
}

export function isVisible(verdict: Verdict): boolean {
  return verdict.action === 'allow' || verdict.action === 'annotate';
}
