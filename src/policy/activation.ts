import { celMap, type CelInput } from '@bufbuild/cel';
import type {
  CheckpointEvent,
  LlmEvent,
  LlmResponseEvent,
  MemoryWriteEvent,
  ToolInfo,
} from '../core/events.js';
import type { SignalValue } from '../core/verdict.js';

/**
 * Signals that later checkpoints fill (scorers, detectors). They are always present, at their
 * neutral value, so a rule such as `signals.injection > 0.8` never fails for a missing key.
 */
export const SIGNAL_DEFAULTS: Readonly<Record<string, SignalValue>> = {
  injection: 0,
  injection_flagged: false,
  jailbreak: 0,
  jailbreak_flagged: false,
  pii: 0,
  pii_types: '',
  secrets: 0,
  secret_types: '',
  hidden_content: false,
  tag_chars: false,
  invisible_chars: 0,
  confusables: 0,
  exfil_links: 0,
  encoded_blobs: 0,
  content_bytes: 0,
  read_only: false,
  args_from_untrusted: false,
  args_source_injection: 0,
  capability_read: false,
  capability_write: false,
  capability_destructive: false,
  capability_send_external: false,
  capability_financial: false,
  capability_credential: false,
  capability_execute: false,
  risk: 0,
  domain: '',
  domain_score: 0,
};

/** Variables that cost real work to build; made only when some rule of the policy reads them. */
export interface CostlyReads {
  /** `session.calls`: the session's call history (up to 1000 records). */
  readonly calls: boolean;
  /** `event.args_text`: every string in the arguments. */
  readonly argsText: boolean;
}

export const READ_EVERYTHING: CostlyReads = { calls: true, argsText: true };

/**
 * The CEL variables for one event (docs/policy.md). Built once per event and shared by every rule;
 * the costly ones only when a rule of the policy reads them (an absent one reads as empty).
 */
export function activationOf(
  event: CheckpointEvent,
  signals: Readonly<Record<string, SignalValue>>,
  now: number,
  reads: CostlyReads = READ_EVERYTHING,
): Record<string, unknown> {
  const s = event.session;
  const session = {
    id: s.id,
    labels: [...s.labels],
    counters: Object.fromEntries(s.counters),
    calls: reads.calls
      ? s.calls.map((c) => ({ server: c.server, tool: c.tool, action: c.action, time: c.time }))
      : [],
  };
  const isLlm = event.kind === 'llm_request' || event.kind === 'llm_response';
  // LLM events carry the router's signals (docs/routing.md); stages' signals go over them.
  const merged = { ...SIGNAL_DEFAULTS, ...(isLlm ? event.route.signals : {}), ...signals };
  const vars: Record<string, unknown> = {
    event: { id: event.id, kind: event.kind, server: event.server },
    principal: { id: event.principal.id, roles: [...event.principal.roles], claims: event.principal.claims },
    session,
    signals: { ...merged, grounding: event.kind === 'llm_response' ? groundingVars(event) : NO_GROUNDING },
    risk: { score: typeof merged.risk === 'number' ? merged.risk : 0 },
    now,
    args: {},
    tool: { name: '', server: event.server, description: '', annotations: {} },
    result: { text: '', is_error: false },
    memory: NO_MEMORY,
    llm: isLlm ? llmVars(event) : NO_LLM,
  };
  switch (event.kind) {
    case 'tool_call':
      vars.args = event.args;
      vars.tool = toolVars(event.server, event.tool);
      // Every string in the arguments, joined by newlines: for patterns that may be anywhere.
      vars.event = {
        id: event.id,
        kind: event.kind,
        server: event.server,
        args_text: reads.argsText ? stringsOf(event.args).join('\n') : '',
      };
      break;
    case 'tools_list':
      vars.tool = toolVars(event.server, event.tool);
      break;
    case 'tool_result':
      vars.tool = toolVars(event.server, event.tool);
      vars.result = { text: textOf(event.result), is_error: event.isError };
      break;
    case 'resource':
      vars.result = { text: textOf(event.result), is_error: false, uri: event.uri };
      break;
    case 'prompt':
      vars.args = event.args;
      vars.result = { text: textOf(event.result), is_error: false, name: event.name };
      break;
    case 'memory_write':
      vars.memory = memoryVars(event);
      break;
  }
  return vars;
}

