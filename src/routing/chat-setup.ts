import type { RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import { loadShippedEmbedder } from '../ml/embedding.js';
import type { TextEmbedder } from '../ml/scorer.js';
import { createMessageGuard, type LlmInbound, type MessageGuard } from './message-guard.js';
import type { RoutingConfig } from './schema.js';
import { createAnswerCache, type AnswerCache } from './semantic-cache.js';
import { createToolFilter, type ToolFilter } from './tool-filter.js';

export interface ChatPartsOptions {
  readonly routing: RoutingConfig;
  readonly log: Logger;
  /** For the semantic cache and tool filtering; absent and needed: the shipped one is loaded. */
  readonly embedder?: TextEmbedder | undefined;
  readonly root?: RootDatabase | undefined;
  readonly clock?: (() => number) | undefined;
  readonly inbound?: LlmInbound | undefined;
}

/** The optional stages of `/v1/chat/completions`, built from the configuration. */
export interface ChatParts {
  readonly cache: AnswerCache | undefined;
  readonly messages: MessageGuard | undefined;
  readonly tools: ToolFilter | undefined;
  close(): Promise<void>;
}

export async function createChatParts(o: ChatPartsOptions): Promise<ChatParts> {
  const { routing } = o;
  const needsEmbedder = routing.cache.mode === 'exact_then_semantic' || routing.tools.mode === 'filtered';
  const owned = needsEmbedder && o.embedder === undefined ? await loadShippedEmbedder() : undefined;
  const embedder = o.embedder ?? owned;
  try {
    const cache =
      routing.cache.mode === 'off'
        ? undefined
        : createAnswerCache({
            mode: routing.cache.mode,
            ttlMs: routing.cache.ttl,
            maxEntries: routing.cache.max_entries,
            threshold: routing.cache.threshold,
            embedder,
            root: routing.cache.persist ? o.root : undefined,
            clock: o.clock,
            log: o.log,
          });
    return {
      cache,
      messages:
        o.inbound && routing.tool_messages.inspect
          ? createMessageGuard({ ...o.inbound, trust: routing.tool_messages.trust })
          : undefined,
      tools:
        routing.tools.mode === 'filtered'
          ? createToolFilter({ topK: routing.tools.top_k, embedder })
          : undefined,
      async close() {
        await cache?.close();
        await owned?.close();
      },
    };
  } catch (err) {
    await owned?.close();
    throw err;
  }
}
