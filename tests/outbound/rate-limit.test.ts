import { describe, expect, it } from 'vitest';
import { createPipeline } from '../../src/core/pipeline.js';
import { createSession } from '../../src/core/session.js';
import type { McpEvent, ToolCallEvent } from '../../src/core/events.js';
import { rateLimitStage, type RateLimitSpec } from '../../src/outbound/rate-limit.js';

function setup(specs: RateLimitSpec[]) {
  let now = 0;
  const p = createPipeline<McpEvent>({
    stages: [rateLimitStage(specs, () => now)],
    defaultAction: 'allow',
    onStageError: 'deny',
    sinks: [],
  });
  const sessions = new Map<string, ReturnType<typeof createSession>>();
  const call = (principal: string, session: string, tool = 'echo', server = 'everything'): ToolCallEvent => {
    const p = { id: principal, roles: [], claims: {} };
    let s = sessions.get(session);
    if (!s) sessions.set(session, (s = createSession(session, p)));
    return {
      id: 'e',
      kind: 'tool_call',
      time: now,
      session: s,
      principal: p,
      server,
      tool: { name: tool },
      args: {},
    };
  };
  return { evaluate: (e: ToolCallEvent) => p.evaluate(e), advance: (ms: number) => (now += ms), call };
}

describe('rateLimitStage', () => {
  it('allows a burst, then denies until tokens come back', async () => {
    const t = setup([{ id: 'p', scope: 'principal', per_minute: 60, burst: 2 }]);
    const actions = [];
    for (let i = 0; i < 3; i++) actions.push((await t.evaluate(t.call('alice', 's1'))).action);
    expect(actions).toEqual(['allow', 'allow', 'deny']);
    const denied = await t.evaluate(t.call('alice', 's2'));
    expect(denied.rules[0]).toMatchObject({ id: 'rate-limit:p', action: 'deny' });
    t.advance(1000); // 60 per minute: one token per second
    expect((await t.evaluate(t.call('alice', 's1'))).action).toBe('allow');
    expect((await t.evaluate(t.call('bob', 's3'))).action).toBe('allow');
  });

  it('keeps separate buckets per session and per tool, and only counts matching tools', async () => {
    const t = setup([
      { id: 's', scope: 'session', per_minute: 1 },
      { id: 'w', scope: 'tool', per_minute: 1, tools: ['files/write_*'] },
    ]);
    expect((await t.evaluate(t.call('a', 's1'))).action).toBe('allow');
    expect((await t.evaluate(t.call('a', 's1'))).action).toBe('deny');
    expect((await t.evaluate(t.call('a', 's2'))).action).toBe('allow');
    expect((await t.evaluate(t.call('a', 's3', 'write_file', 'files'))).action).toBe('allow');
    const second = await t.evaluate(t.call('a', 's4', 'write_file', 'files'));
    expect(second.rules.map((r) => r.id)).toEqual(['rate-limit:w']);
    expect(second.signals['rate.w']).toBe(0);
  });
});