/** `signals.grounding` when it was not computed: nothing to check, so nothing unsupported. */
const NO_GROUNDING = { score: 1, sentences: 0, supported: 0, computed: false };

function groundingVars(event: LlmResponseEvent) {
  const g = event.grounding;
  return g
    ? { score: g.score, sentences: g.sentences, supported: g.supported, computed: true }
    : NO_GROUNDING;
}

/** `llm` for events other than `llm_request` and `llm_response`: every field present, empty. */
const NO_LLM = {
  endpoint: '',
  model: '',
  decision: '',
  stream: false,
  messages: 0,
  tools: 0,
  tokens: 0,
  user_text: '',
  cached: false,
  finish_reasons: [],
  usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  tool_calls: 0,
  tool_calls_denied: 0,
  answer_text: '',
};

/** The `llm` variable (docs/policy.md, "Variables"): the route, the request in figures, the answer. */
function llmVars(event: LlmEvent) {
  const base = {
    ...NO_LLM,
    endpoint: event.route.endpoint,
    model: event.route.model,
    decision: event.route.decision,
    stream: event.request.stream,
    messages: event.request.messages,
    tools: event.request.tools,
    tokens: event.request.tokens,
    user_text: event.request.text,
  };
  if (event.kind === 'llm_request') return base;
  return {
    ...base,
    stream: event.stream,
    cached: event.cached,
    finish_reasons: [...event.finishReasons],
    usage: { ...event.usage },
    tool_calls: event.toolCalls,
    tool_calls_denied: event.toolCallsDenied,
    answer_text: event.text,
  };
}

/** `memory` for events other than `memory_write`: every field present, empty. */
const NO_MEMORY = {
  namespace: '',
  key: '',
  value_text: '',
  shared: false,
  tombstone: false,
  labels: [],
  derived: { versions: [], servers: [], hashes: [], urls: [] },
};

/** The `memory` variable of a write (docs/memory.md, "Policy"). */
function memoryVars(event: MemoryWriteEvent) {
  const sources = event.derivedFrom.sources;
  const unique = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => x !== undefined))];
  return {
    namespace: event.namespace,
    key: event.key,
    value_text: typeof event.value === 'string' ? event.value : (JSON.stringify(event.value) ?? ''),
    shared: event.shared,
    tombstone: event.tombstone,
    labels: [...event.labels],
    derived: {
      versions: [...event.derivedFrom.versions],
      servers: unique(sources.map((s) => s.server)),
      hashes: unique(sources.map((s) => s.contentHash)),
      urls: unique(sources.map((s) => s.url)),
    },
  };
}

function toolVars(server: string, tool: ToolInfo) {
  return {
    name: tool.name,
    server,
    description: tool.description ?? '',
    annotations: tool.annotations ?? {},
    schema_hash: tool.schemaHash ?? '',
  };
}

/** The text of MCP content (tool results, resource contents, prompt messages), joined by newlines. */
export function textOf(value: unknown): string {
  const out: string[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (depth > 6 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.text === 'string') out.push(o.text);
    for (const key of ['content', 'contents', 'messages', 'resource']) visit(o[key], depth + 1);
  };
  visit(value, 0);
  return out.join('\n');
}

function stringsOf(value: unknown, depth = 0, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (depth < 8 && value !== null && typeof value === 'object') {
    for (const v of Array.isArray(value) ? value : Object.values(value)) stringsOf(v, depth + 1, out);
  }
  return out;
}

/**
 * Converts the top-level variables to CEL maps once per event: @bufbuild/cel would otherwise convert a
 * plain object again for every rule that reads it (nested values are converted when read).
 */
export function toCel(vars: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) {
    out[k] = isPlainObject(v) ? celMap(new Map(Object.entries(v) as [string, CelInput][])) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
