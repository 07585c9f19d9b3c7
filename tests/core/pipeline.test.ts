import { describe, expect, it } from 'vitest';
import { createPipeline, type Stage } from '../../src/core/pipeline.js';
import { createSession } from '../../src/core/session.js';
import { mostRestrictive, type Action, type Verdict } from '../../src/core/verdict.js';
import type { ToolCallEvent } from '../../src/core/events.js';

const principal = { id: 'alice', roles: [], claims: {} };
const event: ToolCallEvent = {
  id: 'e1',
  kind: 'tool_call',
  time: 0,
  session: createSession('s1', principal),
  principal,
  server: 'files',
  tool: { name: 'write_file' },
  args: { path: '/tmp/x' },
};

function firing(id: string, action: Action, mode: 'enforce' | 'shadow' = 'enforce'): Stage<ToolCallEvent> {
  return {
    name: id,
    run: (ctx) => void ctx.fired.push({ id, action, mode, message: `${id} says ${action}` }),
  };
}

describe('mostRestrictive', () => {
  it.each([
    [['allow', 'deny'], 'deny'],
    [['redact', 'require_approval', 'annotate'], 'require_approval'],
    [['quarantine', 'redact'], 'quarantine'],
    [['annotate', 'allow'], 'annotate'],
    [[], 'allow'],
  ] as [Action[], Action][])('%j → %s', (actions, expected) => {
    expect(mostRestrictive(actions, 'allow')).toBe(expected);
  });
});

describe('createPipeline', () => {
  it('uses the default action when no rule fires', async () => {
    const p = createPipeline<ToolCallEvent>({
      stages: [],
      defaultAction: 'deny',
      onStageError: 'deny',
      sinks: [],
    });
    const v = await p.evaluate(event);
    expect(v.action).toBe('deny');
    expect(v.rules).toEqual([]);
  });

  it('lets the most restrictive enforcing rule win and reports every fired rule, shadow included', async () => {
    const p = createPipeline<ToolCallEvent>({
      stages: [firing('a', 'redact'), firing('b', 'deny', 'shadow'), firing('c', 'require_approval')],
      defaultAction: 'allow',
      onStageError: 'deny',
      sinks: [],
    });
    const v = await p.evaluate(event);
    expect(v.action).toBe('require_approval');
    expect(v.message).toBe('c says require_approval');
    expect(v.rules.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(v.timings.map((t) => t.stage)).toEqual(['a', 'b', 'c']);
  });

  it.each(['deny', 'allow'] as const)(
    'turns a throwing stage into %s and tells onError',
    async (onStageError) => {
      const errors: string[] = [];
      const p = createPipeline<ToolCallEvent>({
        stages: [
          {
            name: 'scorer',
            run: () => {
              throw new Error('model missing');
            },
          },
        ],
        defaultAction: 'allow',
        onStageError,
        sinks: [],
        onError: (stage) => errors.push(stage),
      });
      const v = await p.evaluate(event);
      expect(v.action).toBe(onStageError);
      expect(v.rules[0]?.id).toBe('stage:scorer:error');
      expect(v.rules[0]?.message).toContain('model missing');
      expect(errors).toEqual(['scorer']);
    },
  );

  it('awaits asynchronous stages and hands every verdict to every sink', async () => {
    const seen: Verdict[] = [];
    const p = createPipeline<ToolCallEvent>({
      stages: [
        {
          name: 'slow',
          run: async (ctx) => {
            await Promise.resolve();
            ctx.signals.risk = 0.9;
          },
        },
      ],
      defaultAction: 'allow',
      onStageError: 'deny',
      sinks: [(_e, v) => seen.push(v), (_e, v) => seen.push(v)],
    });
    const v = await p.evaluate(event);
    expect(v.signals).toEqual({ risk: 0.9 });
    expect(seen).toEqual([v, v]);
  });
});
