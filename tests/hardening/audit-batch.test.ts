// The audit log under entries it cannot hash (found by the HTTP fuzzer: tool-call arguments nested
// thousands of levels deep overflow the recursive RFC 8785 canonicaliser). Such an entry is recorded
// without its detail, and the entries appended in the same batch — other callers' — are not lost.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/state/audit-log.js';
import { openStore, type Store } from '../../src/state/store.js';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.js';

let tmp: TempDir;
let store: Store;

beforeEach(async () => {
  tmp = await makeTempDir('agentwall-audit-batch-');
  store = openStore(tmp.path);
});

afterEach(async () => {
  await store.close();
  await tmp.remove();
});

const entry = (subject: string, detail: Record<string, unknown> = {}): AuditEntry => ({
  time: Date.now(),
  event_id: subject,
  kind: 'tool_call',
  session: 's',
  principal: 'p',
  server: 'srv',
  subject,
  action: 'allow',
  rules: [],
  latency_ms: 0,
  detail,
});

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('audit log: an entry it cannot hash', () => {
  it('is recorded without its detail, and the rest of its batch is kept', async () => {
    const appended = await Promise.all([
      store.audit.append(entry('before')),
      store.audit.append(entry('deep', { args: { deep: nested(50_000) } })),
      store.audit.append(entry('after')),
    ]);
    expect(appended.map((r) => r.subject)).toEqual(['before', 'deep', 'after']);
    const records = [...store.audit.records()];
    expect(records.map((r) => r.subject)).toEqual(['before', 'deep', 'after']);
    expect(records[1]?.detail).toMatchObject({ unrecordable: expect.stringContaining('not recorded') });
    expect(store.audit.failures).toBe(0);
    expect(store.audit.verify()).toMatchObject({ ok: true, count: 3 });
  });
});
