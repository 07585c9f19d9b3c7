import { mapErrors, withheld } from '../errors.js';
import { randomUUID } from 'node:crypto';
import {
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import { AgentwallError, ErrorCode } from '../../core/errors.js';
import type { ResourceEvent } from '../../core/events.js';
import { trackInflight, upstreamFor, type SessionContext } from '../session-context.js';
import { forwardOptions } from './forward.js';
import { listAcross } from './list.js';

export function registerResourceHandlers(ctx: SessionContext, canSubscribe: boolean): void {
  const offers = (u: { capabilities?: { resources?: object } | undefined }) =>
    u.capabilities?.resources !== undefined;

  ctx.server.setRequestHandler(
    ListResourcesRequestSchema,
    mapErrors((req) =>
      listAcross<Resource>(
        ctx,
        { method: 'resources/list', key: 'resources', offers, rename: (s, r) => renameUri(ctx, s, r) },
        req.params?.cursor,
      ),
    ),
  );
  ctx.server.setRequestHandler(
    ListResourceTemplatesRequestSchema,
    mapErrors((req) =>
      listAcross<ResourceTemplate>(
        ctx,
        {
          method: 'resources/templates/list',
          key: 'resourceTemplates',
          offers,
          rename: (server, t) => {
            const uriTemplate = ctx.naming.publicUri(server, t.uriTemplate);
            return uriTemplate === t.uriTemplate ? t : { ...t, uriTemplate };
          },
        },
        req.params?.cursor,
      ),
    ),
  );

  ctx.server.setRequestHandler(
    ReadResourceRequestSchema,
    mapErrors(async (req, extra) => {
      const target = parse(ctx, req.params.uri);
      const upstream = upstreamFor(ctx, target.server);
      const result = await trackInflight(ctx, target.server, extra.requestId, () =>
        upstream.request<ReadResourceResult>(
          { method: 'resources/read', params: { ...req.params, uri: target.uri } },
          forwardOptions(req.params._meta?.progressToken, extra),
        ),
      );
      const event: ResourceEvent = {
        id: randomUUID(),
        kind: 'resource',
        time: Date.now(),
        session: ctx.session,
        principal: ctx.session.principal,
        server: target.server,
        uri: target.uri,
        result,
      };
      const outcome = await ctx.checkpoints.inbound.process(event, ctx.checkpoints.resource, {
        trust: upstream.trust,
        openWorld: false,
        label: `resource ${req.params.uri}`,
        url: target.uri,
      });
      if (!outcome.pass) throw withheld(req.params.uri, outcome.verdict);
      const passed = outcome.value as ReadResourceResult;
      return {
        ...passed,
        contents: passed.contents.map((c) => ({ ...c, uri: ctx.naming.publicUri(target.server, c.uri) })),
      };
    }),
  );

  if (!canSubscribe) return;
  for (const schema of [SubscribeRequestSchema, UnsubscribeRequestSchema]) {
    ctx.server.setRequestHandler(
      schema,
      mapErrors(async (req, extra) => {
        const target = parse(ctx, req.params.uri);
        return upstreamFor(ctx, target.server).request(
          { method: req.method, params: { ...req.params, uri: target.uri } },
          { signal: extra.signal },
        );
      }),
    );
  }
}

function renameUri<T extends { uri: string }>(ctx: SessionContext, server: string, item: T): T {
  const uri = ctx.naming.publicUri(server, item.uri);
  return uri === item.uri ? item : { ...item, uri };
}

function parse(ctx: SessionContext, uri: string): { server: string; uri: string } {
  const target = ctx.naming.parseUri(uri);
  if (!target) {
    throw new AgentwallError(ErrorCode.UNKNOWN_RESOURCE, `unknown resource "${uri}": no server prefix`, {
      data: { uri },
    });
  }
  return target;
}
