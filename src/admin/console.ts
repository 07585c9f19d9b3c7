import type { Config } from '../config/index.js';
import type { Compensator } from '../memory/compensate.js';
import type { PolicyHolder } from '../policy/holder.js';
import type { ApprovalStore } from '../state/approvals.js';
import type { MemoryStore } from '../state/memory.js';
import type { PinStore } from '../state/pins.js';
import type { QuarantineStore } from '../state/quarantine.js';
import type { Store } from '../state/store.js';
import { approvalRoutes } from './approval-routes.js';
import type { DecisionFeed } from './decision-feed.js';
import { decisionRoutes } from './decision-routes.js';
import { memoryRoutes } from './memory-routes.js';
import { pinRoutes } from './pin-routes.js';
import { policyRoutes } from './policy-routes.js';
import { quarantineRoutes } from './quarantine-routes.js';
import { replayRoutes } from './replay-routes.js';
import type { AdminRoute } from './router.js';
import { routingRoutes, type RoutingConsole } from './routing-routes.js';

/** What the admin API reads of a running agentwall (src/cli/runtime.ts's `Runtime` satisfies it). */
export interface ConsoleParts {
  readonly config: Config;
  readonly store: Store;
  readonly policy: PolicyHolder;
  readonly approvalStore: ApprovalStore;
  readonly pins: PinStore;
  readonly quarantine: QuarantineStore;
  readonly memory: MemoryStore;
  readonly memoryCompensator: Compensator;
  readonly decisions: DecisionFeed;
  readonly router: RoutingConsole | undefined;
}

/** Every route of the admin API (docs/admin-api.md), in one place for `serve` and the tests. */
export function consoleRoutes(rt: ConsoleParts): AdminRoute[] {
  return [
    ...decisionRoutes({ root: rt.store.root, audit: rt.store.audit, feed: rt.decisions }),
    ...policyRoutes(rt.policy),
    ...replayRoutes({ policy: rt.policy, audit: rt.store.audit, config: rt.config }),
    ...approvalRoutes(rt.approvalStore),
    ...pinRoutes(rt.pins),
    ...quarantineRoutes(rt.quarantine),
    ...memoryRoutes(rt.memory, { compensate: rt.memoryCompensator }),
    ...routingRoutes(rt.router),
  ];
}
