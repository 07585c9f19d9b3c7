import {
  APPROVAL_STATUSES,
  type ApprovalChange,
  type ApprovalStatus,
  type ApprovalStore,
  type Decision,
} from '../state/approvals.js';
import type { AdminRequest, AdminResponse, AdminRoute } from './router.js';

/** Stable codes of the approval endpoints' error bodies (docs/approvals.md). */
export const ApprovalErrorCode = {
  NOT_FOUND: 'APPROVAL_NOT_FOUND',
  ALREADY_DECIDED: 'APPROVAL_ALREADY_DECIDED',
  EXPIRED: 'APPROVAL_EXPIRED',
  INVALID_STATUS: 'APPROVAL_INVALID_STATUS',
  INVALID_BODY: 'APPROVAL_INVALID_BODY',
} as const;

const errorFor = {
  not_found: { status: 404, code: ApprovalErrorCode.NOT_FOUND },
  already_decided: { status: 409, code: ApprovalErrorCode.ALREADY_DECIDED },
  expired: { status: 409, code: ApprovalErrorCode.EXPIRED },
} as const;

function fail(status: number, code: string, message: string): AdminResponse {
  return { status, body: { error: { code, message } } };
}

/**
 * The approval endpoints of the admin API. They only read the store and map its result unions to
 * HTTP; the service holding the call hears of a decision through the store (same process: its
 * listeners; other processes: its poll), so give these routes the same `ApprovalStore` instance the
 * service uses.
 */
export function approvalRoutes(store: ApprovalStore): AdminRoute[] {
  return [
    { method: 'GET', path: '/admin/approvals', handle: (req) => listApprovals(store, req) },
    {
      method: 'GET',
      path: '/admin/approvals/:id',
      handle: (req) => {
        const id = req.params.id ?? '';
        const record = store.get(id);
        return record === undefined
          ? fail(404, ApprovalErrorCode.NOT_FOUND, `no approval ${id}`)
          : { status: 200, body: { approval: record } };
      },
    },
    { method: 'POST', path: '/admin/approvals/:id/approve', handle: (req) => decide(store, req, 'approved') },
    { method: 'POST', path: '/admin/approvals/:id/deny', handle: (req) => decide(store, req, 'denied') },
  ];
}

/** `?status=` filters; records past their expiry are marked expired first so the list tells the truth. */
async function listApprovals(store: ApprovalStore, req: AdminRequest): Promise<AdminResponse> {
  const status = req.query.get('status');
  if (status !== null && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) {
    return fail(
      400,
      ApprovalErrorCode.INVALID_STATUS,
      `status must be one of ${APPROVAL_STATUSES.join(', ')} (got ${JSON.stringify(status)})`,
    );
  }
  await store.expireDue();
  const approvals = store.list(status === null ? {} : { status: status as ApprovalStatus });
  return { status: 200, body: { approvals } };
}

async function decide(store: ApprovalStore, req: AdminRequest, decision: Decision): Promise<AdminResponse> {
  const reason = reasonOf(req.body);
  if (reason === false) {
    return fail(400, ApprovalErrorCode.INVALID_BODY, 'body must be empty or { "reason": string }');
  }
  const id = req.params.id ?? '';
  return toResponse(await store.decide(id, decision, `admin:${req.principal}`, reason));
}

/** The optional `{ "reason": "…" }` body; false when a body is there but is not of that shape. */
function reasonOf(body: unknown): string | undefined | false {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) return false;
  const reason = (body as { reason?: unknown }).reason;
  if (reason === undefined) return undefined;
  return typeof reason === 'string' ? reason : false;
}

function toResponse(change: ApprovalChange): AdminResponse {
  if (change.ok) return { status: 200, body: { approval: change.record } };
  const { status, code } = errorFor[change.code];
  return fail(status, code, change.message);
}
