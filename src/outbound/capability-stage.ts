import type { McpEvent, ToolInfo } from '../core/events.js';
import type { Stage } from '../core/pipeline.js';
import type { CapabilityClassifier, CapabilityResult } from '../ml/capability.js';
import { CAPABILITY_LABELS } from '../ml/tasks.js';

/** Tool definitions repeat on every call; their classification is kept per definition. */
const CACHE_SIZE = 4096;

/**
 * What a tool can do (docs/models.md, "capability"), for the gate: `signals.capability_<label>` for
 * each of read, write, destructive, send_external, financial, credential, execute (true when the
 * classifier, combined with the tool's MCP annotations, flags it), and `signals.read_only`: the tool
 * declares `readOnlyHint: true`, or, without that hint, it is classified as reading and nothing else.
 */
export function capabilityStage(classifier: CapabilityClassifier): Stage<McpEvent> {
  const cache = new Map<string, CapabilityResult>();
  return {
    name: 'capability',
    async run(ctx) {
      const event = ctx.event;
      if (event.kind !== 'tool_call' && event.kind !== 'tools_list') return;
      const key = cacheKey(event.server, event.tool);
      let result = cache.get(key);
      if (result === undefined) {
        result = await classifier.classify({
          name: event.tool.name,
          ...(event.tool.description === undefined ? {} : { description: event.tool.description }),
          ...(event.tool.definition?.inputSchema === undefined
            ? {}
            : { inputSchema: event.tool.definition.inputSchema }),
          ...(event.tool.annotations === undefined ? {} : { annotations: event.tool.annotations }),
        });
        if (cache.size >= CACHE_SIZE) cache.clear();
        cache.set(key, result);
      }
      const flagged = new Set<string>(result.flagged);
      for (const label of CAPABILITY_LABELS) ctx.signals[`capability_${label}`] = flagged.has(label);
      const hint = event.tool.annotations?.readOnlyHint;
      ctx.signals.read_only =
        hint === true ||
        (hint === undefined && flagged.has('read') && [...flagged].every((l) => l === 'read'));
    },
  };
}

function cacheKey(server: string, tool: ToolInfo): string {
  return `${server}\u0000${tool.name}\u0000${tool.schemaHash ?? ''}\u0000${tool.description ?? ''}\u0000${JSON.stringify(tool.annotations ?? {})}`;
}
