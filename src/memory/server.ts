import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Session } from '../core/session.js';
import type { TextEmbedder } from '../ml/scorer.js';
import type { AskClient } from '../outbound/approval-types.js';
import type { VersionView } from '../state/memory-types.js';
import { gateMemoryWrite, type MemoryGateDeps } from './gate.js';
import { isShared, ownNamespace, resolveNamespace } from './namespaces.js';
import type { SessionReads } from './provenance.js';
import { rankCandidates, type EmbeddingCache } from './search.js';
import { MEMORY_TOOLS } from './tools.js';
import { VERSION } from '../mcp/version.js';

export interface MemoryServerOptions {
  readonly gate: MemoryGateDeps;
  readonly reads: SessionReads;
  readonly sharedNamespaces: readonly string[];
  readonly maxValueBytes: number;
  readonly embedder?: TextEmbedder | undefined;
  readonly embeddings?: EmbeddingCache | undefined;
  readonly log: Logger;
}

type Args = Record<string, unknown>;

/**
 * The built-in memory MCP server of one front session (docs/memory.md, "Tools"). It knows the session,
 * so every write carries its principal, its id and its provenance (what it read, what entered it);
 * its tools are called through agentwall's gate like any upstream's.
 */
export function createMemoryServer(
  options: MemoryServerOptions,
  session: Session,
  ask: () => AskClient | undefined,
): Server {
  const server = new Server({ name: 'agentwall-memory', version: VERSION }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...MEMORY_TOOLS] }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const args = req.params.arguments ?? {};
    try {
      return await callTool(options, session, ask, req.params.name, args);
    } catch (err) {
      options.log.error({ err, tool: req.params.name }, 'memory tool failed');
      return failure(`memory ${req.params.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return server;
}

/** What every tool handler gets: the options, the session, and the namespace the call resolved to. */
interface Call {
  readonly o: MemoryServerOptions;
  readonly session: Session;
  readonly ask: () => AskClient | undefined;
  readonly args: Args;
  readonly ns: string;
  readonly shared: boolean;
}

type Handler = (c: Call) => CallToolResult | Promise<CallToolResult>;

const HANDLERS: Readonly<Record<string, Handler>> = {
  memory_write: (c) => write(c, false),
  memory_delete: (c) => write(c, true),
  memory_read: read,
  memory_list: list,
  memory_history: history,
  memory_search: (c) => search(c.o, c.session, c.args, c.args.namespace === undefined ? undefined : [c.ns]),
};

async function callTool(
  o: MemoryServerOptions,
  session: Session,
  ask: () => AskClient | undefined,
  name: string,
  args: Args,
): Promise<CallToolResult> {
  const handler = HANDLERS[name];
  if (handler === undefined) return failure(`unknown memory tool ${name}`);
  const where = resolveNamespace(session.principal, optionalString(args.namespace), o.sharedNamespaces);
  if (!where.ok) return failure(where.message);
  return handler({ o, session, ask, args, ns: where.namespace, shared: where.shared });
}

/** `memory_write` and `memory_delete`: through the state checkpoint (gate.ts). */
async function write(c: Call, isDelete: boolean): Promise<CallToolResult> {
  const key = requiredString(c.args, 'key');
  const value = isDelete ? null : requiredString(c.args, 'value');
  if (typeof key !== 'string') return key;
  if (typeof value === 'object' && value !== null) return value;
  if (typeof value === 'string' && Buffer.byteLength(value) > c.o.maxValueBytes) {
    return failure(`the value is larger than ${c.o.maxValueBytes} bytes`);
  }
  const labels = Array.isArray(c.args.labels)
    ? c.args.labels.filter((l): l is string => typeof l === 'string')
    : [];
  const outcome = await gateMemoryWrite(c.o.gate, {
    session: c.session,
    namespace: c.ns,
    key,
    value,
    labels,
    tombstone: isDelete,
    shared: c.shared,
    reads: c.o.reads.of(c.session),
    ask: c.ask(),
  });
  if (!outcome.ok) {
    const { action, eventId } = outcome.verdict;
    const rules = outcome.rules.join(', ') || 'default';
    return failure(`agentwall refused this memory write (${action}; rules: ${rules}): ${outcome.reason}`, {
      'agentwall/verdict': { action, rules: outcome.rules, event_id: eventId },
    });
  }
  const v = outcome.version;
  const held = v.status === 'quarantined' ? ' (quarantined for review: agents will not read it)' : '';
  return ok(
    `${isDelete ? 'deleted' : 'stored'} ${v.namespace}/${v.key} as version ${v.seq} (id ${v.id})${held}`,
    {
      id: v.id,
      namespace: v.namespace,
      key: v.key,
      seq: v.seq,
      status: v.status,
      labels: v.labels,
    },
  );
}

function read(c: Call): CallToolResult {
  const key = requiredString(c.args, 'key');
  if (typeof key !== 'string') return key;
  const v = c.o.gate.store.get(c.ns, key);
  if (v === undefined)
    return ok(`nothing stored under ${c.ns}/${key}`, { found: false, namespace: c.ns, key });
  c.o.reads.add(c.session, [v.id]);
  return ok(text(v.value), { found: true, ...summary(v), value: v.value });
}

function list(c: Call): CallToolResult {
  const limit = boundedInt(c.args.limit, 100, 1000);
  const prefix = optionalString(c.args.prefix);
  const items = c.o.gate.store.list(c.ns, { ...(prefix === undefined ? {} : { prefix }), limit });
  c.o.reads.add(
    c.session,
    items.map((v) => v.id),
  );
  const lines = items.map((v) => `${v.key}: ${oneLine(text(v.value))}`);
  return ok(lines.length > 0 ? lines.join('\n') : `no keys in ${c.ns}`, {
    namespace: c.ns,
    items: items.map((v) => ({ ...summary(v), value: v.value })),
  });
}

function history(c: Call): CallToolResult {
  const key = requiredString(c.args, 'key');
  if (typeof key !== 'string') return key;
  const versions = c.o.gate.store.history(c.ns, key);
  // Revoked and quarantined values are for admins (the admin API and the CLI show them).
  const shown = versions.map((v) => ({
    ...summary(v),
    ...(v.status === 'active' ? { value: v.value } : {}),
  }));
  c.o.reads.add(
    c.session,
    versions.filter((v) => v.status === 'active').map((v) => v.id),
  );
  const lines = versions.map(
    (v) => `#${v.seq} ${v.status}${v.tombstone ? ' (deleted)' : ''} ${new Date(v.time).toISOString()}`,
  );
  return ok(lines.length > 0 ? lines.join('\n') : `no versions of ${c.ns}/${key}`, {
    namespace: c.ns,
    key,
    versions: shown,
  });
}

