import type { Principal, Session, TaintSource } from './session.js';
import type { SpanFinding } from './verdict.js';

/** What crosses a checkpoint. */
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

/** What the LLM router decided for a request (docs/routing.md); both LLM events carry it. */
export interface LlmRoute {
  readonly endpoint: 'chat' | 'completions' | 'responses';
  /** The upstream model chosen. */
  readonly model: string;
  /** The routing decision that chose it, `default` or `explicit`. */
  readonly decision: string;
  /** The routing signals as decisions read them (keywords, similarity, domain, jailbreak, tokens, …). */
  readonly signals: Readonly<Record<string, unknown>>;
}

/** The request in figures; its text only for rules (audit records keep a hash and size of it). */
export interface LlmRequestSummary {
  readonly messages: number;
  /** Tools the request offers (as sent, before tool selection trims them). */
  readonly tools: number;
  /** Estimated prompt tokens (≈ 4 characters a token). */
  readonly tokens: number;
  readonly stream: boolean;
  /** The last user turn (the completions prompt): what the routing signals read. */
  readonly text: string;
}

/** A routed LLM request, before it goes upstream: rules may refuse or flag it. */
export interface LlmRequestEvent extends EventBase {
  readonly kind: 'llm_request';
  readonly route: LlmRoute;
  readonly request: LlmRequestSummary;
}

/** The share of an answer's sentences the request's tool results support (src/routing/grounding.ts). */
export interface LlmGrounding {
  readonly score: number;
  readonly sentences: number;
  readonly supported: number;
}

/** The model's answer, after the tool-call guard and before the client sees it (non-streamed). */
export interface LlmResponseEvent extends EventBase {
  readonly kind: 'llm_response';
  readonly route: LlmRoute;
  readonly request: LlmRequestSummary;
  readonly stream: boolean;
  /** Served from the answer cache. */
  readonly cached: boolean;
  /** Per choice; empty for a stream that broke off. */
  readonly finishReasons: readonly string[];
  readonly usage: {
    readonly prompt_tokens: number;
    readonly completion_tokens: number;
    readonly total_tokens: number;
  };
  /** Tool calls the model proposed, and how many of them the outbound gate refused. */
  readonly toolCalls: number;
  readonly toolCallsDenied: number;
  /** Set when the request carried tool results to ground the answer in. */
  readonly grounding?: LlmGrounding | undefined;
  /** The first choice's text as the model wrote it: for rules only (audit: hash and size). */
  readonly text: string;
}

export type LlmEvent = LlmRequestEvent | LlmResponseEvent;

/** Every event a policy rule can be evaluated on. */
export type CheckpointEvent = McpEvent | LlmEvent;

/** A short subject for logs and audit: the tool, resource, prompt or model the event is about. */
export function eventSubject(event: CheckpointEvent): string {
  switch (event.kind) {
    case 'llm_request':
    case 'llm_response':
      return event.route.model;
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
