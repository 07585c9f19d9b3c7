import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Logger } from 'pino';
import type { Config, ServerConfig } from '../config/index.js';
import type { BuiltinServer } from '../mcp/front-session.js';
import type { TextEmbedder } from '../ml/scorer.js';
import type { MemoryGateDeps } from './gate.js';
import type { SessionReads } from './provenance.js';
import { EmbeddingCache } from './search.js';
import { createMemoryServer } from './server.js';
import { MEMORY_TOOLS } from './tools.js';

export interface MemoryBuiltinOptions {
  readonly config: Config['memory'];
  readonly gate: MemoryGateDeps;
  readonly reads: SessionReads;
  readonly log: Logger;
  /** Ranks `memory_search` by embedding when given; lexical (BM25) otherwise. */
  readonly embedder?: TextEmbedder | undefined;
}

/**
 * The built-in memory server as a front session sees it: an upstream like any other (listed, gated,
 * audited), whose transport is an in-memory pair to a server made for that session.
 */
export function memoryBuiltin(options: MemoryBuiltinOptions): BuiltinServer {
  const { config, log } = options;
  const embeddings = options.embedder ? new EmbeddingCache() : undefined;
  const serverConfig: ServerConfig = {
    args: [],
    env: {},
    headers: {},
    trust: config.trust,
    timeout: 120_000,
    enabled: true,
  };
  return {
    name: config.server_name,
    tools: MEMORY_TOOLS.map((t) => t.name),
    config: serverConfig,
    connect(session, ask) {
      const [client, server] = InMemoryTransport.createLinkedPair();
      const mcp = createMemoryServer(
        {
          gate: options.gate,
          reads: options.reads,
          sharedNamespaces: config.shared_namespaces,
          maxValueBytes: config.max_value_bytes,
          embedder: options.embedder,
          embeddings,
          log: log.child({ memory: session.id }),
        },
        session,
        ask,
      );
      mcp.connect(server).catch((err: unknown) => log.error({ err }, 'memory server failed to connect'));
      return client;
    },
  };
}
