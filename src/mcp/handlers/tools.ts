import { mapErrors } from '../errors.js';
import { ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolInfo } from '../../core/events.js';
import { sha256Canonical } from '../../state/canonical.js';
import type { SessionContext } from '../session-context.js';
import { owns } from '../naming.js';
import { listAcross } from './list.js';
import { isVisible, visibilityOf } from './visibility.js';

/** `tools/list` across servers; `tools/call` is taken off the transport earlier (tool-call.ts). */
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
            if (!owns(ctx.naming, server, name)) return shadowed(ctx, server, name);
            ctx.tools.set(name, tool);
            return name === tool.name ? tool : { ...tool, name };
          },
        },
        req.params?.cursor,
      );
      const tools = (page.tools as Tool[] | undefined) ?? [];
      const shown = await Promise.all(
        tools.map(async (t) => {
          const target = ctx.naming.parseName(t.name);
          if (!target) return true;
          // Pins hash the upstream's own definition (its own name), as it was listed.
          const pinned = ctx.checkpoints.listedTool;
          if (
            pinned &&
            !(await pinned(target.server, ctx.tools.get(t.name) ?? { ...t, name: target.name }))
          ) {
            return false;
          }
          return isVisible(
            await visibilityOf(ctx, target.server, toolInfoOf(target.name, ctx.tools.get(t.name) ?? t)),
          );
        }),
      );
      return { ...page, tools: tools.filter((_t, i) => shown[i]) };
    }),
  );
}

/**
 * The upstream's definition of a tool by its public name. A client may call a tool without listing
 * first; agentwall then lists that server's tools itself (once per session), so that the gate sees the
 * tool's annotations and schema, never a bare name.
 */
export async function definitionOf(
  ctx: SessionContext,
  publicName: string,
  server: string,
): Promise<Tool | undefined> {
  const known = ctx.tools.get(publicName);
  if (known !== undefined) return known;
  const upstream = ctx.upstreams.get(server);
  if (upstream?.status !== 'ready' || upstream.capabilities?.tools === undefined) return undefined;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
    const result = await upstream.request({
      method: 'tools/list',
      params: cursor === undefined ? {} : { cursor },
    });
    for (const tool of (result.tools as Tool[] | undefined) ?? []) {
      const name = ctx.naming.publicName(server, tool.name);
      if (owns(ctx.naming, server, name) && !ctx.tools.has(name)) ctx.tools.set(name, tool);
    }
    cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
    if (cursor === undefined) break;
  }
  return ctx.tools.get(publicName);
}

const MAX_LOOKUP_PAGES = 50;

/** Leaves out an upstream item whose public name a built-in server's tool takes (naming.ts). */
export function shadowed(ctx: SessionContext, server: string, name: string): undefined {
  ctx.log.warn({ server, name }, 'left out of the listing: a built-in server has a tool of this name');
  return undefined;
}

export function toolInfoOf(name: string, tool: Tool | undefined): ToolInfo {
  if (!tool) return { name };
  return {
    name,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
    schemaHash: schemaHashOf(tool),
    definition: tool,
  };
}

/** Per tool definition object (a listing's objects are reused for every call until the next listing). */
const schemaHashes = new WeakMap<Tool, string>();

function schemaHashOf(tool: Tool): string {
  let h = schemaHashes.get(tool);
  if (h === undefined) {
    h = sha256Canonical({ inputSchema: tool.inputSchema, outputSchema: tool.outputSchema ?? null });
    schemaHashes.set(tool, h);
  }
  return h;
}
