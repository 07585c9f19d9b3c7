import { approvePin, pinDiff, type PinErrorCode } from '../outbound/pinning.js';
import type { PinRecord, PinStore } from '../state/pins.js';
import type { AdminResponse, AdminRoute } from './router.js';

/** A pin as the list shows it: the definitions are left out (they can be large; `/diff` shows them). */
export function pinSummary(record: PinRecord) {
  return {
    server: record.server,
    tool: record.tool,
    status: record.status,
    hash: record.hash,
    first_seen: record.first_seen,
    ...(record.approved_at === undefined ? {} : { approved_at: record.approved_at }),
    ...(record.approved_by === undefined ? {} : { approved_by: record.approved_by }),
    ...(record.pending === undefined
      ? {}
      : { pending: { hash: record.pending.hash, seen_at: record.pending.seen_at } }),
  };
}

/** Stable codes of the pin endpoints' error bodies (docs/pinning.md): the store's, plus bad requests. */
type PinRouteErrorCode = PinErrorCode | 'PIN_INVALID_STATUS' | 'PIN_INVALID_BODY';

const STATUS_OF: Readonly<Record<PinRouteErrorCode, number>> = {
  PIN_NOT_FOUND: 404,
  PIN_NOT_CHANGED: 409,
  PIN_HASH_MISMATCH: 409,
  PIN_INVALID_STATUS: 400,
  PIN_INVALID_BODY: 400,
};

function failure(code: PinRouteErrorCode, message: string): AdminResponse {
  return { status: STATUS_OF[code], body: { error: { code, message } } };
}

function notFound(server: string, tool: string): AdminResponse {
  return failure('PIN_NOT_FOUND', `no pin for tool "${tool}" of server "${server}"`);
}

/**
 * The pin endpoints of the admin API (docs/pinning.md): list, review the diff of a changed tool, and
 * approve its new definition. `?server=` and `?status=` narrow the list.
 */
export function pinRoutes(store: PinStore): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/pins',
      handle({ query }) {
        const status = query.get('status');
        if (status !== null && status !== 'pinned' && status !== 'changed') {
          return failure(
            'PIN_INVALID_STATUS',
            `status must be pinned or changed, not ${JSON.stringify(status)}`,
          );
        }
        const pins = store
          .list(query.get('server') ?? undefined)
          .filter((p) => status === null || p.status === status)
          .map(pinSummary);
        return { status: 200, body: { pins } };
      },
    },
    {
      method: 'GET',
      path: '/admin/pins/:server/:tool/diff',
      handle({ params }) {
        const { server = '', tool = '' } = params;
        const record = store.get(server, tool);
        if (record === undefined) return notFound(server, tool);
        const pending = record.pending?.definition;
        const body = {
          ...pinSummary(record),
          diff: pinDiff(record) ?? '',
          pinned: record.definition,
          pending,
        };
        return { status: 200, body };
      },
    },
    {
      method: 'POST',
      path: '/admin/pins/:server/:tool/approve',
      async handle({ params, body, principal }) {
        const { server = '', tool = '' } = params;
        const hash = (body as { hash?: unknown } | undefined)?.hash;
        if (hash !== undefined && typeof hash !== 'string') {
          return failure('PIN_INVALID_BODY', '`hash` must be a string');
        }
        const result = await approvePin(store, server, tool, `admin:${principal}`, { hash });
        if (!result.ok) return failure(result.code, result.message);
        return { status: 200, body: { pin: pinSummary(result.record) } };
      },
    },
  ];
}
