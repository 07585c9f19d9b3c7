import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';

/**
 * What the front advertises: the union of what the upstreams offer. `listChanged` is always set where
 * a listing exists, because agentwall itself changes listings (an upstream restarts, a tool is hidden).
 */
export function unionCapabilities(all: readonly (ServerCapabilities | undefined)[]): ServerCapabilities {
  const caps = all.filter((c): c is ServerCapabilities => c !== undefined);
  const out: ServerCapabilities = {};
  if (caps.some((c) => c.tools)) out.tools = { listChanged: true };
  if (caps.some((c) => c.prompts)) out.prompts = { listChanged: true };
  if (caps.some((c) => c.resources)) {
    out.resources = {
      listChanged: true,
      ...(caps.some((c) => c.resources?.subscribe) ? { subscribe: true } : {}),
    };
  }
  if (caps.some((c) => c.logging)) out.logging = {};
  if (caps.some((c) => c.completions)) out.completions = {};
  const experimental = Object.assign({}, ...caps.map((c) => c.experimental ?? {})) as Record<string, object>;
  if (Object.keys(experimental).length > 0) out.experimental = experimental;
  return out;
}
