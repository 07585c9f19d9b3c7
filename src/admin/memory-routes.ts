import type { Compensator } from '../memory/compensate.js';
import type { MemoryStore } from '../state/memory.js';
import type { ActorOptions, RevokeCriteria } from '../state/memory-types.js';
import type { AdminResponse, AdminRoute } from './router.js';

type MemoryErrorCode =
  'MEMORY_NOT_FOUND' | 'MEMORY_INVALID_BODY' | 'MEMORY_NO_CRITERIA' | 'MEMORY_ALREADY_RESTORED';

const STATUS_OF: Readonly<Record<MemoryErrorCode, number>> = {
  MEMORY_NOT_FOUND: 404,
  MEMORY_INVALID_BODY: 400,
  MEMORY_NO_CRITERIA: 400,
  MEMORY_ALREADY_RESTORED: 409,
};

function failure(code: MemoryErrorCode, message: string): AdminResponse {
  return { status: STATUS_OF[code], body: { error: { code, message } } };
}

const STRING_CRITERIA = [
  'session',
  'principal',
  'server',
  'tool',
  'url',
  'content_hash',
  'label',
  'namespace',
] as const;

/** The criteria of a revoke body, or why they are not valid. */
function criteriaOf(body: Record<string, unknown>): RevokeCriteria | string {
  const out: Record<string, unknown> = {};
  for (const k of STRING_CRITERIA) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') return `\`${k}\` must be a non-empty string`;
    out[k] = v;
  }
  if (body.ids !== undefined) {
    if (!Array.isArray(body.ids) || !body.ids.every((x) => Number.isSafeInteger(x) && (x as number) > 0)) {
      return '`ids` must be a list of version ids';
    }
    out.ids = body.ids;
  }
  for (const k of ['since', 'until'] as const) {
    const v = body[k];
    if (v === undefined) continue;
    const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : Number.NaN;
    if (!Number.isFinite(ms)) return `\`${k}\` must be an ISO 8601 time or milliseconds`;
    out[k] = ms;
  }
  if (body.cascade !== undefined && typeof body.cascade !== 'boolean') return '`cascade` must be a boolean';
  if (body.cascade !== undefined) out.cascade = body.cascade;
  return out;
}

function actorOf(body: Record<string, unknown>, principal: string): ActorOptions | string {
  if (body.reason !== undefined && typeof body.reason !== 'string') return '`reason` must be a string';
  if (body.dry_run !== undefined && typeof body.dry_run !== 'boolean') return '`dry_run` must be a boolean';
  return {
    by: `admin:${principal}`,
    dryRun: body.dry_run === true,
    ...(typeof body.reason === 'string' ? { reason: body.reason } : {}),
  };
}

function objectBody(body: unknown): Record<string, unknown> | undefined {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

/**
 * The memory endpoints of the admin API (docs/memory.md, "Admin API"). Admins see every version,
 * revoked and quarantined ones included; agents never reach these routes.
 */
export function memoryRoutes(memory: MemoryStore, options: { compensate?: Compensator } = {}): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/memory/namespaces',
      handle: () => ({ status: 200, body: { namespaces: memory.namespaces() } }),
    },
    {
      method: 'GET',
      path: '/admin/memory/namespaces/:ns/items',
      handle({ params, query }) {
        const prefix = query.get('prefix');
        const items = memory.list(params.ns ?? '', prefix === null ? {} : { prefix });
        return { status: 200, body: { namespace: params.ns, items } };
      },
    },
    {
      method: 'GET',
      path: '/admin/memory/namespaces/:ns/items/:key/history',
      handle({ params }) {
        const versions = memory.history(params.ns ?? '', params.key ?? '');
        if (versions.length === 0)
          return failure('MEMORY_NOT_FOUND', `no versions of ${params.ns}/${params.key}`);
        return { status: 200, body: { namespace: params.ns, key: params.key, versions } };
      },
    },
    {
      method: 'GET',
      path: '/admin/memory/versions/:id',
      handle({ params }) {
        const v = memory.version(Number(params.id));
        return v ? { status: 200, body: v } : failure('MEMORY_NOT_FOUND', `no version ${params.id}`);
      },
    },
    {
      method: 'GET',
      path: '/admin/memory/versions/:id/provenance',
      handle({ params }) {
        const g = memory.provenance(Number(params.id));
        return g ? { status: 200, body: g } : failure('MEMORY_NOT_FOUND', `no version ${params.id}`);
      },
    },
    {
      method: 'GET',
      path: '/admin/memory/revocations',
      handle: () => ({ status: 200, body: { revocations: memory.revocations() } }),
    },
    {
      method: 'GET',
      path: '/admin/memory/external',
      handle: () => ({ status: 200, body: { external: memory.externalWrites() } }),
    },
    {
      method: 'POST',
      path: '/admin/memory/revoke',
      async handle({ body, principal }) {
        const b = objectBody(body);
        if (b === undefined) return failure('MEMORY_INVALID_BODY', 'the body must be a JSON object');
        const criteria = criteriaOf(b);
        const actor = actorOf(b, principal);
        if (typeof criteria === 'string') return failure('MEMORY_INVALID_BODY', criteria);
        if (typeof actor === 'string') return failure('MEMORY_INVALID_BODY', actor);
        if (b.compensate !== undefined && typeof b.compensate !== 'boolean') {
          return failure('MEMORY_INVALID_BODY', '`compensate` must be a boolean');
        }
        const r = await memory.revoke(criteria, actor);
        if (!r.ok)
          return failure(r.code === 'no_criteria' ? 'MEMORY_NO_CRITERIA' : 'MEMORY_INVALID_BODY', r.message);
        // Compensating calls change other servers: only on a real revocation, and only when asked.
        if (b.compensate === true && r.revocation !== undefined && options.compensate) {
          const compensations = await options.compensate(r.revocation.id, r.external);
          return { status: 200, body: { ...r, compensations } };
        }
        return { status: 200, body: r };
      },
    },
    {
      method: 'POST',
      path: '/admin/memory/rollback',
      async handle({ body, principal }) {
        const b = objectBody(body) ?? {};
        const to = typeof b.to === 'number' ? b.to : typeof b.to === 'string' ? Date.parse(b.to) : Number.NaN;
        if (typeof b.namespace !== 'string' || b.namespace === '' || !Number.isFinite(to)) {
          return failure(
            'MEMORY_INVALID_BODY',
            '`namespace` (string) and `to` (ISO 8601 time or ms) are required',
          );
        }
        const actor = actorOf(b, principal);
        if (typeof actor === 'string') return failure('MEMORY_INVALID_BODY', actor);
        const r = await memory.rollback({ namespace: b.namespace, to, cascade: b.cascade === true }, actor);
        if (!r.ok) return failure('MEMORY_INVALID_BODY', r.message);
        return { status: 200, body: r };
      },
    },
    {
      method: 'POST',
      path: '/admin/memory/restore',
      async handle({ body, principal }) {
        const b = objectBody(body) ?? {};
        if (!Number.isSafeInteger(b.revocation))
          return failure('MEMORY_INVALID_BODY', '`revocation` (an id) is required');
        const actor = actorOf(b, principal);
        if (typeof actor === 'string') return failure('MEMORY_INVALID_BODY', actor);
        const r = await memory.restore(b.revocation as number, actor);
        if (!r.ok)
          return failure(r.code === 'not_found' ? 'MEMORY_NOT_FOUND' : 'MEMORY_ALREADY_RESTORED', r.message);
        return { status: 200, body: r };
      },
    },
  ];
}
