import type { PolicyHolder } from '../policy/holder.js';
import type { AdminRoute } from './router.js';

/** `GET /admin/policies` (what is in force) and `POST /admin/policies/reload`. */
export function policyRoutes(policy: PolicyHolder): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/policies',
      handle: () => {
        const set = policy.current();
        return {
          status: 200,
          body: {
            revision: set.revision,
            files: policy.files,
            rules: set.rules.map((r) => ({
              id: r.id,
              description: r.description,
              on: [...r.on],
              action: r.action,
              mode: r.mode,
              when: r.when,
              source: `${r.source.file}:${r.source.line}:${r.source.col}`,
            })),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/admin/policies/reload',
      handle: async () => {
        const r = await policy.reload();
        // A rejected bundle is a client-side problem with the files: 422, and the old revision stays.
        return r.ok
          ? { status: 200, body: { ok: true, revision: r.revision, changed: r.changed } }
          : { status: 422, body: { ok: false, revision: r.revision, errors: r.errors } };
      },
    },
  ];
}
