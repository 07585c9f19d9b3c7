import { isCelError, isCelList, isCelMap, parse, plan } from '@bufbuild/cel';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { AgentwallError, ErrorCode } from '../core/errors.js';
import type { McpEvent, ToolCallEvent } from '../core/events.js';
import type { VerdictSink } from '../core/pipeline.js';
import { toCel } from '../policy/activation.js';
import { createPolicyEnv } from '../policy/compile.js';
import type { MemoryStore } from '../state/memory.js';
import { derivedFromOf, type SessionReads } from './provenance.js';

type ExternalSpec = Config['memory']['external'][number];

/** Calls waiting for their result, at most (a call that never gets one is forgotten first). */
const MAX_PENDING = 10_000;

export interface ExternalJournalOptions {
  readonly store: MemoryStore;
  readonly specs: readonly ExternalSpec[];
  readonly reads: SessionReads;
  readonly log: Logger;
}

/**
 * Journals the calls to other MCP servers that keep state (configuration `memory.external`, e.g.
 * server-memory's `create_entities`) as external writes, with the same provenance as memory writes
 * (docs/memory.md, "External writes"). A verdict sink: it sees the allowed `tool_call`, remembers its
 * arguments, and journals it when its successful `tool_result` arrives (so a refused or failed call is
 * not a write). Where a compensating tool is configured, its arguments are computed now, from CEL over
 * the call's `args`, and kept with the record for revocation to issue.
 */
export function externalJournalSink(options: ExternalJournalOptions): VerdictSink<McpEvent> {
  const specs = new Map(options.specs.map((s) => [`${s.server}\u0000${s.tool}`, compileSpec(s)]));
  const pending = new Map<string, { call: ToolCallEvent; spec: CompiledSpec }>();
  return (event, verdict) => {
    if (event.kind === 'tool_call') {
      const spec = specs.get(`${event.server}\u0000${event.tool.name}`);
      if (spec === undefined || verdict.action === 'deny' || verdict.action === 'quarantine') return;
      pending.set(event.id, { call: event, spec });
      if (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value as string);
      return;
    }
    if (event.kind !== 'tool_result') return;
    const waiting = pending.get(event.callId);
    if (waiting === undefined) return;
    pending.delete(event.callId);
    if (event.isError) return;
    const { call, spec } = waiting;
    const compensation = spec.compensate?.(call.args);
    options.store
      .journalExternal({
        server: call.server,
        tool: call.tool.name,
        args: call.args,
        principal: call.principal.id,
        session: call.session.id,
        call_id: call.id,
        derived_from: derivedFromOf(options.reads.of(call.session), call.session.sources),
        ...(compensation === undefined ? {} : { compensation }),
      })
      .then(
        (x) =>
          options.log.info(
            { external_write: x.id, server: x.server, tool: x.tool },
            'external write journaled',
          ),
        (err: unknown) =>
          options.log.error(
            { err, server: call.server, tool: call.tool.name },
            'external write not journaled',
          ),
      );
  };
}

interface CompiledSpec {
  readonly compensate?: (
    args: Readonly<Record<string, unknown>>,
  ) => { tool: string; args: Record<string, unknown> } | undefined;
}

/** Compiles a spec's compensation (CEL over `args` giving a map); a bad expression stops start-up. */
export function compileSpec(spec: ExternalSpec): CompiledSpec {
  const c = spec.compensate;
  if (c === undefined) return {};
  let evaluate: ReturnType<typeof plan>;
  try {
    evaluate = plan(createPolicyEnv(), parse(c.args).expr);
  } catch (err) {
    throw new AgentwallError(
      ErrorCode.CONFIG_INVALID,
      `memory.external ${spec.server}/${spec.tool}: compensate.args does not compile: ${(err as Error).message}`,
    );
  }
  return {
    compensate(args) {
      const out = fromCel(evaluate(toCel({ args }) as never));
      if (isCelError(out) || out === null || typeof out !== 'object' || Array.isArray(out)) return undefined;
      return { tool: c.tool, args: out as Record<string, unknown> };
    },
  };
}

/** A CEL value as plain JSON-like JavaScript (maps → objects, lists → arrays, ints → numbers). */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (isCelMap(v))
    return Object.fromEntries(
      [...v.entries()].map(([k, x]) => [typeof k === 'string' ? k : String(k as bigint), fromCel(x)]),
    );
  if (isCelList(v)) return [...(v as Iterable<unknown>)].map(fromCel);
  return v;
}
