import { mapErrors } from '../errors.js';
import { ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { SessionContext } from '../session-context.js';
import { listAcross } from './list.js';

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
            ctx.tools.set(name, tool);
            return name === tool.name ? tool : { ...tool, name };
          },
        },
        req.params?.cursor,
      );
      return page;
    }),
  );
}
