import { canonicalJson, sha256Canonical } from './canonical.js';
import type { Database, RootDatabase } from 'lmdb';

/**
 * The parts of an MCP tool definition that a pin covers: everything the model reads (name, title,
 * description, annotations) or the client sends against (input and output schema). `_meta` and icons
 * are left out: they do not change what the tool does or what the model is told.
 */
export const PINNED_FIELDS = [
  'name',
  'title',
  'description',
  'inputSchema',
  'outputSchema',
  'annotations',
] as const;

/** A tool as an upstream lists it (MCP `Tool`); only the pinned fields are read. */
export interface ToolLike {
  readonly name: string;
  readonly [field: string]: unknown;
}

/** The pinned fields of a tool, with keys in canonical order so pretty-printed diffs are stable. */
export type ToolDefinition = Readonly<Record<string, unknown>> & { readonly name: string };

export type PinStatus = 'pinned' | 'changed';

/** A definition an upstream listed that differs from the pin and waits for someone to approve it. */
export interface PendingDefinition {
  readonly hash: string;
  readonly definition: ToolDefinition;
  /** When this definition was first listed (ms since the epoch). */
  readonly seen_at: number;
}

export interface PinRecord {
  readonly server: string;
  readonly tool: string;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON of `definition`. */
  readonly hash: string;
  /** The approved (or first seen) definition. */
  readonly definition: ToolDefinition;
  readonly status: PinStatus;
  readonly first_seen: number;
  readonly approved_at?: number;
  /** `admin:<principal>` or `cli:<user>`; absent for a pin made on first sight. */
  readonly approved_by?: string;
  /** Present exactly when `status` is `changed`. */
  readonly pending?: PendingDefinition;
}

/**
 * The pinned fields of `tool`, canonicalised (RFC 8785): keys sorted and `undefined` dropped, so the
 * stored definition, its hash and its pretty-printed form do not depend on the upstream's key order.
 */
export function definitionOf(tool: ToolLike): ToolDefinition {
  const picked: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS) if (tool[field] !== undefined) picked[field] = tool[field];
  return JSON.parse(canonicalJson(picked) || '{}') as ToolDefinition;
}

export function hashDefinition(definition: ToolDefinition): string {
  return sha256Canonical(definition);
}

type PinKey = [server: string, tool: string];

/**
 * Pins by `[server, tool]` in the `pins` sub-database of the data file. Reads are synchronous (LMDB
 * reads are memory-mapped lookups, cheap enough for every listing and call); writes go through
 * `update`, whose read-modify-write runs in one LMDB write transaction, so two agentwall processes
 * sharing the file (a `serve` and an `agentwall pins approve`) cannot lose each other's change.
 */
export class PinStore {
  readonly #db: Database<PinRecord, PinKey>;

  constructor(db: Database<PinRecord, PinKey>) {
    this.#db = db;
  }

  get(server: string, tool: string): PinRecord | undefined {
    return this.#db.get([server, tool]);
  }

  /** Every pin in key order (server, then tool), optionally of one server. */
  list(server?: string): PinRecord[] {
    const out: PinRecord[] = [];
    for (const { value } of this.#db.getRange())
      if (server === undefined || value.server === server) out.push(value);
    return out;
  }

  /**
   * Runs `decide` on the current record inside a write transaction and stores its `write`, if any.
   * `decide` must be synchronous (LMDB transactions are). Resolves once the write is flushed to disk:
   * with lmdb-js's default `overlappingSync` a commit is visible before it is durable, and a pin or an
   * approval must not be reported as done before it would survive a crash.
   */
  async update<T extends { readonly write?: PinRecord }>(
    server: string,
    tool: string,
    decide: (current: PinRecord | undefined) => T,
  ): Promise<T> {
    const key: PinKey = [server, tool];
    const outcome = await this.#db.transaction(() => {
      const result = decide(this.#db.get(key));
      if (result.write !== undefined) void this.#db.put(key, result.write);
      return result;
    });
    if (outcome.write !== undefined) await this.#db.flushed;
    return outcome;
  }
}

export function openPinStore(root: RootDatabase): PinStore {
  return new PinStore(root.openDB<PinRecord, PinKey>({ name: 'pins' }));
}
