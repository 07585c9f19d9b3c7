import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { FrontSessionDeps } from '../mcp/front-session.js';
import type { ApprovalService } from '../outbound/approval-types.js';
import { PolicyHolder } from '../policy/holder.js';
import { resolveBundlePaths } from '../policy/paths.js';
import { createApprovalService } from '../outbound/approvals.js';
import { ApprovalStore } from '../state/approvals.js';
import { openPinStore, type PinStore } from '../state/pins.js';
import { openStore, type Store } from '../state/store.js';
import { isCommitFailure } from '../state/audit-log.js';
import { QuarantineStore } from '../state/quarantine.js';
import type { TextScorer } from '../ml/scorer.js';
import { createScorerFromConfig } from '../ml/backends.js';
import { loadCapabilityClassifier, type CapabilityClassifier } from '../ml/capability.js';
import { createMemoryFeature, type MemoryFeature } from '../memory/feature.js';
import type { MemoryStore } from '../state/memory.js';
import type { Compensator } from '../memory/compensate.js';
import { buildCheckpoints, buildLlmCheckpoints } from './compose.js';
import { createLlmRouter, type LlmRouter } from '../routing/router.js';
import { createLogger, type LoggerHandle } from './logger.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import type { McpEvent } from '../core/events.js';
import { DecisionFeed } from '../admin/decision-feed.js';

/** Everything a running agentwall holds, built once at start (the composition root), closed once. */
export interface Runtime {
  readonly config: Config;
  readonly log: Logger;
  readonly store: Store;
  readonly policy: PolicyHolder;
  readonly approvals: ApprovalService;
  readonly approvalStore: ApprovalStore;
  readonly pins: PinStore;
  readonly quarantine: QuarantineStore;
  /** Versioned agent memory (docs/memory.md). */
  readonly memory: MemoryStore;
  /** Issues the compensating calls of revoked external writes (docs/memory.md). */
  readonly memoryCompensator: Compensator;
  /** What each front session needs. */
  readonly sessionDeps: FrontSessionDeps;
  /** The LLM router served under `/v1` (docs/routing.md), when `routing` is configured. */
  readonly router: LlmRouter | undefined;
  /** Prometheus metrics of this runtime (its own registry), served at `/metrics`. */
  readonly metrics: Metrics;
  /** Recent verdicts with their signals and stage timings, for the console (docs/admin-api.md). */
  readonly decisions: DecisionFeed;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /**
   * Where the runtime logs (an embedding caller's logger, with its own level); default: JSON lines on
   * stderr at `config.log.level`.
   */
  readonly logger?: LoggerHandle;
}

