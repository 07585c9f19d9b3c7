// A memory store in a temp dir, a policy from YAML through the real pipeline, and sessions with taint.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { McpEvent, MemoryWriteEvent } from '../../src/core/events.js';
import { createPipeline, type Pipeline } from '../../src/core/pipeline.js';
import { createSession, taintSession, type Session } from '../../src/core/session.js';
import { createInspector } from '../../src/inbound/inspect.js';
import { toolResultSlots } from '../../src/inbound/content.js';
import { inspectionSignalsStage } from '../../src/inbound/signals-stage.js';
import type { MemoryGateDeps } from '../../src/memory/gate.js';
import { loadPolicySet } from '../../src/policy/policy-set.js';
import { policyStage } from '../../src/policy/stage.js';
import type { ApprovalService } from '../../src/outbound/approval-types.js';
import { MemoryStore } from '../../src/state/memory.js';
import { openStore, type Store } from '../../src/state/store.js';

export const silent = pino({ level: 'silent' });

export interface MemoryFixture {
  readonly dir: string;
  readonly store: Store;
  readonly memory: MemoryStore;
  readonly events: McpEvent[];
  gate(rulesYaml: string, approvals?: ApprovalService): Promise<MemoryGateDeps>;
  close(): Promise<void>;
}

export function memoryFixture(): MemoryFixture {
  const dir = mkdtempSync(join(tmpdir(), 'agentwall-memory-gate-'));
  const store = openStore(dir);
  const memory = new MemoryStore(store.root);
  const events: McpEvent[] = [];
  const inspector = createInspector({ allowHosts: [], maxChars: 100_000 });
  return {
    dir,
    store,
    memory,
    events,
    async gate(rulesYaml, approvals) {
      const file = join(dir, `rules-${events.length}-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, rulesYaml);
      const set = await loadPolicySet([file]);
      const pipeline: Pipeline<MemoryWriteEvent> = createPipeline<McpEvent>({
        stages: [inspectionSignalsStage(), policyStage({ current: () => set, onError: 'deny', params: {} })],
        defaultAction: 'allow',
        onStageError: 'deny',
        sinks: [(e) => void events.push(e)],
      });
      return {
        store: memory,
        pipeline,
        inspect: (text) => {
          const value = { content: [{ type: 'text', text }] };
          return inspector.inspect(toolResultSlots(value), value);
        },
        approvals,
        revision: () => set.revision,
        server: 'memory',
      };
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function newSession(id = 's1', principal = 'alice'): Session {
  return createSession(id, { id: principal, roles: [], claims: {} });
}

/** Content from an untrusted web page entered the session (as the inbound checkpoint records it). */
export function taintFromWeb(session: Session, hash = 'ab'.repeat(32), labels = ['untrusted_content']): void {
  for (const label of labels) {
    taintSession(session, {
      label,
      server: 'web',
      subject: 'fetch',
      kind: 'tool_result',
      callId: 'call-1',
      contentHash: hash,
      url: 'https://evil.example/page',
      time: 1,
    });
  }
}
