import type { QuarantineRecord, QuarantineStore } from '../state/quarantine.js';
import type { AdminResponse, AdminRoute } from './router.js';

/** A record as the list shows it: the original content is left out (`GET /admin/quarantine/:id` has it). */
export function quarantineSummary(record: QuarantineRecord) {
  const { original: _original, ...summary } = record;
  return summary;
}

function notFound(id: string): AdminResponse {
  return {
    status: 404,
    body: { error: { code: 'QUARANTINE_NOT_FOUND', message: `no quarantined content ${id}` } },
  };
}

/**
 * The quarantine endpoints of the admin API (docs/inbound.md, "Quarantine"): list what the inbound
 * checkpoint withheld, view one record with the original content, and release it (a reviewed mark).
 */
export function quarantineRoutes(store: QuarantineStore): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/quarantine',
      handle({ query }) {
        const status = query.get('status');
        if (status !== null && status !== 'held' && status !== 'released') {
          return {
            status: 400,
            body: {
              error: {
                code: 'QUARANTINE_INVALID_STATUS',
                message: `status must be held or released, not ${JSON.stringify(status)}`,
              },
            },
          };
        }
        const records = store.list(status === null ? {} : { status });
        return { status: 200, body: { quarantine: records.map(quarantineSummary) } };
      },
    },
    {
      method: 'GET',
      path: '/admin/quarantine/:id',
      handle({ params }) {
        const record = store.get(params.id ?? '');
        return record ? { status: 200, body: record } : notFound(params.id ?? '');
      },
    },
    {
      method: 'POST',
      path: '/admin/quarantine/:id/release',
      async handle({ params, principal }) {
        const change = await store.release(params.id ?? '', principal);
        if (change.ok) return { status: 200, body: quarantineSummary(change.record) };
        if (change.code === 'not_found') return notFound(params.id ?? '');
        return {
          status: 409,
          body: { error: { code: 'QUARANTINE_ALREADY_RELEASED', message: change.message } },
        };
      },
    },
  ];
}
