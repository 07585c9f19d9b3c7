import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAuditExport, registerReplayCommand } from '../../src/cli/replay.js';
import type { ToolCallEvent, ToolResultEvent } from '../../src/core/events.js';
import { createSession } from '../../src/core/session.js';
import type { Action, Verdict } from '../../src/core/verdict.js';
import { loadPolicySet } from '../../src/policy/policy-set.js';
import { replayDecisions } from '../../src/policy/replay.js';
import { auditEntryOf } from '../../src/state/audit-sink.js';
import { openStore } from '../../src/state/store.js';

const dir = mkdtempSync(join(tmpdir(), 'agentwall-replay-'));
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RULE = (id: string, when: string, action: string) =>
  `  - id: ${id}\n    on: tool_call\n    when: '${when}'\n    action: ${action}\n`;
const etc = RULE('no-etc-writes', 'tool.name == "write_file" && args.path.startsWith("/etc")', 'deny');
const bundleA = join(dir, 'a.yaml');
const bundleB = join(dir, 'b.yaml');
writeFileSync(bundleA, `rules:\n${etc}`);
writeFileSync(
  bundleB,
  `rules:\n${etc}${RULE('no-mail', 'tool.name == "send_email"', 'deny')}` +
    RULE(
      'tainted-post',
      '"untrusted_content" in session.labels && tool.name == "http_post"',
      'require_approval',
    ),
);

const verdict = (action: Action): Verdict => ({
  eventId: '',
  action,
  rules: [],
  signals: {},
  findings: [],
  message: undefined,
  timings: [],
  latencyMs: 0,
});

/**
 * What the gate would have recorded: session s1 reads, writes under /etc (denied) and mails (with markup
 * in the body); s2 reads a web page (an untrusted result) then posts; s3 posts without that.
 */
beforeAll(async () => {
  const principal = { id: 'alice', roles: [], claims: {} };
  const sessions = new Map(['s1', 's2', 's3'].map((id) => [id, createSession(id, principal, 0)]));
  let t = 1000;
  const call = (sid: string, server: string, tool: string, args: Record<string, unknown>): ToolCallEvent => ({
    id: `e${t}`,
    kind: 'tool_call',
    time: (t += 1),
    session: sessions.get(sid)!,
    principal,
    server,
    tool: { name: tool },
    args,
  });
  const result: ToolResultEvent = {
    ...call('s2', 'web', 'fetch', {}),
    kind: 'tool_result',
    callId: 'c',
    result: {},
    isError: false,
  };
  const store = openStore(dataDir);
  const appends = [
    auditEntryOf(call('s1', 'files', 'read_file', { path: '/srv/a' }), verdict('allow')),
    auditEntryOf(call('s1', 'files', 'write_file', { path: '/etc/passwd' }), verdict('deny')),
    auditEntryOf(
      call('s1', 'mail', 'send_email', { to: 'x@y.z', body: '<script>alert(1)</script>' }),
      verdict('allow'),
    ),
    auditEntryOf(call('s2', 'web', 'fetch', { url: 'https://example.com' }), verdict('allow')),
    auditEntryOf(result, verdict('allow')),
    auditEntryOf(call('s2', 'web', 'http_post', { url: 'https://example.com' }), verdict('allow')),
    auditEntryOf(call('s3', 'web', 'http_post', { url: 'https://example.com' }), verdict('allow')),
  ].map((e) => store.audit.append(e));
  await Promise.all(appends);
  await store.close();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command('agentwall').exitOverride();
  const deps = {
    out: (l: string) => out.push(l),
    err: (l: string) => err.push(l),
    exit: (c: number) => (code = c),
    cwd: dir,
  };
  registerReplayCommand(program, deps);
  registerAuditExport(program.command('audit'), deps);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('replayDecisions', () => {
  it('counts the decisions B changes, per rule, and re-derives taint from untrusted results', async () => {
    const store = openStore(dataDir);
    try {
      const [a, b] = await Promise.all([loadPolicySet([bundleA]), loadPolicySet([bundleB])]);
      const r = await replayDecisions(store.audit.records(), a, b, {
        params: {},
        defaultAction: 'allow',
        onError: 'deny',
        onStageError: 'deny',
        trustedServers: new Set(),
      });
      expect(r).toMatchObject({ events: 6, skipped: 1, matchesRecorded: 6, changed: 2 });
      expect(r.transitions).toEqual({ 'allow→deny': 1, 'allow→require_approval': 1 });
      expect(r.rules.map((x) => [x.id, x.count])).toEqual([
        ['no-mail', 1],
        ['tainted-post', 1],
      ]);
      expect(r.rules[1]!.examples[0]).toMatchObject({
        tool: 'http_post',
        server: 'web',
        principal: 'alice',
        from: 'allow',
      });
      expect(r.firing).toContainEqual({ id: 'no-etc-writes', a: 1, b: 1 });
    } finally {
      await store.close();
    }
  });
});

describe('agentwall replay', () => {
  it('writes report.md and report.html for the audit log of a data directory', async () => {
    const out = join(dir, 'report');
    const r = await cli([
      'replay',
      '--data-dir',
      dataDir,
      '--policy',
      'a.yaml',
      '--policy',
      'b.yaml',
      '--out',
      out,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('replayed 6 tool calls');
    expect(r.out).toContain('2 decisions change');
    expect(r.out).toContain('rule no-mail: 1');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('### `no-mail` — 1 event');
    expect(md).toContain('| allow → deny | 1 |');
    expect(md).toContain('Session labels are not recorded');
    expect(md).not.toContain('<script>');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('no-mail');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/(src|href)="http/);
  });

  it('replays an `audit export` JSONL file to the same result', async () => {
    const exported = await cli(['audit', 'export', '--data-dir', dataDir]);
    expect(exported.code).toBe(0);
    expect(exported.err).toContain('exported 7 audit records');
    writeFileSync(join(dir, 'audit.jsonl'), `${exported.out}\n`);
    const r = await cli([
      'replay',
      '--audit',
      'audit.jsonl',
      '--policy',
      `${bundleA}`,
      '--policy',
      `${bundleA},${bundleB}`,
      '--out',
      'r2',
    ]);
    // Loading a.yaml twice in B is a duplicate rule id: the problem is reported and nothing is written.
    expect(r.code).toBe(1);
    expect(r.err).toContain('duplicate id');
    const ok = await cli([
      'replay',
      '--audit',
      'audit.jsonl',
      '--policy',
      'a.yaml',
      '--policy',
      'b.yaml',
      '--out',
      'r2',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('2 decisions change');
    expect(readFileSync(join(dir, 'r2', 'report.md'), 'utf8')).toContain('tainted-post');
  });

  it('names the line of a malformed record, and refuses bad usage', async () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"kind":"tool_call"}\n');
    await expect(
      cli(['replay', '--audit', 'bad.jsonl', '--policy', 'a.yaml', '--policy', 'b.yaml']),
    ).rejects.toThrow(/bad\.jsonl:1: not an audit record/);
    expect((await cli(['replay', '--audit', 'x', '--policy', 'a.yaml'])).code).toBe(2);
    const missing = await cli([
      'replay',
      '--data-dir',
      join(dir, 'nothing'),
      '--policy',
      'a.yaml',
      '--policy',
      'b.yaml',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no audit log');
  });
});
