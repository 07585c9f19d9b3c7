import type { ToolCallEvent } from '../src/core/events.js';
import { createSession } from '../src/core/session.js';
import type { Action } from '../src/core/verdict.js';

/** `params` the default bundle runs with here: roots set, so the filesystem rule does its full work. */
export const PARAMS = { fs_roots: ['/srv/agent'], max_calls_per_session: 1000 };

export interface MixEvent {
  readonly name: string;
  readonly event: ToolCallEvent;
  /** What the default bundle must decide, checked before timing so a broken bundle cannot look fast. */
  readonly expect: Action;
}

interface Spec {
  readonly name: string;
  readonly expect: Action;
  readonly tool: ToolCallEvent['tool'];
  readonly args: Record<string, unknown>;
  readonly labels?: readonly string[];
  /** Calls the session made before: its history and `calls` counter (40 unless given). */
  readonly calls?: number;
}

const TEXT = 'Quarterly notes. '.repeat(30);
const UNTRUSTED = ['untrusted_content'];
const INJECTED = ['untrusted_content', 'injection_suspected'];

/** Benign reads, writes in and out of the roots, sends with and without taint, a secret, a budget. */
const SPECS: readonly Spec[] = [
  {
    name: 'read inside roots',
    expect: 'allow',
    tool: { name: 'read_file' },
    args: { path: '/srv/agent/notes.md' },
  },
  {
    name: 'read elsewhere',
    expect: 'allow',
    tool: { name: 'read_text_file' },
    args: { path: '/etc/hosts', head: 20 },
  },
  {
    name: 'list directory',
    expect: 'allow',
    tool: { name: 'list_directory', annotations: { readOnlyHint: true } },
    args: { path: '/srv/agent' },
  },
  { name: 'search, long query', expect: 'allow', tool: { name: 'search' }, args: { query: TEXT, limit: 10 } },
  {
    name: 'write inside roots',
    expect: 'allow',
    tool: { name: 'write_file' },
    args: { path: '/srv/agent/out.md', content: TEXT },
  },
  {
    name: 'write outside roots',
    expect: 'deny',
    tool: { name: 'write_file' },
    args: { path: '/etc/cron.d/x', content: 'x' },
  },
  {
    name: 'move out of roots',
    expect: 'deny',
    tool: { name: 'move_file' },
    args: { source: '/srv/agent/a', destination: '/home/u/a' },
  },
  {
    name: 'send, clean session',
    expect: 'allow',
    tool: { name: 'send_email' },
    args: { to: 'a@example.com', subject: 'hi', body: TEXT },
  },
  {
    // Untrusted content alone is too common to hold every message on (policies/default.yaml).
    name: 'send, untrusted content',
    expect: 'allow',
    tool: { name: 'send_email' },
    args: { to: 'a@example.com', body: 'hi' },
    labels: UNTRUSTED,
  },
  {
    name: 'send, after an injection',
    expect: 'deny',
    tool: { name: 'send_email' },
    args: { to: 'a@example.com', body: 'hi' },
    labels: INJECTED,
  },
  {
    name: 'open-world, after an injection',
    expect: 'deny',
    tool: { name: 'fetch', annotations: { openWorldHint: true } },
    args: { url: 'https://x.example' },
    labels: INJECTED,
  },
  {
    name: 'write, after an injection',
    expect: 'require_approval',
    tool: { name: 'write_file' },
    args: { path: '/srv/agent/notes.md', content: TEXT },
    labels: INJECTED,
  },
  {
    name: 'secret to http',
    expect: 'deny',
    tool: { name: 'http_post' },
    args: { url: 'https://paste.example', body: { note: 'AKIAIOSFODNN7EXAMPLE' } },
  },
  {
    // destructive-needs-approval ships in shadow mode: reported, not enforced.
    name: 'destructive',
    expect: 'allow',
    tool: { name: 'drop_table', annotations: { destructiveHint: true } },
    args: { table: 'users' },
  },
  {
    name: 'over budget',
    expect: 'deny',
    tool: { name: 'read_file' },
    args: { path: '/srv/agent/a' },
    calls: 1000,
  },
];

/** The mix as events, each in its own session with the labels and history its spec gives. */
export function eventMix(): MixEvent[] {
  const principal = { id: 'bench', roles: ['agent'], claims: {} };
  return SPECS.map((spec, i) => {
    const session = createSession(`s${i}`, principal, 0);
    for (const l of spec.labels ?? []) session.labels.add(l);
    const calls = spec.calls ?? 40;
    session.counters.set('calls', calls);
    for (let t = 0; t < calls; t += 1)
      session.calls.push({ server: 'files', tool: 'read_file', action: 'allow', time: t });
    const event: ToolCallEvent = {
      id: `e${i}`,
      kind: 'tool_call',
      time: 0,
      session,
      principal,
      server: 'files',
      tool: spec.tool,
      args: spec.args,
    };
    return { name: spec.name, event, expect: spec.expect };
  });
}
