import type { RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { McpEvent } from '../core/events.js';
import type { VerdictSink } from '../core/pipeline.js';
import type { McpCheckpoints } from '../mcp/checkpoints.js';
import type { BuiltinServer } from '../mcp/front-session.js';
import type { TextEmbedder } from '../ml/scorer.js';
import type { ApprovalService } from '../outbound/approval-types.js';
import type { AuditLog } from '../state/audit-log.js';
import { MemoryStore } from '../state/memory.js';
import { memoryBuiltin } from './builtin.js';
import { sessionCompensator, type Compensator } from './compensate.js';
import { externalJournalSink } from './external.js';
import { SessionReads } from './provenance.js';

/** The state checkpoint's parts, for the composition root (src/cli/runtime.ts). */
export interface MemoryFeature {
  readonly store: MemoryStore;
  /** Verdict sinks for the MCP checkpoints: the journal of external writes (none when none is configured). */
  readonly sinks: readonly VerdictSink<McpEvent>[];
  /** Issues the compensating calls of revoked external writes, through sessions of its own. */
  readonly compensate: Compensator;
  /** The built-in memory server, once the checkpoints and approvals exist (none when disabled). */
  builtins(parts: {
    checkpoints: McpCheckpoints;
    approvals: ApprovalService | undefined;
    revision: () => string;
    embedder?: TextEmbedder | undefined;
  }): BuiltinServer[];
}

/** Builds the memory store and its parts; a `memory.external` compensation that does not compile throws. */
export function createMemoryFeature(options: {
  config: Config;
  root: RootDatabase;
  /** Where revocations and restores are recorded (the store's audit log). */
  audit?: AuditLog;
  log: Logger;
  /** agentwall's own files, which servers spawned for compensation must not inherit. */
  shield: readonly string[];
}): MemoryFeature {
  const { config, log } = options;
  const store = new MemoryStore(options.root, options.audit);
  const reads = new SessionReads();
  const specs = config.memory.external;
  const sinks = specs.length > 0 ? [externalJournalSink({ store, specs, reads, log })] : [];
  const compensate = sessionCompensator({ store, servers: config.servers, shield: options.shield, log });
  return {
    store,
    sinks,
    compensate,
    builtins({ checkpoints, approvals, revision, embedder }) {
      if (!config.memory.enabled || checkpoints.memoryWrite === undefined) return [];
      const gate = {
        store,
        pipeline: checkpoints.memoryWrite,
        inspect: checkpoints.inspectText,
        approvals,
        revision,
        server: config.memory.server_name,
      };
      return [memoryBuiltin({ config: config.memory, gate, reads, log, embedder })];
    },
  };
}
