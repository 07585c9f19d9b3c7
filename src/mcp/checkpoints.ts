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
}
