import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { isAgentwallError, ErrorCode } from '../core/errors.js';
import type { PolicyHolder } from '../policy/holder.js';
import { DEFAULT_BUNDLE, defaultBundlePath } from '../policy/paths.js';
import { loadPolicySet, type PolicySet } from '../policy/policy-set.js';
import { REPLAY_LIMITATIONS, replayDecisions, replayOptionsOf } from '../policy/replay.js';
import type { AuditLog } from '../state/audit-log.js';
import type { AdminResponse, AdminRoute } from './router.js';

export interface ReplayRouteDeps {
  readonly policy: PolicyHolder;
  readonly audit: AuditLog;
  readonly config: Config;
}

function failure(status: number, code: string, message: string, data: object = {}): AdminResponse {
  return { status, body: { error: { code, message, ...data } } };
}

/** Bundle files of a request: a list of paths (relative to the configuration's directory) or `@default`. */
function filesOf(value: unknown, baseDir: string): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (!value.every((f) => typeof f === 'string' && f.trim() !== '')) return undefined;
  return (value as string[]).map((f) => (f === DEFAULT_BUNDLE ? defaultBundlePath() : resolve(baseDir, f)));
}

async function load(files: readonly string[]): Promise<PolicySet | AdminResponse> {
  try {
    return await loadPolicySet(files);
  } catch (err) {
    if (!isAgentwallError(err, ErrorCode.POLICY_COMPILE)) throw err;
    const errors = (err.data?.errors as string[] | undefined) ?? [err.message];
    return failure(422, 'POLICY_COMPILE', 'the candidate policy does not compile', { errors });
  }
}

/**
 * `POST /admin/policies/replay`: the tool calls of the audit log re-decided under the policy in force
 * (A, or `baseline`) and a candidate (B) — the A/B report of `agentwall replay` as JSON. The bundles
 * are files on the agentwall host, read with its permissions: the admin token already allows reload.
 */
export function replayRoutes(deps: ReplayRouteDeps): AdminRoute[] {
  return [
    {
      method: 'POST',
      path: '/admin/policies/replay',
      async handle({ body }) {
        const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
        const base = deps.config.base_dir;
        const candidate = filesOf(b.candidate, base);
        const baseline = b.baseline === undefined ? undefined : filesOf(b.baseline, base);
        if (candidate === undefined || (b.baseline !== undefined && baseline === undefined)) {
          return failure(
            400,
            'POLICY_INVALID_BODY',
            '`candidate` (and optionally `baseline`) must be lists of bundle files or "@default"',
          );
        }
        const limit = b.examples === undefined ? 5 : b.examples;
        if (!Number.isSafeInteger(limit) || (limit as number) < 0 || (limit as number) > 100) {
          return failure(400, 'POLICY_INVALID_BODY', '`examples` must be an integer from 0 to 100');
        }
        const a = baseline === undefined ? deps.policy.current() : await load(baseline);
        if (!('revision' in a)) return a;
        const cand = await load(candidate);
        if (!('revision' in cand)) return cand;
        await deps.audit.flushed();
        const { config } = deps;
        const result = await replayDecisions(
          deps.audit.records(),
          a,
          cand,
          replayOptionsOf(config, limit as number),
        );
        const info = (set: PolicySet) => ({
          revision: set.revision,
          rules: set.rules.length,
          files: set.bundles.map((x) => x.file),
        });
        return {
          status: 200,
          body: { a: info(a), b: info(cand), result, limitations: REPLAY_LIMITATIONS },
        };
      },
    },
  ];
}
