import { afterEach, describe, expect, it } from 'vitest';
import { gateMemoryWrite, type MemoryWriteRequest } from '../../src/memory/gate.js';
import type { ApprovalRequest, ApprovalService } from '../../src/outbound/approval-types.js';
import { memoryFixture, newSession, taintFromWeb, type MemoryFixture } from './fixtures.js';

const RULES = `
rules:
  - id: no-injection-to-shared
    on: memory_write
    when: memory.shared && "injection_suspected" in session.labels
    action: deny
    message: not after an injection
  - id: label-untrusted
    on: memory_write
    when: '"untrusted_content" in session.labels'
    action: annotate
    labels: [from_untrusted]
  - id: mask-secrets
    on: memory_write
    when: signals.secrets > 0
    action: redact
    redact: { kinds: [secret] }
  - id: hold-plans
    on: memory_write
    when: memory.key == "plan"
    action: require_approval
    approval: { timeout: 1m }
  - id: quarantine-urls
    on: memory_write
    when: memory.derived.urls.exists(u, u.startsWith("https://evil.example"))
      && memory.key == "from-evil"
    action: quarantine
`;

let fx: MemoryFixture;
afterEach(async () => fx?.close());

const request = (over: Partial<MemoryWriteRequest> = {}): MemoryWriteRequest => ({
  session: newSession(),
  namespace: 'principal:alice',
  key: 'note',
  value: 'hello',
  labels: [],
  tombstone: false,
  shared: false,
  reads: [],
  ...over,
});

function approvalsThat(decision: 'approved' | 'denied', seen: ApprovalRequest[] = []): ApprovalService {
  return {
    decide: (req) => {
      seen.push(req);
      return Promise.resolve({ id: 'ap-1', decision, by: 'admin:test' });
    },
    close: () => Promise.resolve(),
  };
}

describe('gateMemoryWrite', () => {
  it('stores an allowed write with its provenance and passes a memory_write event through the pipeline', async () => {
    fx = memoryFixture();
    const gate = await fx.gate(RULES);
    const session = newSession();
    const out = await gateMemoryWrite(gate, request({ session, reads: [7] }));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.version).toMatchObject({
      value: 'hello',
      principal: 'alice',
      session: 's1',
      status: 'active',
    });
    expect(out.version.derived_from).toEqual([{ type: 'memory', id: 7 }]);
    expect(fx.events).toEqual([
      expect.objectContaining({ kind: 'memory_write', namespace: 'principal:alice', key: 'note' }),
    ]);
  });

  it('denies a shared write from an injection-suspected session; nothing is stored', async () => {
    fx = memoryFixture();
    const gate = await fx.gate(RULES);
    const session = newSession();
    taintFromWeb(session, 'ab'.repeat(32), ['untrusted_content', 'injection_suspected']);
    const out = await gateMemoryWrite(gate, request({ session, namespace: 'team', shared: true }));
    expect(out).toMatchObject({
      ok: false,
      rules: ['no-injection-to-shared'],
      reason: 'not after an injection',
    });
    expect(fx.memory.namespaces()).toEqual([]);
  });

  it('adds the labels of the rules that fired, and records the content sources', async () => {
    fx = memoryFixture();
    const gate = await fx.gate(RULES);
    const session = newSession();
    taintFromWeb(session, 'cd'.repeat(32), ['untrusted_content', 'pii_seen']);
    const out = await gateMemoryWrite(gate, request({ session, labels: ['mine'] }));
    if (!out.ok) throw new Error(out.reason);
    expect(out.version.labels).toEqual(['mine', 'from_untrusted']);
    expect(out.version.derived_from).toEqual([
      expect.objectContaining({
        type: 'content',
        server: 'web',
        content_hash: 'cd'.repeat(32),
        labels: ['untrusted_content', 'pii_seen'],
      }),
    ]);
  });

  it('masks secrets in the value before storing it', async () => {
    fx = memoryFixture();
    const gate = await fx.gate(RULES);
    const out = await gateMemoryWrite(gate, request({ value: 'deploy key AKIAZ7Q3LJ5KXW2PT4NB for prod' }));
    if (!out.ok) throw new Error(out.reason);
    expect(out.verdict.action).toBe('redact');
    expect(out.version.value).not.toContain('AKIAZ7Q3LJ5KXW2PT4NB');
    expect(out.version.value).toBe('deploy key [REDACTED:aws_access_key] for prod');
  });

  it('quarantines: stored, hidden from reads, visible in history', async () => {
    fx = memoryFixture();
    const gate = await fx.gate(RULES);
    const session = newSession();
    taintFromWeb(session);
    const out = await gateMemoryWrite(gate, request({ session, key: 'from-evil' }));
    if (!out.ok) throw new Error(out.reason);
    expect(out.version.status).toBe('quarantined');
    expect(fx.memory.get('principal:alice', 'from-evil')).toBeUndefined();
    expect(fx.memory.history('principal:alice', 'from-evil')[0]?.status).toBe('quarantined');
  });

  it('holds a write for approval: approved is stored, denied is refused, none configured fails closed', async () => {
    fx = memoryFixture();
    const seen: ApprovalRequest[] = [];
    const approved = await gateMemoryWrite(
      await fx.gate(RULES, approvalsThat('approved', seen)),
      request({ key: 'plan' }),
    );
    expect(approved.ok).toBe(true);
    expect(seen[0]).toMatchObject({
      server: 'memory',
      tool: 'memory_write',
      rules: ['hold-plans'],
      timeoutMs: 60_000,
    });
    const denied = await gateMemoryWrite(
      await fx.gate(RULES, approvalsThat('denied')),
      request({ key: 'plan' }),
    );
    expect(denied).toMatchObject({ ok: false, rules: ['hold-plans'] });
    expect(denied.ok || denied.reason).toMatch(/denied by admin:test/);
    const none = await gateMemoryWrite(await fx.gate(RULES), request({ key: 'plan' }));
    expect(none.ok || none.reason).toMatch(/no approval service/);
    expect(fx.memory.history('principal:alice', 'plan')).toHaveLength(1);
  });

  it('writes a tombstone for a delete', async () => {
    fx = memoryFixture();
    const gate = await fx.gate(RULES);
    await gateMemoryWrite(gate, request());
    const out = await gateMemoryWrite(gate, request({ tombstone: true, value: null }));
    expect(out.ok && out.version.tombstone).toBe(true);
    expect(fx.memory.get('principal:alice', 'note')).toBeUndefined();
  });
});
