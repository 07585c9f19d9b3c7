import type { Database, RootDatabase } from 'lmdb';

/** One stored Responses-API answer and the conversation it ends (for `previous_response_id`). */
export interface StoredResponse {
  /** Who made it: only they can read, chain from or delete it. */
  readonly principal: string;
  /** The Responses object as the client got it. */
  readonly response: Record<string, unknown>;
  /**
   * The conversation in chat form up to and including this answer, without `instructions` (they are
   * not carried over to a chained request, as in OpenAI's API).
   */
  readonly messages: readonly object[];
  /** Milliseconds since the epoch. */
  readonly storedAt: number;
}

export interface ResponseStore {
  get(id: string): StoredResponse | undefined;
  put(id: string, value: StoredResponse): Promise<void>;
  /** True when it was there. */
  remove(id: string): Promise<boolean>;
}

/**
 * The `responses` sub-database of the store's LMDB environment (docs/routing.md, "Responses"): a
 * stored response survives restarts. Without a root (an embedding caller, some tests) the store is a
 * Map that lives as long as the router.
 */
export function openResponseStore(root: RootDatabase | undefined): ResponseStore {
  if (root === undefined) {
    const map = new Map<string, StoredResponse>();
    return {
      get: (id) => map.get(id),
      put: (id, value) => Promise.resolve(void map.set(id, value)),
      remove: (id) => Promise.resolve(map.delete(id)),
    };
  }
  const db: Database<StoredResponse, string> = root.openDB<StoredResponse, string>({ name: 'responses' });
  return {
    get: (id) => db.get(id),
    async put(id, value) {
      await db.put(id, value);
    },
    async remove(id) {
      return db.remove(id);
    },
  };
}
