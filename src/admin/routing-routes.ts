import { ErrorCode, isAgentwallError } from '../core/errors.js';
import type { LlmRouter } from '../routing/router.js';
import type { AdminResponse, AdminRoute } from './router.js';

/** What the console reads of the LLM router. */
export type RoutingConsole = Pick<LlmRouter, 'explain' | 'stats'>;

function failure(status: number, code: string, message: string): AdminResponse {
  return { status, body: { error: { code, message } } };
}

const NOT_CONFIGURED = () =>
  failure(
    404,
    'ROUTING_NOT_CONFIGURED',
    'the LLM router is off: the configuration has no `routing:` section',
  );

/**
 * The chat body the playground explains: `{ prompt }` becomes one user turn; `{ messages }` is taken
 * as it is (and `model`, default `auto`). Undefined when neither is given.
 */
export function playgroundBody(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const model = typeof b.model === 'string' && b.model !== '' ? b.model : 'auto';
  if (typeof b.prompt === 'string' && b.prompt.trim() !== '') {
    return { model, messages: [{ role: 'user', content: b.prompt }] };
  }
  if (Array.isArray(b.messages) && b.messages.length > 0) return { ...b, model };
  return undefined;
}

/**
 * The routing endpoints (docs/admin-api.md): counts per model and decision with the cache hit rate,
 * and a playground that computes the signals and the decision for a prompt without calling an
 * upstream. The playground explains as the admin principal; decisions reading `principal` see that.
 */
export function routingRoutes(router: RoutingConsole | undefined): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/routing/stats',
      handle() {
        if (!router) return NOT_CONFIGURED();
        const s = router.stats();
        const lookups = s.cache.hits + s.cache.misses;
        const hitRate = lookups === 0 ? null : s.cache.hits / lookups;
        return { status: 200, body: { ...s, cache: { ...s.cache, hit_rate: hitRate } } };
      },
    },
    {
      method: 'POST',
      path: '/admin/routing/playground',
      async handle({ body, principal }) {
        if (!router) return NOT_CONFIGURED();
        const chat = playgroundBody(body);
        if (chat === undefined) {
          return failure(
            400,
            'ROUTING_INVALID_BODY',
            'give { "prompt": "…" } or { "messages": [ … ] } (and optionally "model")',
          );
        }
        const started = performance.now();
        let r: Awaited<ReturnType<RoutingConsole['explain']>>;
        try {
          r = await router.explain(chat, { id: principal, roles: ['admin'], claims: {} });
        } catch (err) {
          // A body that is not a chat request, or names an unknown model: the caller's problem.
          if (!isAgentwallError(err, ErrorCode.INVALID_PARAMS)) throw err;
          return failure(400, 'ROUTING_INVALID_BODY', err.message);
        }
        const ms = Math.round((performance.now() - started) * 1000) / 1000;
        return { status: 200, body: { ...r, latency_ms: ms } };
      },
    },
  ];
}
