import { createHash } from 'node:crypto';
import type { CheckpointEvent, LlmEvent } from '../core/events.js';
import { eventSubject } from '../core/events.js';
import type { Verdict } from '../core/verdict.js';
import type { AuditEntry, AuditLog } from './audit-log.js';

/**
 * What the audit log keeps of an event: enough to replay the decision (a call's arguments, a prompt's
 * arguments), and only a hash and size of content that came back, which may be large or sensitive —
 * for LLM traffic, of the prompt and the answer.
 */
export function auditEntryOf(event: CheckpointEvent, verdict: Verdict): AuditEntry {
  return {
    time: event.time,
    event_id: event.id,
    kind: event.kind,
    session: event.session.id,
    principal: event.principal.id,
    server: event.server,
    subject: eventSubject(event),
    action: verdict.action,
    rules: verdict.rules.map((r) => ({ id: r.id, action: r.action, mode: r.mode })),
    latency_ms: Math.round(verdict.latencyMs * 1000) / 1000,
    detail: detailOf(event),
  };
}

function detailOf(event: CheckpointEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'llm_request':
    case 'llm_response':
      return llmDetailOf(event);
    case 'tool_call':
      return { args: event.args, annotations: event.tool.annotations };
    case 'tools_list':
      return { description: event.tool.description, annotations: event.tool.annotations };
    case 'tool_result':
      return { call_id: event.callId, is_error: event.isError, ...digest(event.result) };
    case 'resource':
      return digest(event.result);
    case 'prompt':
      return { args: event.args, ...digest(event.result) };
    case 'memory_write':
      // The value itself is in the memory store (docs/memory.md); the log keeps its hash and provenance.
      return {
        labels: event.labels,
        tombstone: event.tombstone,
        derived_versions: event.derivedFrom.versions,
        derived_hashes: [...new Set(event.derivedFrom.sources.map((s) => s.contentHash))],
        ...digest(event.value),
      };
  }
}

/** The route and the request in figures; the user turn and the answer as hash and size only. */
function llmDetailOf(event: LlmEvent): Record<string, unknown> {
  const { route, request } = event;
  const base = {
    endpoint: route.endpoint,
    decision: route.decision,
    signals: route.signals,
    messages: request.messages,
    tools: request.tools,
    tokens: request.tokens,
    stream: request.stream,
    user_text: textDigest(request.text),
  };
  if (event.kind === 'llm_request') return base;
  return {
    ...base,
    stream: event.stream,
    cached: event.cached,
    finish_reasons: event.finishReasons,
    usage: event.usage,
    tool_calls: event.toolCalls,
    tool_calls_denied: event.toolCallsDenied,
    ...(event.grounding ? { grounding: event.grounding } : {}),
    answer: textDigest(event.text),
  };
}

function textDigest(text: string): { sha256: string; bytes: number } {
  return { sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
}

function digest(value: unknown): { sha256: string; bytes: number } {
  const text = JSON.stringify(value) ?? '';
  return { sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
}

/** A verdict sink that appends to the audit log; a failed append is reported, never thrown. */
export function auditSink(
  log: AuditLog,
  onFailure: (err: unknown) => void,
): (e: CheckpointEvent, v: Verdict) => void {
  return (event, verdict) => {
    log.append(auditEntryOf(event, verdict)).catch(onFailure);
  };
}
