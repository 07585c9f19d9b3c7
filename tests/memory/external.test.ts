import { afterEach, describe, expect, it } from 'vitest';
import type { ToolCallEvent, ToolResultEvent } from '../../src/core/events.js';
import type { Verdict } from '../../src/core/verdict.js';
import { compensate } from '../../src/memory/compensate.js';
import { compileSpec, externalJournalSink } from '../../src/memory/external.js';
import { SessionReads } from '../../src/memory/provenance.js';
import { memoryFixture, newSession, silent, taintFromWeb, type MemoryFixture } from './fixtures.js';

let fx: MemoryFixture;
afterEach(async () => fx?.close());

const SPEC = {
  server: 'kg',
  tool: 'create_entities',
  compensate: { tool: 'delete_entities', args: '{"entityNames": args.entities.map(e, e.name)}' },
};

const verdict = (action: Verdict['action']): Verdict => ({
  eventId: 'e',
  action,
  rules: [],
  signals: {},
  findings: [],
  message: undefined,
  timings: [],
  latencyMs: 0,
});

function callAndResult(id: string, isError = false) {
  const session = newSession('sX', 'bob');
  taintFromWeb(session);
  const base = { time: 1, session, principal: session.principal, server: 'kg' };
  const call: ToolCallEvent = {
    ...base,
    id,
    kind: 'tool_call',
    tool: { name: 'create_entities' },
    args: { entities: [{ name: 'Mallory' }, { name: 'Eve' }] },
  };
  const result: ToolResultEvent = {
    ...base,
    id: `${id}-r`,
    kind: 'tool_result',
    tool: { name: 'create_entities' },
    callId: id,
    result: {},
    isError,
  };
  return { call, result };
}

/**
 * The sink journals asynchronously, in a transaction it queues at once; lmdb-js commits queued
 * transactions in order, so once a write queued after it is durable, the journal entry is too.
 */
async function journaled(fx: MemoryFixture) {
  await fx.memory.write({ namespace: 'sync', key: 'k', value: 1, principal: 'p', session: 's' });
  return fx.memory.externalWrites();
}

describe('external writes', () => {
  it('computes compensation arguments with CEL over the call’s args', () => {
    expect(compileSpec(SPEC).compensate?.({ entities: [{ name: 'A' }, { name: 'B' }] })).toEqual({
      tool: 'delete_entities',
      args: { entityNames: ['A', 'B'] },
    });
    expect(() => compileSpec({ ...SPEC, compensate: { tool: 'x', args: '{"a": ' } })).toThrow(
      /does not compile/,
    );
  });

  it('journals a successful call with the session’s provenance; not a refused or failed one', async () => {
    fx = memoryFixture();
    const sink = externalJournalSink({
      store: fx.memory,
      specs: [SPEC],
      reads: new SessionReads(),
      log: silent,
    });
    const ok = callAndResult('c1');
    sink(ok.call, verdict('allow'));
    sink(ok.result, verdict('allow'));
    const refused = callAndResult('c2');
    sink(refused.call, verdict('deny'));
    sink(refused.result, verdict('allow'));
    const failed = callAndResult('c3', true);
    sink(failed.call, verdict('allow'));
    sink(failed.result, verdict('allow'));
    const all = await journaled(fx);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      server: 'kg',
      tool: 'create_entities',
      call_id: 'c1',
      principal: 'bob',
      session: 'sX',
      compensation: { tool: 'delete_entities', args: { entityNames: ['Mallory', 'Eve'] } },
      derived_from: [expect.objectContaining({ type: 'content', server: 'web' })],
    });
  });

  it('issues the compensating calls of revoked external writes and records what they did', async () => {
    fx = memoryFixture();
    const x = await fx.memory.journalExternal({
      server: 'kg',
      tool: 'create_entities',
      args: {},
      principal: 'bob',
      session: 'sX',
      call_id: 'c1',
      derived_from: [],
      compensation: { tool: 'delete_entities', args: { entityNames: ['Mallory'] } },
    });
    const calls: unknown[] = [];
    const out = await compensate(fx.memory, 1, [x.id], (server, tool, args) => {
      calls.push([server, tool, args]);
      return Promise.resolve({ ok: true, detail: 'deleted' });
    });
    expect(calls).toEqual([['kg', 'delete_entities', { entityNames: ['Mallory'] }]]);
    expect(out).toEqual([expect.objectContaining({ id: x.id, ok: true, detail: 'deleted' })]);
    expect(fx.memory.external(x.id)?.compensations).toEqual([
      expect.objectContaining({ revocation: 1, ok: true }),
    ]);
  });
});