async function search(
  o: MemoryServerOptions,
  session: Session,
  args: Args,
  only: string[] | undefined,
): Promise<CallToolResult> {
  const query = requiredString(args, 'query');
  if (typeof query !== 'string') return query;
  const store = o.gate.store;
  // Without a namespace: the principal's own and every shared one that exists.
  const namespaces =
    only ??
    [ownNamespace(session.principal)].concat(
      store
        .namespaces()
        .map((n) => n.namespace)
        .filter((n) => isShared(n, o.sharedNamespaces)),
    );
  const entries = new Map<number, VersionView>();
  for (const ns of namespaces) for (const v of store.list(ns)) entries.set(v.id, v);
  const { mode, ranked } = await rankCandidates(
    query,
    [...entries.values()].map((v) => ({ id: v.id, text: `${v.key}\n${text(v.value)}` })),
    { limit: boundedInt(args.limit, 10, 50), embedder: o.embedder, cache: o.embeddings },
  );
  const hits = ranked.flatMap((r) => {
    const v = entries.get(r.id);
    return v === undefined ? [] : [{ ...summary(v), value: v.value, score: r.score }];
  });
  o.reads.add(
    session,
    hits.map((h) => h.id),
  );
  const lines = hits.map((h) => `${h.namespace}/${h.key}: ${oneLine(text(h.value))}`);
  return ok(lines.length > 0 ? lines.join('\n') : 'no matches', { mode, results: hits });
}

function summary(v: VersionView) {
  return {
    id: v.id,
    namespace: v.namespace,
    key: v.key,
    seq: v.seq,
    status: v.status,
    labels: v.labels,
    time: v.time,
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function ok(message: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: message }], structuredContent: structured };
}

function failure(message: string, meta?: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true, ...(meta ? { _meta: meta } : {}) };
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function requiredString(args: Args, name: string): string | CallToolResult {
  const v = args[name];
  return typeof v === 'string' && v !== '' ? v : failure(`\`${name}\` must be a non-empty string`);
}

function boundedInt(v: unknown, fallback: number, max: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? Math.min(v, max) : fallback;
}
