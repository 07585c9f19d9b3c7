import { mapErrors } from '../errors.js';
import { CompleteRequestSchema, SetLevelRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { AgentwallError, ErrorCode } from '../../core/errors.js';
import { upstreamFor, type SessionContext } from '../session-context.js';

/** completion/complete goes to the server that owns the prompt or resource it refers to. */
export function registerCompletionHandler(ctx: SessionContext): void {
  ctx.server.setRequestHandler(
    CompleteRequestSchema,
    mapErrors(async (req, extra) => {
      const ref = req.params.ref;
      const target = ref.type === 'ref/prompt' ? promptTarget(ctx, ref) : resourceTarget(ctx, ref);
      if (!target) {
        throw new AgentwallError(ErrorCode.UNKNOWN_PROMPT, `completion refers to an unknown ${ref.type}`, {
          data: { ref },
        });
      }
      return upstreamFor(ctx, target.server).request(
        { method: 'completion/complete', params: { ...req.params, ref: target.ref } },
        { signal: extra.signal },
      );
    }),
  );
}

/** logging/setLevel applies to every upstream that logs; the first failure is reported. */
export function registerLoggingHandler(ctx: SessionContext): void {
  ctx.server.setRequestHandler(
    SetLevelRequestSchema,
    mapErrors(async (req) => {
      const targets = [...ctx.upstreams.values()].filter(
        (u) => u.status === 'ready' && u.capabilities?.logging,
      );
      await Promise.all(targets.map((u) => u.request({ method: 'logging/setLevel', params: req.params })));
      return {};
    }),
  );
}

type Ref = { type: string; name?: string; uri?: string };

function promptTarget(ctx: SessionContext, ref: Ref): { server: string; ref: Ref } | undefined {
  const t = ctx.naming.parseName(ref.name ?? '');
  return t && { server: t.server, ref: { ...ref, name: t.name } };
}

function resourceTarget(ctx: SessionContext, ref: Ref): { server: string; ref: Ref } | undefined {
  const t = ctx.naming.parseUri(ref.uri ?? '');
  return t && { server: t.server, ref: { ...ref, uri: t.uri } };
}
