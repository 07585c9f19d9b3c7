import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathWithin, urlHost } from '../../src/policy/functions.js';
import { loadPolicySet } from '../../src/policy/policy-set.js';
import { runPolicyTests } from '../../src/policy/test-runner.js';
import { policyTestSchema } from '../../src/policy/rule-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'agentwall-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function bundle(yaml: string): string {
  const file = join(dir, `b${++n}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

async function decide(rules: string, event: unknown, onError: 'deny' | 'allow' = 'deny') {
  const set = await loadPolicySet([bundle(`rules:\n${rules}`)]);
  const test = policyTestSchema.parse({ name: 't', event, expect: { action: 'allow' } });
  const [r] = await runPolicyTests(set, [{ file: 'x', test, params: {} }], {
    params: { fs_roots: [] },
    defaultAction: 'allow',
    onError,
  });
  return r!;
}

describe('compiling bundles', () => {
  it.each([
    [
      '  - { id: r1, on: tool_call, when: "tool.name ==", action: deny }\n',
      /b\d+\.yaml:2:\d+: rule r1: CEL syntax error/,
    ],
    [
      '  - { id: r1, on: tool_call, when: "toool.name == 1", action: deny }\n',
      /rule r1: unknown variable "toool"/,
    ],
    [
      '  - { id: r1, on: tool_call, when: "true", action: explode }\n',
      /b\d+\.yaml:2:\d+: rules\[0\]\.action:/,
    ],
    ['  - { id: r1, on: tool_calls, when: "true", action: deny }\n', /rules\[0\]\.on/],
    [
      '  - { id: r1, on: tool_call, when: "true", action: deny, colour: red }\n',
      /Unrecognized key: "colour"/,
    ],
    [
      '  - { id: r1, on: tool_call, when: "true", action: deny }\n  - { id: r1, on: tool_call, when: "false", action: deny }\n',
      /rule r1: duplicate id/,
    ],
  ])('reports %j with file:line:col and the rule', async (rules, message) => {
    await expect(loadPolicySet([bundle(`rules:\n${rules}`)])).rejects.toThrow(message);
  });

  it('points at the line of the failing rule in a multi-rule file', async () => {
    const file = bundle(
      'rules:\n  - id: ok\n    on: tool_call\n    when: "true"\n    action: allow\n  - id: bad\n    on: tool_call\n    when: "args.x +"\n    action: deny\n',
    );
    await expect(loadPolicySet([file])).rejects.toThrow(/:8:\d+: rule bad: CEL syntax error/);
  });

  it('reports every error of every file at once', async () => {
    const a = bundle('rules:\n  - { id: a, on: tool_call, when: "nope", action: deny }\n');
    const b = bundle('rules:\n  - { id: b, on: tool_call, when: "1 +", action: deny }\n');
    const err = (await loadPolicySet([a, b]).catch((e: unknown) => e)) as { data: { errors: string[] } };
    expect(err.data.errors).toHaveLength(2);
  });
});

describe('deciding', () => {
  it('lets the most restrictive rule win, and lists shadow rules without enforcing them', async () => {
    const r = await decide(
      [
        '  - { id: a, on: tool_call, when: "true", action: redact, redact: { paths: [args.p] } }',
        '  - { id: b, on: tool_call, when: "true", action: deny, mode: shadow }',
        '  - { id: c, on: tool_call, when: "true", action: require_approval }',
        '  - { id: d, on: tool_result, when: "true", action: deny }',
      ].join('\n'),
      { tool: { name: 'x' } },
    );
    expect(r.action).toBe('require_approval');
    expect(r.fired).toEqual(['a', 'b', 'c']);
  });

  it.each(['deny', 'allow'] as const)(
    'treats a rule that errors at evaluation per on_error = %s',
    async (onError) => {
      const r = await decide(
        '  - { id: needs-x, on: tool_call, when: "args.x == 1", action: annotate }',
        { tool: { name: 't' } },
        onError,
      );
      expect(r.action).toBe(onError);
      expect(r.fired).toEqual(['needs-x']);
      expect(r.problems.join()).toContain('errored');
    },
  );

  it('reads absent signals as their neutral value, without errors', async () => {
    const r = await decide('  - { id: inj, on: tool_call, when: "signals.injection > 0.5", action: deny }', {
      tool: { name: 't' },
    });
    expect(r.action).toBe('allow');
    const hot = await decide(
      '  - { id: inj, on: tool_call, when: "signals.injection > 0.5", action: deny }',
      {
        tool: { name: 't' },
        signals: { injection: 0.9 },
      },
    );
    expect(hot.action).toBe('deny');
  });

  it.each([
    ['glob(args.p, "/srv/**/*.md")', { p: '/srv/a/b/c.md' }, true],
    ['glob(args.p, "/srv/**/*.md")', { p: '/srv/a/../../etc/x.md' }, false],
    ['url_host(args.u) == "example.com"', { u: 'https://EXAMPLE.com:8443/x?y' }, true],
    ['url_host(args.u) == ""', { u: 'not a url' }, true],
    ['email_domain(args.e) == "corp.example"', { e: 'Alice@Corp.Example' }, true],
    ['in_cidr(args.ip, "10.0.0.0/8")', { ip: '10.1.2.3' }, true],
    ['in_cidr(args.ip, "10.0.0.0/8")', { ip: '11.1.2.3' }, false],
    ['in_cidr(args.ip, "fd00::/8")', { ip: 'fd12::1' }, true],
    ['in_cidr(args.ip, "garbage")', { ip: '10.1.2.3' }, false],
    ['path_within(args.p, "/srv")', { p: '/srv/../etc' }, false],
    ['args.q.matches("^[a-z]+$")', { q: 'abc' }, true],
    ['"admin" in principal.roles', {}, false],
  ])('%s with %j → %s', async (when, args, fires) => {
    const r = await decide(`  - { id: f, on: tool_call, when: ${JSON.stringify(when)}, action: deny }`, {
      tool: { name: 't' },
      args,
    });
    expect(r.problems.filter((p) => p.includes('errored'))).toEqual([]);
    expect(r.action).toBe(fires ? 'deny' : 'allow');
  });

  it('helpers are total', () => {
    expect(pathWithin('relative/x', '/srv')).toBe(false);
    expect(pathWithin('/srv', '/srv')).toBe(true);
    expect(pathWithin('/srvx/a', '/srv')).toBe(false);
    expect(urlHost('http://[::1]:80/')).toBe('::1');
  });
});

describe('costly variables', () => {
  it('builds the call history only for policies that read it', async () => {
    const counting = await loadPolicySet([
      bundle('rules:\n  - { id: c, on: tool_call, when: "session.counters.calls > 5", action: deny }\n'),
    ]);
    expect(counting.reads).toEqual({ calls: false, argsText: false });
    const history = await loadPolicySet([
      bundle(
        'rules:\n  - { id: h, on: tool_call, when: "session.calls.exists(c, c.tool == \\"x\\")", action: deny }\n',
      ),
    ]);
    expect(history.reads.calls).toBe(true);
    const text = await loadPolicySet([
      bundle(
        'rules:\n  - { id: t, on: tool_call, when: "event.args_text.contains(\\"k\\")", action: deny }\n',
      ),
    ]);
    expect(text.reads.argsText).toBe(true);
  });

  it('gives rules that read the history the calls made so far', async () => {
    const r = await decide(
      '  - { id: h, on: tool_call, when: "session.calls.exists(c, c.tool == \\"rm\\")", action: deny }',
      {
        tool: { name: 'ls' },
        session: { calls: [{ server: 's', tool: 'rm' }] },
      },
    );
    expect(r.action).toBe('deny');
  });
});