export async function startRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const { log, flush } = options.logger ?? createLogger(config.log.level);
  // A failed LMDB commit (disk full) is reported to its writers, which fail closed; lmdb-js also rejects
  // internal promises nobody can observe, which must not end the process (tests/hardening/disk-full).
  const onRejection = (reason: unknown) => {
    if (!isCommitFailure(reason)) throw reason;
    log.error({ err: reason }, 'a write to the data file failed');
  };
  process.on('unhandledRejection', onRejection);
  const store = openStore(config.data_dir);
  let memory: MemoryFeature;
  try {
    memory = createMemoryFeature({ config, root: store.root, audit: store.audit, log, shield: [store.path] });
  } catch (err) {
    await store.close();
    flush();
    throw err;
  }
  let policy: PolicyHolder;
  try {
    policy = await PolicyHolder.load({
      files: resolveBundlePaths(config.policies.paths, config.base_dir),
      onReload: (r) =>
        r.ok
          ? log.info({ revision: r.revision, changed: r.changed }, 'policy reloaded')
          : log.error(
              { errors: r.errors, revision: r.revision },
              'policy reload rejected; the running policy stays',
            ),
    });
  } catch (err) {
    await store.close();
    flush();
    throw err;
  }
  if (config.policies.watch) policy.watch();
  const pins = openPinStore(store.root);
  const scorers: TextScorer[] = [];
  let capability: CapabilityClassifier | undefined;
  try {
    if (config.scorers.capability.enabled) {
      capability = await loadCapabilityClassifier();
      log.info({ scorer: 'capability', backend: 'onnx' }, 'capability classifier on onnx (cpu)');
    }
    // The MCP checkpoints read the injection model only: the jailbreak model was trained on user
    // prompts and flags ordinary server text (docs/models.md); the LLM router reads it on user turns.
    for (const name of ['injection'] as const) {
      const cfg = config.scorers[name];
      if (!cfg.enabled) continue;
      const scorer = await createScorerFromConfig(name, cfg.use, {
        baseDir: config.base_dir,
        env: config.scorer_env,
      });
      scorers.push(scorer);
      log.info(
        { scorer: name, backend: scorer.backend, provider: scorer.provider, fallback: scorer.fallback },
        `${name} scorer on ${scorer.backend} (${scorer.provider})`,
      );
    }
  } catch (err) {
    await Promise.all(scorers.map((s) => s.close()));
    await capability?.close();
    policy.close();
    await store.close();
    flush();
    throw err;
  }
  const quarantine = new QuarantineStore(store.root);
  const decisions = new DecisionFeed();
  const metrics = createMetrics();
  const checkpoints = buildCheckpoints({
    config,
    store,
    pins,
    quarantine,
    policy,
    log,
    scorers,
    capability,
    sinks: [...memory.sinks, decisions.sink, metrics.verdictSink<McpEvent>()],
  });
  const approvalStore = new ApprovalStore(store.root);
  const approvals = createApprovalService({ store: approvalStore, log });
  let router: LlmRouter | undefined;
  try {
    const llm = config.routing ? buildLlmCheckpoints({ config, store, policy, log }) : undefined;
    router = config.routing
      ? await createLlmRouter({
          routing: config.routing,
          env: config.scorer_env,
          log,
          maxBodyBytes: config.http.max_body_bytes,
          toolCall: checkpoints.toolCall,
          revision: () => policy.current().revision,
          inbound: { checkpoint: checkpoints.inbound, pipeline: checkpoints.toolResult },
          root: store.root,
          metrics: metrics.llm,
          llmRequest: llm?.request,
          llmResponse: llm?.response,
        })
      : undefined;
  } catch (err) {
    await Promise.all(scorers.map((s) => s.close()));
    await capability?.close();
    await approvals.close();
    policy.close();
    await store.close();
    flush();
    throw err;
  }
  log.info(
    { revision: policy.current().revision, rules: policy.current().rules.length, files: policy.files },
    'policy loaded',
  );
  return {
    config,
    log,
    store,
    policy,
    approvals,
    approvalStore,
    pins,
    quarantine,
    memory: memory.store,
    memoryCompensator: memory.compensate,
    router,
    metrics,
    decisions,
    sessionDeps: {
      config,
      servers: config.servers,
      checkpoints,
      log,
      approvals,
      revision: () => policy.current().revision,
      shield: [store.path],
      builtins: memory.builtins({ checkpoints, approvals, revision: () => policy.current().revision }),
    },
    async close() {
      await router?.close();
      policy.close();
      await Promise.all(scorers.map((s) => s.close()));
      await capability?.close();
      await approvals.close();
      await store.close();
      process.off('unhandledRejection', onRejection);
      flush();
    },
  };
}

/**
 * The admin token: from `admin.token_env`, else the one saved in `data_dir/admin.token`, else a new
 * random one saved there (mode 0600), so that a fresh `agentwall serve` has a protected admin API and
 * the operator can read the token from a file only they can read.
 */
export function adminToken(config: Config): { token: string; file?: string } {
  if (config.admin_token !== undefined) return { token: config.admin_token };
  const file = join(config.data_dir, 'admin.token');
  try {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved.length >= 16) return { token: saved, file };
  } catch {
    // Not there yet: make one.
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file };
}
