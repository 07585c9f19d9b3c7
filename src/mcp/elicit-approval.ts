import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { AskClient } from '../outbound/approval-types.js';

/**
 * Asks the person at the MCP client to approve a held call (MCP spec, client: elicitation). Accept with
 * `approve: true` approves; accept with false, or decline, denies; cancel (or a client that fails to
 * answer) leaves the decision to the other channels (admin API, CLI) or to the expiry. When one of those
 * decides first, the question is withdrawn (the request is cancelled).
 */
export function elicitApproval(server: Server): AskClient {
  return async (message, signal) => {
    try {
      const r = await server.elicitInput(
        {
          message: `agentwall: ${message}`,
          requestedSchema: {
            type: 'object',
            properties: {
              approve: { type: 'boolean', title: 'Approve', description: 'Allow this tool call to run once' },
            },
            required: ['approve'],
          },
        },
        // Aborting sends notifications/cancelled: the client withdraws the question.
        { signal },
      );
      if (r.action === 'accept') return r.content?.approve === true ? 'approved' : 'denied';
      if (r.action === 'decline') return 'denied';
      return undefined;
    } catch {
      return undefined;
    }
  };
}
