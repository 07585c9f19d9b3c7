import { mapErrors, withheld } from '../errors.js';
import { randomUUID } from 'node:crypto';
import {
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  type GetPromptResult,
  type Prompt,
} from '@modelcontextprotocol/sdk/types.js';
import { AgentwallError, ErrorCode } from '../../core/errors.js';
import type { PromptEvent } from '../../core/events.js';
import { trackInflight, upstreamFor, type SessionContext } from '../session-context.js';
import { forwardOptions } from './forward.js';
import { owns } from '../naming.js';
import { listAcross } from './list.js';
import { shadowed } from './tools.js';
import { publicContent } from '../content-uris.js';

export function registerPromptHandlers(ctx: SessionContext): void {
  ctx.server.setRequestHandler(
    ListPromptsRequestSchema,
    mapErrors((req) =>
      listAcross<Prompt>(
        ctx,
        {
          method: 'prompts/list',
          key: 'prompts',
          offers: (u) => u.capabilities?.prompts !== undefined,
          rename: (server, p) => {
            const name = ctx.naming.publicName(server, p.name);
            if (!owns(ctx.naming, server, name)) return shadowed(ctx, server, name);
            return name === p.name ? p : { ...p, name };
          },
        },
        req.params?.cursor,
      ),
    ),
  );

  ctx.server.setRequestHandler(
    GetPromptRequestSchema,
    mapErrors(async (req, extra) => {
      const target = ctx.naming.parseName(req.params.name);
      if (!target) {
        throw new AgentwallError(ErrorCode.UNKNOWN_PROMPT, `unknown prompt "${req.params.name}"`, {
          data: { prompt: req.params.name },
        });
      }
      const upstream = upstreamFor(ctx, target.server);
      const upstreamResult = await trackInflight(ctx, target.server, extra.requestId, () =>
        upstream.request<GetPromptResult>(
          { method: 'prompts/get', params: { ...req.params, name: target.name } },
          forwardOptions(req.params._meta?.progressToken, extra),
        ),
      );
      const event: PromptEvent = {
        id: randomUUID(),
        kind: 'prompt',
        time: Date.now(),
        session: ctx.session,
        principal: ctx.session.principal,
        server: target.server,
        name: target.name,
        args: req.params.arguments ?? {},
        result: upstreamResult,
      };
      const outcome = await ctx.checkpoints.inbound.process(event, ctx.checkpoints.prompt, {
        trust: upstream.trust,
        openWorld: false,
        label: `prompt "${req.params.name}"`,
      });
      if (!outcome.pass) throw withheld(`prompt ${req.params.name}`, outcome.verdict);
      const result = outcome.value as GetPromptResult;
      if (!ctx.naming.isPrefixed) return result;
      return {
        ...result,
        messages: result.messages.map((m) => ({
          ...m,
          content: publicContent(ctx.naming, target.server, [m.content])[0] ?? m.content,
        })),
      };
    }),
  );
}
