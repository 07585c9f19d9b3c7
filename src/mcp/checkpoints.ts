import type { Pipeline } from '../core/pipeline.js';
import type { PromptEvent, ResourceEvent, ToolCallEvent, ToolResultEvent } from '../core/events.js';

/** The pipelines the MCP front runs: outbound for calls, inbound for what comes back. */
export interface McpCheckpoints {
  readonly toolCall: Pipeline<ToolCallEvent>;
  readonly toolResult: Pipeline<ToolResultEvent>;
  readonly resource: Pipeline<ResourceEvent>;
  readonly prompt: Pipeline<PromptEvent>;
}
