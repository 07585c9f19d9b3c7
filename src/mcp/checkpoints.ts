import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Pipeline } from '../core/pipeline.js';
import type { InboundCheckpoint } from '../inbound/checkpoint.js';
import type {
  ContentInspection,
  MemoryWriteEvent,
  PromptEvent,
  ResourceEvent,
  ToolCallEvent,
  ToolResultEvent,
  ToolsListEvent,
} from '../core/events.js';

/** The pipelines the MCP front runs: outbound for calls, inbound for what comes back. */
export interface McpCheckpoints {
  readonly toolCall: Pipeline<ToolCallEvent>;
  /** Per tool of a listing: a tool whose verdict is not allow/annotate is hidden, and refused if called. */
  readonly toolsList: Pipeline<ToolsListEvent>;
  readonly toolResult: Pipeline<ToolResultEvent>;
  readonly resource: Pipeline<ResourceEvent>;
  readonly prompt: Pipeline<PromptEvent>;
  /** Inspects and acts on content coming back (tool results, resources, prompts) through the pipelines above. */
  readonly inbound: InboundCheckpoint;
  /** Inspects a tool definition (description and schema strings) for the tool-poisoning scan. */
  readonly inspectTool: (tool: Tool) => ContentInspection;
  /** Pins a listed tool on first sight; false when its definition changed and it must be hidden. */
  readonly listedTool?: ((server: string, tool: Tool) => Promise<boolean>) | undefined;
  /** The state checkpoint: memory writes (docs/memory.md). */
  readonly memoryWrite?: Pipeline<MemoryWriteEvent> | undefined;
  /** Inspects a memory value's text (PII, secrets, hidden text) for the memory_write pipeline. */
  readonly inspectText?: ((text: string) => ContentInspection) | undefined;
  /**
   * The audit log, as a tools/call waits on it: its reply is sent only once the record of its verdict
   * is committed (the commit runs while the call is upstream), so a call the client saw answered is
   * never missing from the log after a crash; while commits fail, calls are not forwarded.
   */
  readonly audit?: AuditBarrier | undefined;
}

/** What the MCP front needs of the audit log (src/state/audit-log.ts) to acknowledge only what it recorded. */
export interface AuditBarrier {
  /** Resolves once every record appended so far is committed; false when that commit failed. */
  durable(): Promise<boolean>;
  /** Whether the last commit failed (a full disk): nothing is forwarded until one succeeds again. */
  readonly isFailing: boolean;
}
