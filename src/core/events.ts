import type { Principal, Session, TaintSource } from './session.js';
import type { SpanFinding } from './verdict.js';

/** What crosses a checkpoint. Later checkpoints add memory and LLM events to this union. */
export type EventKind =
  | 'tool_call'
  | 'tool_result'
  | 'tools_list'
  | 'resource'
  | 'prompt'
  | 'memory_write'
  | 'llm_request'
  | 'llm_response';

export interface EventBase {
  readonly id: string;
  readonly kind: EventKind;
  readonly time: number;
  readonly session: Session;
  readonly principal: Principal;
  /** The configured name of the upstream server the event concerns. */
  readonly server: string;
}

/**
 * What the inbound checkpoint made of an event's content before the pipeline ran (src/inbound): the
 * text of each slot as the model may see it (invisible and tag characters removed), what was found,
 * and the texts the scorers read (the clean texts joined, plus decoded and hidden texts).
 */
export interface ContentInspection {
  readonly slots: readonly { readonly key: string; readonly clean: string }[];
  /** Spans are in the slot's clean text. */
  readonly findings: readonly SpanFinding[];
  readonly scanTexts: readonly string[];
  /** SHA-256 of the content as the server sent it (provenance of taint). */
  readonly contentHash: string;
  readonly bytes: number;
}

/** A tool as the gate sees it: the upstream's definition under its original (un-namespaced) name. */
export interface ToolInfo {
  readonly name: string;
  readonly description?: string;
  readonly annotations?: Readonly<Record<string, unknown>>;
  /** SHA-256 of the canonical input and output schemas, when the tool was listed. */
  readonly schemaHash?: string;
  /** The upstream's definition as listed (for the tool-poisoning scan). */
  readonly definition?: Readonly<Record<string, unknown>>;
}

export interface ToolCallEvent extends EventBase {
  readonly kind: 'tool_call';
  readonly tool: ToolInfo;
  readonly args: Readonly<Record<string, unknown>>;
}

/** One tool of an upstream's listing, checked before the client sees it (hidden tools are removed). */
export interface ToolsListEvent extends EventBase {
  readonly kind: 'tools_list';
  readonly tool: ToolInfo;
  readonly inspection?: ContentInspection;
}

export interface ToolResultEvent extends EventBase {
  readonly kind: 'tool_result';
  readonly tool: ToolInfo;
  readonly callId: string;
  readonly result: Readonly<Record<string, unknown>>;
  readonly isError: boolean;
  readonly inspection?: ContentInspection;
}

export interface ResourceEvent extends EventBase {
  readonly kind: 'resource';
  readonly uri: string;
  readonly result: Readonly<Record<string, unknown>>;
  readonly inspection?: ContentInspection;
}

export interface PromptEvent extends EventBase {
  readonly kind: 'prompt';
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly result: Readonly<Record<string, unknown>>;
  readonly inspection?: ContentInspection;
}

/**
 * A write to agentwall's memory (the state checkpoint, docs/memory.md), before it is stored: rules may
 * deny it, hold it for approval, redact the value, quarantine it, or add labels to it.
 */
export interface MemoryWriteEvent extends EventBase {
  readonly kind: 'memory_write';
  readonly namespace: string;
  readonly key: string;
  readonly value: unknown;
  readonly labels: readonly string[];
  /** A delete: the version written is a tombstone. */
  readonly tombstone: boolean;
  /** The namespace is shared (configuration `memory.shared_namespaces`), not the principal's own. */
  readonly shared: boolean;
  /** What the write may carry: memory versions the session read, and content that entered the session. */
  readonly derivedFrom: { readonly versions: readonly number[]; readonly sources: readonly TaintSource[] };
  readonly inspection?: ContentInspection;
}

export type McpEvent =
  ToolCallEvent | ToolsListEvent | ToolResultEvent | ResourceEvent | PromptEvent | MemoryWriteEvent;

/** A short subject for logs and audit: the tool, resource or prompt the event is about. */
export function eventSubject(event: McpEvent): string {
  switch (event.kind) {
    case 'tool_call':
    case 'tools_list':
    case 'tool_result':
      return event.tool.name;
    case 'resource':
      return event.uri;
    case 'prompt':
      return event.name;
    case 'memory_write':
      return `${event.namespace}/${event.key}`;
  }
}
